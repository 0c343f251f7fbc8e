// Runs once per test run, before the test files: makes the run's folder, the migrated template
// for the engine in use, and the production build the HTTP tests serve. Its teardown removes the
// run's folder and every database of the run, whatever the test files left behind.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { Kysely } from "kysely";
import { connect } from "../../db/connect.server";
import { PGliteDialect } from "../../db/pglite-dialect.server";
import { migrateToLatest } from "../../db/migrate.server";
import { adminQuery, databaseUrl, PGLITE_IMAGES, serverUrl } from "./run";

const root = path.resolve(import.meta.dirname, "../..");

async function preparePgliteImages(runDir: string) {
  const { PGlite } = await import("@electric-sql/pglite");
  // Every test file loads an image into memory: a 1 MB WAL segment and no template databases
  // (the embedded engine never copies one) make it 17 MB instead of 43, and a load a third cheaper.
  const pglite = await PGlite.create({ initDbStartParams: ["--wal-segsize=1"] });
  for (const template of ["template1", "template0"]) {
    await pglite.query(`alter database ${template} is_template false`);
    await pglite.query(`drop database ${template}`);
  }
  const save = async (file: string) => {
    await pglite.query("checkpoint");
    writeFileSync(path.join(runDir, file), Buffer.from(await (await pglite.dumpDataDir("none")).arrayBuffer()));
  };
  await save(PGLITE_IMAGES.empty);
  const db = new Kysely<unknown>({ dialect: new PGliteDialect(pglite) });
  await migrateToLatest(db);
  await save(PGLITE_IMAGES.migrated);
  await db.destroy();
}

async function preparePostgresTemplate(name: string) {
  await adminQuery(`create database ${name}`);
  const handle = await connect({ databaseUrl: databaseUrl(name), poolSize: 1 });
  await migrateToLatest(handle.db);
  await handle.close();
}

/** Drops every database whose name starts with the run's prefix. */
async function dropRunDatabases(prefix: string) {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      "select datname from pg_database where starts_with(datname, $1)",
      [`${prefix}_`],
    );
    for (const { datname } of rows) await admin.query(`drop database if exists "${datname}" with (force)`);
  } finally {
    await admin.end();
  }
}

function ensureBuild() {
  if (process.env.SKIP_BUILD === "1" && existsSync(path.join(root, "build/server/index.js"))) return;
  const result = spawnSync(
    process.execPath,
    [path.join(root, "node_modules/@remix-run/dev/dist/cli.js"), "vite:build"],
    {
      cwd: root,
      stdio: "pipe",
      env: { ...process.env, NODE_ENV: "production" },
    },
  );
  if (result.status !== 0) throw new Error(`build failed:\n${result.stderr}`);
}

/**
 * A run killed outright (SIGKILL, a crashed runner) never reaches its teardown: its folder is
 * removed by the next run, once the process that made it is gone.
 */
function removeFoldersOfDeadRuns() {
  for (const name of readdirSync(os.tmpdir())) {
    if (!name.startsWith("mamoru-test-")) continue;
    const dir = path.join(os.tmpdir(), name);
    let owner: number | undefined;
    try {
      owner = Number(readFileSync(path.join(dir, "owner.pid"), "utf8"));
    } catch {
      // No owner written (an older run): removed once it is a day old.
      if (Date.now() - statSync(dir).mtimeMs < 86_400_000) continue;
    }
    if (owner !== undefined && isAlive(owner)) continue;
    rmSync(dir, { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export default async function setup(project: TestProject) {
  removeFoldersOfDeadRuns();
  const runDir = mkdtempSync(path.join(os.tmpdir(), "mamoru-test-"));
  writeFileSync(path.join(runDir, "owner.pid"), String(process.pid));
  // CI names the prefix's start, to find anything a run leaves; each run adds its own part.
  const runPrefix = `${process.env.TEST_RUN_PREFIX ?? "mamoru_t"}_${randomBytes(4).toString("hex")}`;
  project.provide("runDir", runDir);
  project.provide("runPrefix", runPrefix);
  const teardown = async () => {
    rmSync(runDir, { recursive: true, force: true });
    if (serverUrl) await dropRunDatabases(runPrefix);
  };
  try {
    // Unit tests need the run's folder only: no build, no database.
    if (project.name === "unit") return teardown;
    ensureBuild();
    if (serverUrl) await preparePostgresTemplate(`${runPrefix}_template`);
    else await preparePgliteImages(runDir);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}

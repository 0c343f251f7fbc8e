// Runs once before the test files: prepares a migrated template database for the engine in use,
// and the production build the HTTP tests serve.
import { spawnSync } from "node:child_process";
import { existsSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { connect } from "../../db/connect.server";
import { migrateToLatest } from "../../db/migrate.server";
import { databaseUrl, serverUrl, templateDatabase, templateDir } from "./engine";

const root = path.resolve(import.meta.dirname, "../..");

async function preparePgliteTemplate() {
  const dir = templateDir();
  if (existsSync(path.join(dir, "PG_VERSION"))) return;
  const building = `${dir}.${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  const handle = await connect({ dataDir: building });
  await migrateToLatest(handle.db);
  await handle.close();
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
}

async function preparePostgresTemplate() {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const name = templateDatabase();
  try {
    const exists = await admin.query("select 1 from pg_database where datname = $1", [name]);
    if (exists.rowCount) return;
    await admin.query(`create database ${name}`);
    const handle = await connect({ databaseUrl: databaseUrl(name), poolSize: 1 });
    await migrateToLatest(handle.db);
    await handle.close();
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

export default async function setup() {
  ensureBuild();
  if (serverUrl) await preparePostgresTemplate();
  else await preparePgliteTemplate();
}

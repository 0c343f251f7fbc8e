// A database of its own for one test file, copied from the migrated template: a data folder on
// PGlite, a database on the Postgres server. Dropped when the file's tests end.
import { randomBytes } from "node:crypto";
import { cpSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll } from "vitest";
import { connect, type DatabaseHandle } from "../../db/connect.server";
import { databaseUrl, engine, serverUrl, templateDatabase, templateDir } from "./engine";

export { engine };

/** A fresh, migrated database, closed and removed after the current file. */
export async function testDatabase(): Promise<DatabaseHandle> {
  const { handle, drop } = await freshDatabase();
  afterAll(drop);
  return handle;
}

/** A fresh, migrated database and the means to remove it (for tests that need one each). */
export async function freshDatabase(): Promise<{ handle: DatabaseHandle; drop: () => Promise<void> }> {
  const suffix = randomBytes(6).toString("hex");
  if (!serverUrl) {
    const dir = path.join(os.tmpdir(), `mamoru-test-${suffix}`);
    cpSync(templateDir(), dir, { recursive: true });
    const handle = await connect({ dataDir: dir });
    return {
      handle,
      drop: async () => {
        await handle.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `mamoru_test_${suffix}`;
  await adminQuery(`create database ${name} template ${templateDatabase()}`);
  const handle = await connect({ databaseUrl: databaseUrl(name), poolSize: 10 });
  return {
    handle,
    drop: async () => {
      await handle.close();
      await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}

/** An empty (unmigrated) database, for the migration tests. */
export async function emptyDatabase(): Promise<{ open: () => Promise<DatabaseHandle> }> {
  const suffix = randomBytes(6).toString("hex");
  if (!serverUrl) {
    const dir = path.join(os.tmpdir(), `mamoru-empty-${suffix}`);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    return { open: () => connect({ dataDir: dir }) };
  }
  const name = `mamoru_empty_${suffix}`;
  await adminQuery(`create database ${name}`);
  afterAll(() => adminQuery(`drop database if exists ${name} with (force)`));
  return { open: () => connect({ databaseUrl: databaseUrl(name), poolSize: 5 }) };
}

async function adminQuery(sql: string) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

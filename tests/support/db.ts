// A database of its own for a test file (or a test), copied from the run's migrated template: an
// in-memory embedded database loaded from the template's image on PGlite, a database made from the
// template on the Postgres server. Nothing outlives the file: see cleanup.ts.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { connect, type DatabaseHandle } from "../../db/connect.server";
import { disposeAfterFile, within } from "./cleanup";
import { adminQuery, databaseUrl, engine, runDatabaseName, runDir, serverUrl, templateDatabase } from "./engine";
import { PGLITE_IMAGES } from "./run";

export { engine };

const images = new Map<string, Blob>();
function image(kind: keyof typeof PGLITE_IMAGES): Blob {
  let blob = images.get(kind);
  if (!blob) {
    blob = new Blob([readFileSync(path.join(runDir(), PGLITE_IMAGES[kind]))]);
    images.set(kind, blob);
  }
  return blob;
}

/**
 * How long a test's query may queue for one of its pool's connections. Tests that write from many
 * connections at once (the chains under concurrency) queue behind a lock, and while CI runs every
 * suite on two cores that took over the app's 5 s once; the app's own limit is tested on its own
 * (availability.test.ts).
 */
export const QUEUE_MS = 60_000;

/** A fresh, migrated database for the current file, closed and removed when the file ends. */
export async function testDatabase(): Promise<DatabaseHandle> {
  return (await freshDatabase()).handle;
}

/**
 * A fresh, migrated database and the means to remove it earlier (for tests that need one each);
 * removed when the file ends in any case.
 */
export async function freshDatabase(): Promise<{
  handle: DatabaseHandle;
  drop: () => Promise<void>;
  /** On the server: its URL, for another process to connect to. */
  url?: string;
}> {
  if (!serverUrl) return disposable("an embedded test database", await connect({ image: image("migrated") }));
  const name = runDatabaseName(`db_${randomBytes(6).toString("hex")}`);
  await adminQuery(`create database ${name} template ${templateDatabase()}`);
  const url = databaseUrl(name);
  const handle = await connect({ databaseUrl: url, poolSize: 10, connectionTimeoutMs: QUEUE_MS });
  return { ...disposable(`test database ${name}`, handle, name), url };
}

/**
 * An empty (unmigrated) database, for the migration tests. On the server `open` may be called
 * several times for several instances of the app; the embedded engine has one owner, so once.
 */
export async function emptyDatabase(): Promise<{ open: () => Promise<DatabaseHandle> }> {
  if (!serverUrl) {
    return {
      open: async () => disposable("an empty embedded database", await connect({ image: image("empty") })).handle,
    };
  }
  const name = runDatabaseName(`empty_${randomBytes(6).toString("hex")}`);
  await adminQuery(`create database ${name}`);
  disposeAfterFile(`empty database ${name}`, () => adminQuery(`drop database if exists ${name} with (force)`));
  return {
    open: async () => {
      const handle = await connect({ databaseUrl: databaseUrl(name), poolSize: 5, connectionTimeoutMs: QUEUE_MS });
      disposeAfterFile(`a pool on ${name}`, () => handle.close());
      return handle;
    },
  };
}

/**
 * Closes `handle` (and drops the server database `name`) once, when asked or when the file ends.
 * Closing a pool waits for every connection it lent: if one is still out after a while, the
 * database is dropped with (force), which ends it, and the run says so (nothing is left behind,
 * but a test held a connection it should have returned).
 */
function disposable(what: string, handle: DatabaseHandle, name?: string) {
  let dropped: Promise<void> | undefined;
  const drop = async () => {
    if (!name) return handle.close();
    const closed = handle.close();
    const late = await within(15_000, `closing ${what}`, closed).then(
      () => undefined,
      (error: Error) => error,
    );
    await adminQuery(`drop database if exists ${name} with (force)`);
    if (late) {
      console.warn(`${late.message}; its connections were ended by dropping it`);
      await within(10_000, `closing ${what} after its connections were ended`, closed).catch(() => {});
    }
  };
  disposeAfterFile(what, () => (dropped ??= drop()));
  return { handle, drop: () => (dropped ??= drop()) };
}

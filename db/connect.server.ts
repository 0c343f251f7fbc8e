// One way to reach the database, two engines: a Postgres server when a URL is given (production,
// many instances), else PGlite, embedded Postgres kept in a local folder (a fresh machine, no set-up).
import { mkdirSync } from "node:fs";
import { Kysely, PostgresDialect, sql, type LogEvent } from "kysely";
import pg from "pg";
import type { Database } from "./schema";
import { PGliteDialect } from "./pglite-dialect.server";
import { PreparingPool } from "./prepared-pool.server";

export type Engine = "postgres" | "pglite";

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: Engine;
  /** False after a query failed for want of a connection; true again once a ping succeeds. */
  readonly healthy: boolean;
  /** Resolves when a trivial query succeeds within `timeoutMs`; rejects otherwise. */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  /** An embedded database in memory, started from a copy of this image (PGlite's dumpDataDir): tests. */
  image?: Blob | undefined;
  poolSize?: number | undefined;
  /**
   * How long a query waits for a connection, queueing for the pool included, before it fails as
   * "database unavailable" (default 5 s: a request should not hang on a database that is gone).
   */
  connectionTimeoutMs?: number | undefined;
}

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "57P01",
  "57P02",
  "57P03",
  "08000",
  "08001",
  "08003",
  "08006",
]);

/** True when an error means the database could not be reached, not that a query was wrong. */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && CONNECTION_CODES.has(code)) return true;
  const message = (error as { message?: unknown }).message;
  return (
    typeof message === "string" &&
    /timeout exceeded when trying to connect|Connection terminated|database ping timed out|connect ECONNREFUSED|PGlite is closed/i.test(
      message,
    )
  );
}

// Postgres returns int8 and numeric as strings to keep precision; counts here fit a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));
// A calendar date (a due date) stays the 'YYYY-MM-DD' it is: a Date would place it in a time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);
const DATE_OID = 1082;

export async function connect(options: ConnectOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client losing its server (restart, failover) must not crash the process; the pool
    // drops it and connects afresh on the next query.
    pool.on("error", () => {});
    // Same for a client that is checked out when its connection drops: its query fails (and is
    // reported there); the event must not also become an uncaught exception.
    pool.on("connect", (client) => {
      client.on("error", () => {});
      // No JIT compilation: the pages' statements are short and run once per request, and
      // compiling a statement as large as the training matrix's took twice as long as running it
      // (docs/decisions/019-training-matrix.md). Queued before the client's first query.
      client.query("set jit = off").catch(() => {});
    });
    return handle(
      (log) => new Kysely<Database>({ dialect: new PostgresDialect({ pool: new PreparingPool(pool) }), log }),
      "postgres",
    );
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const parsers = { [DATE_OID]: (value: string) => value };
  let pglite;
  if (options.image) {
    // An image is a test's database of a few hundred rows: 8 MB of shared buffers instead of 128,
    // and room for one connection, make each start take about half the CPU (docs/decisions/009).
    const startParams = [...PGlite.defaultStartParams, "-c", "shared_buffers=8MB", "-c", "max_connections=2"];
    pglite = await PGlite.create({ loadDataDir: options.image, parsers, startParams });
  } else {
    const dataDir = options.dataDir ?? "./data";
    mkdirSync(dataDir, { recursive: true });
    pglite = await PGlite.create(dataDir, { parsers });
  }
  return handle((log) => new Kysely<Database>({ dialect: new PGliteDialect(pglite), log }), "pglite");
}

function handle(make: (log: (event: LogEvent) => void) => Kysely<Database>, engine: Engine): DatabaseHandle {
  let closed = false;
  let healthy = true;
  const db = make((event) => {
    if (event.level === "error" && isConnectionError(event.error)) healthy = false;
  });
  return {
    db,
    engine,
    get healthy() {
      return healthy;
    },
    async ping(timeoutMs = 2_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("database ping timed out")), timeoutMs);
      });
      try {
        await Promise.race([sql`select 1`.execute(db), timeout]);
        healthy = true;
      } catch (error) {
        healthy = false;
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

// One way to reach the database, two engines: a Postgres server when a URL is given (production,
// many instances), else PGlite, embedded Postgres kept in a local folder (a fresh machine, no set-up).
import { mkdirSync } from "node:fs";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { Database } from "./schema";
import { PGliteDialect } from "./pglite-dialect";

export type Engine = "postgres" | "pglite";

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: Engine;
  /** Resolves when a trivial query succeeds within `timeoutMs`; rejects otherwise. */
  ping(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  databaseUrl?: string | undefined;
  dataDir?: string | undefined;
  poolSize?: number | undefined;
}

// Postgres returns int8 and numeric as strings to keep precision; counts here fit a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

export async function connect(options: ConnectOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client losing its server (restart, failover) must not crash the process; the pool
    // drops it and connects afresh on the next query.
    pool.on("error", () => {});
    return handle(new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), "postgres");
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const dataDir = options.dataDir ?? "./data";
  mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  return handle(new Kysely<Database>({ dialect: new PGliteDialect(pglite) }), "pglite");
}

function handle(db: Kysely<Database>, engine: Engine): DatabaseHandle {
  let closed = false;
  return {
    db,
    engine,
    async ping(timeoutMs = 2_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("database ping timed out")), timeoutMs);
      });
      try {
        await Promise.race([sql`select 1`.execute(db), timeout]);
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

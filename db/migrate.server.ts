import { Migrator, sql, type Kysely, type MigrationResultSet } from "kysely";
import { installJobQueue } from "./job-queue.server";
import { migrations } from "./migrations";

// An arbitrary, fixed key for the session-level advisory lock that serialises migrations when
// several instances start at once against one server.
const MIGRATION_LOCK_KEY = 72_130_417;

/** Brings the schema to the latest version. Safe to call from many instances at the same time. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(conn);
    try {
      const migrator = new Migrator({
        db: conn,
        provider: { getMigrations: async () => migrations },
      });
      const result: MigrationResultSet = await migrator.migrateToLatest();
      if (result.error) throw result.error;
      await installJobQueue(conn);
      return (result.results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(conn);
    }
  });
}

// Two roles on a Postgres server: the schema owner runs the migrations; the app's role serves
// requests and may read and write rows, but owns nothing, so it cannot disable a trigger, alter or
// truncate a table, and it may only add to the chained tables. See README, "Database roles".
import { JOB_SCHEMA } from "./job-queue.server";
import { sql, type Kysely } from "kysely";
import { connect } from "./connect.server";
import { migrateToLatest } from "./migrate.server";

/** Tables the app may only read and add to: the hash chains. */
export const APPEND_ONLY_TABLES = ["completion_records", "audit_events"] as const;
const MIGRATION_TABLES = ["kysely_migration", "kysely_migration_lock"];

/**
 * Grants `role` what serving requests needs on every table the migrations made, and no more.
 * Idempotent; run by the owner after each migration (a new table is granted on the next run).
 */
export async function grantAppRole(owner: Kysely<any>, role: string): Promise<void> {
  const r = sql.id(role);
  const tables = (list: readonly string[]) => sql.join(list.map((t) => sql.id(t)));
  const statements = [
    sql`grant usage on schema public to ${r}`,
    sql`revoke all on all tables in schema public from ${r}`,
    sql`grant select, insert, update, delete on all tables in schema public to ${r}`,
    sql`revoke update, delete on ${tables(APPEND_ONLY_TABLES)} from ${r}`,
    sql`revoke insert, update, delete on ${tables(MIGRATION_TABLES)} from ${r}`,
    sql`grant usage, select on all sequences in schema public to ${r}`,
    // The job queue's tables (pg-boss, installed by the owner with the migrations): jobs are
    // written, taken and cleaned up by the app; its schema and queues are not the app's to change.
    sql`grant usage on schema ${sql.id(JOB_SCHEMA)} to ${r}`,
    sql`grant select, insert, update, delete on all tables in schema ${sql.id(JOB_SCHEMA)} to ${r}`,
    sql`grant usage, select on all sequences in schema ${sql.id(JOB_SCHEMA)} to ${r}`,
  ];
  for (const statement of statements) await statement.execute(owner);
}

/**
 * Brings the schema up to date. With a separate owner's URL, migrates through it and grants the
 * app's role (whoever `app` connects as); otherwise the app's own connection migrates (the
 * embedded engine, or a server with one role).
 */
export async function prepareDatabase(app: Kysely<any>, migrationDatabaseUrl: string | undefined): Promise<string[]> {
  if (!migrationDatabaseUrl) return migrateToLatest(app);
  const owner = await connect({ databaseUrl: migrationDatabaseUrl, poolSize: 1 });
  try {
    const applied = await migrateToLatest(owner.db);
    const appRole = await currentRole(app);
    if (appRole !== (await currentRole(owner.db))) await grantAppRole(owner.db, appRole);
    return applied;
  } finally {
    await owner.close();
  }
}

async function currentRole(db: Kysely<any>): Promise<string> {
  return (await sql<{ role: string }>`select current_user as role`.execute(db)).rows[0]!.role;
}

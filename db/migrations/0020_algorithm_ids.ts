import { sql, type Kysely } from "kysely";

// Crypto agility (ADR 025): each chain link names the algorithms of its hash and MAC beside the key
// id, so that an algorithm can be replaced without guessing what older links used. Links written
// before have none (null): they were made with SHA-256 and HMAC-SHA-256, which is what a missing
// identifier means for good. Adding a column changes no row, so no append-only trigger fires.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table completion_records add column alg text,
    add constraint completion_records_alg_mac check (alg is null or mac is not null)`.execute(db);
  await sql`alter table audit_events add column alg text,
    add constraint audit_events_alg_mac check (alg is null or mac is not null)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("The algorithm identifiers migration cannot be reverted");
}

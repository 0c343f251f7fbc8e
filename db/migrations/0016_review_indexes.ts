import { sql, type Kysely } from "kysely";

// Indexes the reviewer's audit trail needs at national scale (docs/performance.md shows the plans):
// - one agency's events newest first: the viewer's first page read 51 rows of an index instead of
//   all the trail's events (2.1 s on a million events, 0.9 ms with it);
// - people by their id as text: events keep their subject's id as text (some subjects are not
//   rows), and the viewer joins the subject's name on it; without it, every page sorted the users.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index audit_events_agency_at_idx on audit_events (agency_id, at desc, id desc)`.execute(db);
  await sql`create index users_id_text_idx on users ((id::text))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index users_id_text_idx`.execute(db);
  await sql`drop index audit_events_agency_at_idx`.execute(db);
}

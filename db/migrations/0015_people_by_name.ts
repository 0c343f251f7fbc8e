import { sql, type Kysely } from "kysely";

// People in name order, as the training matrix pages and exports them (keyset on name and id): an
// agency's people for its reviewers and trainers, everyone's for an admin. With these the next
// batch of an export walks the index from the cursor and stops when the batch is full, instead of
// sorting the whole agency again for every batch.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index users_agency_name_idx on users (agency_id, display_name, id)`.execute(db);
  await sql`create index users_name_idx on users (display_name, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index users_name_idx`.execute(db);
  await sql`drop index users_agency_name_idx`.execute(db);
}

import { sql, type Kysely } from "kysely";

// The chains get their anchors (ADR 014): every completion record carries a MAC of its hash and the
// id of the key that made it, and the audit trail becomes a chain like the records. Links written
// before this migration have no MAC, and audit events before it no hash: the first keyed link
// after them, and the checkpoints kept outside the database, vouch for them (the key is never in
// the database, so a migration cannot MAC them).
export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    sql`alter table completion_records add column mac text, add column key_id text,
      add constraint completion_records_mac_key check ((mac is null) = (key_id is null))`,
    // Existing events are numbered in the order they were written, then new ones in the order the
    // chain's lock lets them in.
    sql`alter table audit_events add column seq integer`,
    sql`update audit_events e set seq = o.n from
      (select id, row_number() over (order by at, id) as n from audit_events) o where o.id = e.id`,
    sql`alter table audit_events alter column seq set not null,
      alter column seq add generated always as identity`,
    sql`select setval(pg_get_serial_sequence('audit_events', 'seq'), coalesce(max(seq), 0) + 1, false) from audit_events`,
    sql`alter table audit_events add column prev_hash text, add column hash text, add column mac text,
      add column key_id text,
      add constraint audit_events_hash_link check ((hash is null) = (prev_hash is null)),
      add constraint audit_events_mac_key check ((mac is null) = (key_id is null)),
      add constraint audit_events_mac_hash check (mac is null or hash is not null)`,
    sql`create unique index audit_events_seq_key on audit_events (seq)`,
    sql`create unique index audit_events_hash_key on audit_events (hash)`,
    // One agency's events in chain order, for the agency's integrity check and its audit viewer.
    sql`create index audit_events_agency_seq_idx on audit_events (agency_id, seq)`,
  ];
  // The numbering above writes to the append-only table once, as its owner.
  await sql`alter table audit_events disable trigger audit_events_append_only`.execute(db);
  for (const statement of statements) await statement.execute(db);
  await sql`alter table audit_events enable trigger audit_events_append_only`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("The chain anchors migration cannot be reverted");
}

import { sql, type Kysely } from "kysely";

// Bulk invitation from a CSV file: the upload is kept here between its preview and its
// confirmation, so that the confirmation re-reads the file the server holds, never a copy sent
// back by the browser. The content hash recognises a confirmed import sent again (a double submit,
// the back button). The file itself (names and addresses) is dropped once confirmed; an upload
// left unconfirmed expires. An invitation may now carry the group its invitee joins on accepting,
// the name its inviter gave, and the import it came from.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table invitation_imports (
      id uuid primary key default gen_random_uuid(),
      agency_id uuid not null references agencies (id),
      created_by uuid not null references users (id),
      content_hash text not null,
      encoding text not null check (encoding in ('utf-8', 'utf-8-bom', 'shift_jis')),
      content text,
      status text not null default 'previewed' check (status in ('previewed', 'confirmed')),
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      confirmed_at timestamptz,
      counts jsonb,
      check ((status = 'confirmed') = (confirmed_at is not null)),
      check ((status = 'previewed') = (content is not null))
    )
  `.execute(db);
  await sql`create index invitation_imports_hash_idx on invitation_imports (agency_id, content_hash)`.execute(db);
  await sql`
    alter table invitations
      add column group_id uuid references groups (id) on delete set null,
      add column display_name text check (char_length(display_name) <= 100),
      add column import_id uuid references invitation_imports (id)
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table invitations
      drop column import_id,
      drop column display_name,
      drop column group_id
  `.execute(db);
  await sql`drop table invitation_imports`.execute(db);
}

import { sql, type Kysely } from "kysely";

// An invitation can end before it is used: a newer invitation to the same address supersedes it,
// the account made with another invitation to that address ends it, or its inviter revokes it.
// An ended link opens a page that says which, instead of a sign-up form that fails on submit.
// At most one open invitation per address: the index also serialises two invitations at once.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table invitations
      add column ended_at timestamptz,
      add column end_reason text check (end_reason in ('superseded', 'account_made', 'revoked')),
      add column ended_by uuid references users (id),
      add constraint invitations_ended_check check ((ended_at is null) = (end_reason is null))
  `.execute(db);
  // Invitations already open side by side: keep the newest per address, end the rest as superseded.
  await sql`
    update invitations i set ended_at = now(), end_reason = 'superseded'
    where i.accepted_at is null
      and exists (
        select 1 from invitations n
        where n.email = i.email and n.accepted_at is null and n.id <> i.id
          and (n.created_at, n.id) > (i.created_at, i.id)
      )
  `.execute(db);
  // An address that already has an account from an accepted invitation has no open ones left.
  await sql`
    update invitations i set ended_at = now(), end_reason = 'account_made'
    where i.accepted_at is null and i.ended_at is null
      and exists (select 1 from invitations a where a.email = i.email and a.accepted_at is not null)
  `.execute(db);
  await sql`
    create unique index invitations_one_open_per_email on invitations (email)
    where accepted_at is null and ended_at is null
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index invitations_one_open_per_email`.execute(db);
  await sql`
    alter table invitations
      drop constraint invitations_ended_check,
      drop column ended_by,
      drop column end_reason,
      drop column ended_at
  `.execute(db);
}

import { sql, type Kysely } from "kysely";

// Multi-factor authentication and a person's view of their sessions (ADR 021):
// - sessions get a public reference (the id is the token's hash, never put in a page), the
//   browser's User-Agent and when the session was last used, so a person can tell them apart
//   and end one;
// - a time-based one-time password (TOTP) per person, its secret encrypted with a key the database
//   never holds, and the newest time step accepted, so that no code is accepted twice;
// - single-use recovery codes, stored as keyed hashes;
// - the short-lived state between the right password and the second factor (not a session);
// - passkeys (WebAuthn credentials);
// - the roles an admin requires a second factor of.
const ROLES = ["trainee", "trainer", "reviewer", "admin"];
const oneOf = (column: string, values: readonly string[]) =>
  sql.raw(`check (${column} in (${values.map((v) => `'${v}'`).join(", ")}))`);

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table sessions
      add column ref uuid not null default gen_random_uuid(),
      add column user_agent text,
      add column last_seen_at timestamptz not null default now()
  `.execute(db);
  await sql`create unique index sessions_ref_idx on sessions (ref)`.execute(db);

  await sql`
    create table totp_credentials (
      user_id uuid primary key references users (id),
      secret text not null,
      key_id text not null,
      confirmed_at timestamptz,
      last_step integer,
      created_at timestamptz not null default now()
    )
  `.execute(db);

  await sql`
    create table recovery_codes (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id),
      code_hash text not null,
      key_id text not null,
      used_at timestamptz,
      created_at timestamptz not null default now()
    )
  `.execute(db);
  await sql`create index recovery_codes_user_idx on recovery_codes (user_id)`.execute(db);

  await sql`
    create table mfa_challenges (
      token_hash text primary key,
      user_id uuid not null references users (id),
      webauthn_challenge text,
      expires_at timestamptz not null,
      created_at timestamptz not null default now()
    )
  `.execute(db);
  await sql`create index mfa_challenges_user_idx on mfa_challenges (user_id)`.execute(db);

  await sql`
    create table passkeys (
      id text primary key,
      user_id uuid not null references users (id),
      public_key text not null,
      counter integer not null default 0,
      transports jsonb not null default '[]',
      name text not null,
      created_at timestamptz not null default now(),
      last_used_at timestamptz
    )
  `.execute(db);
  await sql`create index passkeys_user_idx on passkeys (user_id)`.execute(db);

  await sql`
    create table mfa_required_roles (
      role text primary key ${oneOf("role", ROLES)},
      required_by uuid references users (id),
      required_at timestamptz not null default now()
    )
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table mfa_required_roles`.execute(db);
  await sql`drop table passkeys`.execute(db);
  await sql`drop table mfa_challenges`.execute(db);
  await sql`drop table recovery_codes`.execute(db);
  await sql`drop table totp_credentials`.execute(db);
  await sql`drop index sessions_ref_idx`.execute(db);
  await sql`alter table sessions drop column last_seen_at, drop column user_agent, drop column ref`.execute(db);
}

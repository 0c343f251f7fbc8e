import { sql, type Kysely } from "kysely";

// A migration is frozen in time: it carries its own values and never imports the app's, so that a
// fresh database and an upgraded one end up alike. A new value is a new migration.
const AGENCY_KINDS = [
  "police",
  "prosecution",
  "court",
  "child_guidance",
  "juvenile_protection",
  "social_services",
  "other",
];
const PROFESSIONS = [
  "police",
  "prosecutor",
  "judge",
  "social_worker",
  "child_guidance",
  "juvenile_protection",
  "other",
];
const ROLES = ["trainee", "trainer", "reviewer", "admin"];
const GROUP_KINDS = ["unit", "cohort"];
const LOCALES = ["ja", "en"];

// Migrations take Kysely<unknown>: they must not depend on today's types, which move on.
const oneOf = (column: string, values: readonly string[]) =>
  sql.raw(`check (${column} in (${values.map((v) => `'${v}'`).join(", ")}))`);

export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    sql`
      create table agencies (
      id uuid primary key default gen_random_uuid(),
      name text not null,
      kind text not null ${oneOf("kind", AGENCY_KINDS)},
      created_at timestamptz not null default now()
      )
    `,
    sql`
      create unique index agencies_name_key on agencies (lower(name))
    `,
    sql`
      create table groups (
      id uuid primary key default gen_random_uuid(),
      agency_id uuid not null references agencies (id),
      name text not null,
      kind text not null ${oneOf("kind", GROUP_KINDS)},
      created_at timestamptz not null default now()
      )
    `,
    sql`
      create unique index groups_agency_name_key on groups (agency_id, lower(name))
    `,
    sql`
      create table users (
      id uuid primary key default gen_random_uuid(),
      email text not null check (email = lower(email)),
      display_name text not null,
      profession text not null ${oneOf("profession", PROFESSIONS)},
      locale text ${oneOf("locale", LOCALES)},
      agency_id uuid not null references agencies (id),
      disabled_at timestamptz,
      created_at timestamptz not null default now()
      )
    `,
    sql`
      create unique index users_email_key on users (email)
    `,
    sql`
      create index users_agency_idx on users (agency_id)
    `,
    sql`
      create table group_members (
      group_id uuid not null references groups (id) on delete cascade,
      user_id uuid not null references users (id),
      added_at timestamptz not null default now(),
      primary key (group_id, user_id)
      )
    `,
    sql`
      create index group_members_user_idx on group_members (user_id)
    `,
    sql`
      create table user_roles (
      user_id uuid not null references users (id),
      role text not null ${oneOf("role", ROLES)},
      primary key (user_id, role)
      )
    `,
    sql`
      create table password_credentials (
      user_id uuid primary key references users (id),
      hash text not null,
      updated_at timestamptz not null default now()
      )
    `,
    sql`
      create table sessions (
      id text primary key,
      user_id uuid not null references users (id),
      expires_at timestamptz not null,
      absolute_expires_at timestamptz not null,
      created_at timestamptz not null default now()
      )
    `,
    sql`
      create index sessions_user_idx on sessions (user_id)
    `,
    sql`
      create table invitations (
      id uuid primary key default gen_random_uuid(),
      token_hash text not null unique,
      email text not null check (email = lower(email)),
      agency_id uuid not null references agencies (id),
      role text not null ${oneOf("role", ROLES)},
      profession text not null ${oneOf("profession", PROFESSIONS)},
      invited_by uuid references users (id),
      expires_at timestamptz not null,
      accepted_at timestamptz,
      accepted_user_id uuid references users (id),
      created_at timestamptz not null default now()
      )
    `,
    sql`
      create table password_resets (
      id uuid primary key default gen_random_uuid(),
      token_hash text not null unique,
      user_id uuid not null references users (id),
      expires_at timestamptz not null,
      used_at timestamptz,
      created_at timestamptz not null default now()
      )
    `,
    sql`
      create table setup_tokens (
      token_hash text primary key,
      expires_at timestamptz not null,
      used_at timestamptz,
      created_at timestamptz not null default now()
      )
    `,
    sql`
      create table throttles (
      key text primary key,
      failures integer not null,
      window_started_at timestamptz not null,
      locked_until timestamptz
      )
    `,
    sql`
      create table mail_outbox (
      id uuid primary key default gen_random_uuid(),
      to_address text not null,
      subject text not null,
      body_text text not null,
      status text not null check (status in ('kept', 'sent', 'failed')),
      error text,
      created_at timestamptz not null default now()
      )
    `,
    sql`
      create table audit_events (
      id uuid primary key default gen_random_uuid(),
      at timestamptz not null default clock_timestamp(),
      actor_id uuid references users (id),
      agency_id uuid references agencies (id),
      action text not null,
      subject_type text not null,
      subject_id text,
      details jsonb not null default '{}'
      )
    `,
    sql`
      create index audit_events_at_idx on audit_events (at)
    `,
    sql`
      -- The audit trail is append-only: the database itself refuses to change or remove an event.
      create function refuse_change() returns trigger language plpgsql as $$
      begin
      raise exception '% is append-only', tg_table_name using errcode = 'insufficient_privilege';
      end $$
    `,
    sql`
      create trigger audit_events_append_only before update or delete on audit_events
      for each row execute function refuse_change()
    `,
  ];
  // One statement at a time: the embedded engine runs a single statement per query.
  for (const statement of statements) await statement.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("The foundation migration cannot be reverted");
}

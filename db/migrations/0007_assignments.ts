import { sql, type Kysely } from "kysely";

// Training that is given, not chosen: an assignment of a course or one module to people, a group or
// everyone of a profession in an agency, with a due date. Each person it reaches gets an `assignees`
// row from the day it reaches them; leaving (unassigned, left the group) ends the row and keeps it.
// Notifications are written once each, keyed by what they are about; mail leaves through the job
// queue (pg-boss, schema `pgboss`, installed beside the migrations).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table assignments (
      id uuid primary key default gen_random_uuid(),
      agency_id uuid not null references agencies (id),
      course_slug text references courses (slug),
      module_slug text references modules (slug),
      audience text not null check (audience in ('people', 'group', 'profession')),
      group_id uuid references groups (id),
      profession text check (profession in (
        'police', 'prosecutor', 'judge', 'social_worker', 'child_guidance', 'juvenile_protection',
        'teacher', 'lawyer', 'media', 'other'
      )),
      due_on date,
      due_days integer check (due_days between 1 and 3650),
      remind_days integer[] not null default '{7,1}',
      recurs boolean not null default false,
      renewal_window_days integer not null default 60 check (renewal_window_days between 1 and 365),
      note text check (char_length(note) <= 1000),
      assigned_by uuid references users (id),
      created_at timestamptz not null default now(),
      ended_at timestamptz,
      ended_by uuid references users (id),
      check (num_nonnulls(course_slug, module_slug) = 1),
      check (num_nonnulls(due_on, due_days) = 1),
      check ((audience = 'group') = (group_id is not null)),
      check ((audience = 'profession') = (profession is not null))
    )
  `.execute(db);
  await sql`create index assignments_agency_idx on assignments (agency_id) where ended_at is null`.execute(db);
  await sql`create index assignments_group_idx on assignments (group_id) where ended_at is null`.execute(db);

  await sql`
    create table assignees (
      id uuid primary key default gen_random_uuid(),
      assignment_id uuid not null references assignments (id),
      user_id uuid not null references users (id),
      since timestamptz not null default now(),
      extended_to date,
      extended_by uuid references users (id),
      ended_at timestamptz,
      end_reason text check (end_reason in ('unassigned', 'left_group', 'left_agency', 'profession_changed', 'disabled')),
      check ((ended_at is null) = (end_reason is null))
    )
  `.execute(db);
  // One live obligation per person and assignment; ended ones stay as history.
  await sql`create unique index assignees_live_idx on assignees (assignment_id, user_id) where ended_at is null`.execute(
    db,
  );
  await sql`create index assignees_user_idx on assignees (user_id) where ended_at is null`.execute(db);

  await sql`
    create table notifications (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id),
      kind text not null check (kind in ('assigned', 'due_soon', 'overdue', 'expiring', 'digest')),
      -- What the notification is about, e.g. 'due_soon:<assignee>:<due date>:<days>': written once.
      key text not null unique,
      subject text not null,
      body_text text not null,
      link text not null,
      mail_id uuid references mail_outbox (id),
      created_at timestamptz not null default now(),
      read_at timestamptz
    )
  `.execute(db);
  await sql`create index notifications_user_idx on notifications (user_id, created_at desc)`.execute(db);

  // Mail now waits in the outbox ('queued') until a job delivers it, with retries.
  await sql`alter table mail_outbox drop constraint mail_outbox_status_check`.execute(db);
  await sql`
    alter table mail_outbox
      add constraint mail_outbox_status_check check (status in ('kept', 'queued', 'sent', 'failed')),
      add column attempts integer not null default 0,
      add column sent_at timestamptz
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table notifications`.execute(db);
  await sql`drop table assignees`.execute(db);
  await sql`drop table assignments`.execute(db);
  await sql`alter table mail_outbox drop column attempts, drop column sent_at`.execute(db);
}

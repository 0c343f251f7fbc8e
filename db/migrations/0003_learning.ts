import { sql, type Kysely } from "kysely";

// A trainee's path through a module: enrolments, lessons done, quiz attempts, and the completion
// records agencies rely on (append-only, hash-chained).
export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    sql`create table enrollments (
      user_id uuid not null references users (id),
      course_slug text not null references courses (slug),
      enrolled_at timestamptz not null default now(),
      primary key (user_id, course_slug)
    )`,
    sql`create table lesson_progress (
      user_id uuid not null references users (id),
      module_version_id uuid not null,
      lesson_id text not null,
      completed_at timestamptz not null default now(),
      primary key (user_id, module_version_id, lesson_id),
      foreign key (module_version_id, lesson_id) references lessons (module_version_id, lesson_id)
    )`,
    sql`create table quiz_attempts (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id),
      module_version_id uuid not null references module_versions (id),
      stage text not null check (stage in ('pretest', 'final')),
      served jsonb not null,
      answers jsonb not null default '{}',
      started_at timestamptz not null default now(),
      submitted_at timestamptz,
      correct integer,
      total integer,
      score integer,
      passed boolean
    )`,
    sql`create index quiz_attempts_user_idx on quiz_attempts (user_id, module_version_id)`,
    // One open attempt per person, module version and stage; one pre-test per module version.
    sql`create unique index quiz_attempts_one_open on quiz_attempts (user_id, module_version_id, stage) where submitted_at is null`,
    sql`create unique index quiz_attempts_one_pretest on quiz_attempts (user_id, module_version_id) where stage = 'pretest'`,
    // A submitted attempt is a record: it never changes and is never removed.
    sql`create function refuse_submitted_change() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' or old.submitted_at is not null then
          raise exception 'a submitted attempt cannot be changed' using errcode = 'insufficient_privilege';
        end if;
        return new;
      end $$`,
    sql`create trigger quiz_attempts_frozen before update or delete on quiz_attempts
      for each row execute function refuse_submitted_change()`,
    sql`create table completion_records (
      seq integer generated always as identity primary key,
      id uuid not null unique default gen_random_uuid(),
      kind text not null check (kind in ('module', 'course')),
      user_id uuid not null references users (id),
      module_version_id uuid references module_versions (id),
      course_slug text references courses (slug),
      attempt_id uuid unique references quiz_attempts (id),
      score integer,
      pretest_score integer,
      started_at timestamptz,
      completed_at timestamptz not null,
      expires_at timestamptz not null,
      certificate_code text unique,
      details jsonb not null,
      prev_hash text not null,
      hash text not null unique,
      check ((kind = 'module') = (module_version_id is not null)),
      check ((kind = 'course') = (course_slug is not null and certificate_code is not null))
    )`,
    sql`create index completion_records_user_idx on completion_records (user_id, kind)`,
    sql`create trigger completion_records_append_only before update or delete on completion_records
      for each row execute function refuse_change()`,
  ];
  for (const statement of statements) await statement.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("The learning migration cannot be reverted");
}

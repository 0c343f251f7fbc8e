import { sql, type Kysely } from "kysely";

// Course content, loaded from modules/ by the sync. Module versions are immutable: a completion
// record points at the exact version a trainee took, so older versions are never changed or removed.
export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    sql`create table recommendations (
      id text primary key,
      section text not null,
      text text not null,
      trainable boolean not null,
      position integer not null
    )`,
    sql`create table misconceptions (
      id text primary key,
      label jsonb not null
    )`,
    sql`create table modules (
      slug text primary key,
      latest_version integer not null,
      created_at timestamptz not null default now()
    )`,
    sql`create table module_versions (
      id uuid primary key default gen_random_uuid(),
      module_slug text not null references modules (slug),
      version integer not null,
      content_hash text not null,
      locales jsonb not null,
      title jsonb not null,
      summary jsonb not null,
      professions jsonb not null,
      minutes integer not null,
      pass_mark integer not null,
      quiz_settings jsonb not null,
      sources jsonb not null,
      recommendation_ids jsonb not null,
      created_at timestamptz not null default now(),
      unique (module_slug, version)
    )`,
    sql`create table lessons (
      module_version_id uuid not null references module_versions (id),
      lesson_id text not null,
      position integer not null,
      title jsonb not null,
      minutes integer not null,
      content_note jsonb,
      html jsonb not null,
      primary key (module_version_id, lesson_id)
    )`,
    sql`create table questions (
      module_version_id uuid not null references module_versions (id),
      question_id text not null,
      stage text not null check (stage in ('pretest', 'final')),
      position integer not null,
      kind text not null check (kind in ('single', 'multiple', 'true_false', 'scenario')),
      content jsonb not null,
      primary key (module_version_id, question_id)
    )`,
    sql`create table courses (
      slug text primary key,
      title jsonb not null,
      summary jsonb not null,
      professions jsonb not null,
      recertification_months integer not null,
      position integer not null,
      archived_at timestamptz,
      updated_at timestamptz not null default now()
    )`,
    sql`create table course_modules (
      course_slug text not null references courses (slug),
      position integer not null,
      module_slug text not null references modules (slug),
      primary key (course_slug, position)
    )`,
    sql`create table content_syncs (
      id uuid primary key default gen_random_uuid(),
      at timestamptz not null default clock_timestamp(),
      ok boolean not null,
      content_hash text,
      summary jsonb not null,
      error text
    )`,
    sql`create index content_syncs_at_idx on content_syncs (at desc)`,
    // Published versions are part of the record; the database refuses to change them.
    sql`create trigger module_versions_immutable before update or delete on module_versions
      for each row execute function refuse_change()`,
    sql`create trigger lessons_immutable before update or delete on lessons
      for each row execute function refuse_change()`,
    sql`create trigger questions_immutable before update or delete on questions
      for each row execute function refuse_change()`,
  ];
  for (const statement of statements) await statement.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("The catalog migration cannot be reverted");
}

import { sql, type Kysely } from "kysely";

// Each reading of a lesson: when the page was first served to the person (for this reading), in
// which language, the minimum reading time that applied, and when they confirmed it. A lesson is
// read once before the final quiz, and again when a failed attempt sends the trainee back to it.
// This migration carries its own values and imports nothing from the app.
export async function up(db: Kysely<unknown>): Promise<void> {
  const statements = [
    sql`create table lesson_reads (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id),
      module_version_id uuid not null,
      lesson_id text not null,
      locale text not null check (locale in ('en', 'ja')),
      served_at timestamptz not null,
      min_seconds integer not null check (min_seconds >= 0),
      confirmed_at timestamptz,
      foreign key (module_version_id, lesson_id) references lessons (module_version_id, lesson_id),
      -- The database itself refuses a confirmation that comes before the minimum reading time.
      check (confirmed_at is null or confirmed_at >= served_at + min_seconds * interval '1 second')
    )`,
    // One reading in progress per person and lesson; confirmed readings accumulate.
    sql`create unique index lesson_reads_one_open on lesson_reads (user_id, module_version_id, lesson_id)
      where confirmed_at is null`,
    sql`create index lesson_reads_user_idx on lesson_reads (user_id, module_version_id)`,
    // A confirmed reading is a record: it never changes and is never removed.
    sql`create function refuse_confirmed_read_change() returns trigger language plpgsql as $$
      begin
        if old.confirmed_at is not null then
          raise exception 'a confirmed reading cannot be changed' using errcode = 'insufficient_privilege';
        end if;
        if tg_op = 'DELETE' then return old; end if;
        return new;
      end $$`,
    sql`create trigger lesson_reads_frozen before update or delete on lesson_reads
      for each row execute function refuse_confirmed_read_change()`,
  ];
  for (const statement of statements) await statement.execute(db);
}

export async function down(): Promise<void> {
  throw new Error("The lesson reads migration cannot be reverted");
}

import { sql, type Kysely } from "kysely";

// Who trains whom: a trainer of a group is not merely a member of it. Trainers see and assign
// work to the people of the groups they train, and to no one else.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table group_trainers (
      group_id uuid not null references groups (id) on delete cascade,
      user_id uuid not null references users (id),
      added_at timestamptz not null default now(),
      added_by uuid references users (id),
      primary key (group_id, user_id)
    )
  `.execute(db);
  await sql`create index group_trainers_user_idx on group_trainers (user_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table group_trainers`.execute(db);
}

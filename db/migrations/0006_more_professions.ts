import { sql, type Kysely } from "kysely";

// The report names teachers, lawyers and media professionals among those to be trained: each gets
// a profession of its own (and a learning path), no longer "other".
const PROFESSIONS = [
  "police",
  "prosecutor",
  "judge",
  "social_worker",
  "child_guidance",
  "juvenile_protection",
  "teacher",
  "lawyer",
  "media",
  "other",
];

export async function up(db: Kysely<unknown>): Promise<void> {
  const allowed = sql.raw(PROFESSIONS.map((p) => `'${p}'`).join(", "));
  for (const table of ["users", "invitations"]) {
    const name = sql.raw(`${table}_profession_check`);
    await sql`alter table ${sql.table(table)} drop constraint ${name}`.execute(db);
    await sql`alter table ${sql.table(table)} add constraint ${name} check (profession in (${allowed}))`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error("Professions cannot be removed once people may hold them");
}

import { sql, type Kysely } from "kysely";

// A second factor by default, and recovery codes of at least 112 bits (ADR 024):
// - a new installation requires a second factor of every role (ASVS 6.3.3); an admin may relax it
//   per role on /admin/security. A database that already has people keeps the choice its admins
//   made: the requirement is written only while there is no one yet;
// - the recovery codes issued until now had 50 bits and no longer work (the new ones have 118.9
//   bits, ASVS 6.5.2): they are removed, so that the count a person sees is of codes that work.
const ROLES = ["trainee", "trainer", "reviewer", "admin"];

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    insert into mfa_required_roles (role)
    select role from unnest(${sql.val(ROLES)}::text[]) as r (role)
    where not exists (select 1 from users)
    on conflict (role) do nothing
  `.execute(db);
  await sql`delete from recovery_codes`.execute(db);
}

// Nothing to undo: the requirement is the admins' to change from here on, and removed recovery
// codes cannot come back.
export async function down(): Promise<void> {}

import type { Kysely } from "kysely";
import type { Database } from "../../../db/schema";

/** The figures on the admin's front page. */
export async function platformCounts(db: Kysely<Database>) {
  const [agencies, users] = await Promise.all([
    db
      .selectFrom("agencies")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom("users")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("disabled_at", "is", null)
      .executeTakeFirstOrThrow(),
  ]);
  return { agencies: Number(agencies.n), users: Number(users.n) };
}

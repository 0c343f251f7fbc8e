// The first start: with no users at all, the server prints a one-time link that creates the first
// admin and their agency. Once anyone exists, the link and the page refuse.
import { sql, type Kysely } from "kysely";
import type { AgencyKind, Database, Locale, Profession } from "../../../db/schema";
import { audit } from "../audit.server";
import { DomainError } from "../shared/errors.server";
import { hashToken, newToken, tokenStatus, type TokenStatus } from "../shared/tokens.server";
import { assertAcceptablePassword, setPassword } from "./accounts.server";
import { hashPassword, type HashParams } from "./passwords.server";

export const SETUP_TTL_MS = 24 * 3_600_000;
const SETUP_LOCK_KEY = 72_130_418;

async function hasUsers(db: Kysely<Database>): Promise<boolean> {
  return (await db.selectFrom("users").select("id").limit(1).executeTakeFirst()) !== undefined;
}

/** A fresh set-up token when the platform has no users yet; null otherwise. */
export async function issueSetupToken(db: Kysely<Database>): Promise<string | null> {
  if (await hasUsers(db)) return null;
  const token = newToken();
  await db
    .insertInto("setup_tokens")
    .values({ token_hash: hashToken(token), expires_at: new Date(Date.now() + SETUP_TTL_MS) })
    .execute();
  return token;
}

export async function inspectSetupToken(db: Kysely<Database>, token: string): Promise<TokenStatus> {
  if (await hasUsers(db)) return "used";
  const row = await db
    .selectFrom("setup_tokens")
    .select(["expires_at", "used_at"])
    .where("token_hash", "=", hashToken(token))
    .executeTakeFirst();
  return tokenStatus(row);
}

export interface FirstAdminInput {
  agencyName: string;
  agencyKind: AgencyKind;
  displayName: string;
  email: string;
  password: string;
  profession: Profession;
  locale: Locale;
}

export async function createFirstAdmin(
  db: Kysely<Database>,
  hashing: HashParams,
  token: string,
  input: FirstAdminInput,
): Promise<{ userId: string }> {
  const email = input.email.trim().toLowerCase();
  assertAcceptablePassword(input.password, { email, displayName: input.displayName });
  const hash = await hashPassword(input.password, hashing);
  return db.transaction().execute(async (trx) => {
    // Serialise concurrent set-ups (several instances, a double submit): only one admin results.
    await sql`select pg_advisory_xact_lock(${SETUP_LOCK_KEY})`.execute(trx);
    const status = await inspectSetupToken(trx, token);
    if (status !== "valid") throw new DomainError("invalid", `errors.token.${status}`);
    const agency = await trx
      .insertInto("agencies")
      .values({ name: input.agencyName, kind: input.agencyKind })
      .returning("id")
      .executeTakeFirstOrThrow();
    const user = await trx
      .insertInto("users")
      .values({
        email,
        display_name: input.displayName,
        profession: input.profession,
        locale: input.locale,
        agency_id: agency.id,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await trx
      .insertInto("user_roles")
      .values([
        { user_id: user.id, role: "admin" },
        { user_id: user.id, role: "trainee" },
      ])
      .execute();
    await setPassword(trx, user.id, hash);
    await trx.updateTable("setup_tokens").set({ used_at: new Date() }).where("used_at", "is", null).execute();
    await audit(trx, {
      actorId: user.id,
      agencyId: agency.id,
      action: "setup.first_admin",
      subjectType: "user",
      subjectId: user.id,
    });
    return { userId: user.id };
  });
}

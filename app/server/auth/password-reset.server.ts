// Password reset by a single-use link that expires after an hour. Asking for one says the same
// thing whether or not the e-mail has an account.
import type { Kysely } from "kysely";
import type { Database } from "../../../db/schema";
import { audit } from "../audit.server";
import type { Mailer } from "../mail/mailer.server";
import { resetMail } from "../mail/messages.server";
import { DomainError } from "../shared/errors.server";
import { hashToken, newToken, tokenStatus, type TokenStatus } from "../shared/tokens.server";
import { assertAcceptablePassword, endAllSessions, setPassword } from "./accounts.server";
import { hashPassword, type HashParams } from "./passwords.server";
import { RESET_REQUEST_RULE, lockedUntil, recordAttempt, resetKey } from "./throttle.server";

export const RESET_TTL_MS = 60 * 60_000;

export async function requestPasswordReset(
  db: Kysely<Database>,
  mailer: Mailer,
  publicUrl: string,
  emailInput: string,
): Promise<void> {
  const email = emailInput.trim().toLowerCase();
  const user = await db
    .selectFrom("users")
    .select(["id", "agency_id", "locale"])
    .where("email", "=", email)
    .where("disabled_at", "is", null)
    .executeTakeFirst();
  if (!user) return;
  // Past the limit the answer stays the same; only the mail is not sent again.
  if (await lockedUntil(db, resetKey(email))) return;
  await recordAttempt(db, resetKey(email), RESET_REQUEST_RULE);
  const token = newToken();
  await db.transaction().execute(async (trx) => {
    // Only the newest link works.
    await trx
      .updateTable("password_resets")
      .set({ used_at: new Date() })
      .where("user_id", "=", user.id)
      .where("used_at", "is", null)
      .execute();
    await trx
      .insertInto("password_resets")
      .values({ token_hash: hashToken(token), user_id: user.id, expires_at: new Date(Date.now() + RESET_TTL_MS) })
      .execute();
    await audit(trx, {
      actorId: null,
      agencyId: user.agency_id,
      action: "auth.reset_requested",
      subjectType: "user",
      subjectId: user.id,
    });
  });
  const link = `${publicUrl}/reset-password/${token}`;
  await mailer.send({ to: email, link, ...resetMail(link) });
}

export async function inspectReset(db: Kysely<Database>, token: string): Promise<TokenStatus> {
  const row = await db
    .selectFrom("password_resets")
    .select(["expires_at", "used_at"])
    .where("token_hash", "=", hashToken(token))
    .executeTakeFirst();
  return tokenStatus(row);
}

/** Sets the new password, uses up the link and ends every session of the account. */
export async function completePasswordReset(
  db: Kysely<Database>,
  hashing: HashParams,
  token: string,
  password: string,
): Promise<{ userId: string }> {
  const row = await db
    .selectFrom("password_resets as r")
    .innerJoin("users as u", "u.id", "r.user_id")
    .select(["r.expires_at", "r.used_at", "u.email", "u.display_name"])
    .where("r.token_hash", "=", hashToken(token))
    .executeTakeFirst();
  const status = tokenStatus(row);
  if (status !== "valid" || !row) throw new DomainError("invalid", `errors.token.${status}`);
  assertAcceptablePassword(password, { email: row.email, displayName: row.display_name });
  const hash = await hashPassword(password, hashing);
  return db.transaction().execute(async (trx) => {
    const reset = await trx
      .selectFrom("password_resets")
      .select(["id", "user_id", "expires_at", "used_at"])
      .where("token_hash", "=", hashToken(token))
      .forUpdate()
      .executeTakeFirst();
    const now = tokenStatus(reset);
    if (!reset || now !== "valid") throw new DomainError("invalid", `errors.token.${now}`);
    await trx.updateTable("password_resets").set({ used_at: new Date() }).where("id", "=", reset.id).execute();
    await setPassword(trx, reset.user_id, hash);
    await endAllSessions(trx, reset.user_id);
    await audit(trx, {
      actorId: reset.user_id,
      action: "auth.password_reset",
      subjectType: "user",
      subjectId: reset.user_id,
    });
    return { userId: reset.user_id };
  });
}

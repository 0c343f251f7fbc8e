// Signing in and keeping a password: the rules of who gets a session.
import type { Kysely } from "kysely";
import type { Database } from "../../../db/schema";
import { audit } from "../audit.server";
import { DomainError } from "../shared/errors.server";
import { securityEvent } from "../shared/security-events.server";
import type { KnownDevice } from "./devices.server";
import { hasSecondFactor } from "./mfa.server";
import { hashPassword, passwordProblem, verifyPassword, type HashParams } from "./passwords.server";
import {
  ACCOUNT_RULE,
  ADDRESS_RULE,
  DEVICE_RULE,
  accountKey,
  addressKey,
  clearFailures,
  deviceKey,
  lockedUntil,
  recordAttempt,
} from "./throttle.server";

export type SignInResult =
  /** secondFactor: the password was right, and a second factor must follow before a session. */
  | { ok: true; userId: string; secondFactor: boolean }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "throttled"; retryAt: Date };

// Verified against when the e-mail is unknown, so that both failures take the same time.
let decoyHash: Promise<string> | undefined;

export async function signIn(
  db: Kysely<Database>,
  hashing: HashParams,
  input: { email: string; password: string; address: string; device?: KnownDevice | null },
): Promise<SignInResult> {
  const email = input.email.trim().toLowerCase();
  const row = await db
    .selectFrom("users as u")
    .innerJoin("password_credentials as p", "p.user_id", "u.id")
    .select(["u.id", "u.agency_id", "u.disabled_at", "p.hash"])
    .where("u.email", "=", email)
    .executeTakeFirst();
  // A browser that signed in to this very account before is counted on its own: failures of
  // others (at the account, or from its address) do not hold it back, and its failures are its own.
  const device = row && input.device?.userId === row.id ? input.device : null;
  const keys = device ? [deviceKey(device.deviceId)] : [accountKey(email), addressKey(input.address)];
  const retryAt = await throttledUntil(db, keys);
  if (retryAt) return { ok: false, reason: "throttled", retryAt };

  const stored = row?.hash ?? (await (decoyHash ??= hashPassword("decoy-password-for-timing", hashing)));
  const matches = await verifyPassword(stored, input.password);
  if (!row || !matches || row.disabled_at) {
    // A security event too (docs/security/events.md): the account's id when there is one, never what was typed.
    securityEvent("auth.sign_in_failed", {
      userId: row?.id,
      account: row ? (row.disabled_at ? "disabled" : "known") : "unknown",
      ...(device ? { knownDevice: true } : {}),
    });
    if (device) await recordAttempt(db, keys[0]!, DEVICE_RULE, undefined, row?.id);
    else {
      await recordAttempt(db, keys[0]!, ACCOUNT_RULE, undefined, row?.id);
      await recordAttempt(db, keys[1]!, ADDRESS_RULE);
    }
    // Failures for unknown addresses are recorded too (the same work either way): they are how
    // someone probing for accounts shows. What was typed is kept only when it looks like an
    // address, never a password typed into the wrong field.
    await audit(db, {
      actorId: null,
      agencyId: row?.agency_id ?? null,
      action: "auth.sign_in_failed",
      subjectType: row ? "user" : "email",
      subjectId: row ? row.id : looksLikeEmail(email) ? email : null,
      details: {
        address: input.address,
        ...(row ? {} : { account: "unknown" }),
        ...(device ? { knownDevice: true } : {}),
      },
    });
    return { ok: false, reason: "invalid" };
  }
  await clearFailures(db, keys[0]!);
  const secondFactor = await hasSecondFactor(db, row.id);
  await audit(db, {
    actorId: row.id,
    agencyId: row.agency_id,
    action: secondFactor ? "auth.password_verified" : "auth.signed_in",
    subjectType: "user",
    subjectId: row.id,
  });
  return { ok: true, userId: row.id, secondFactor };
}

const looksLikeEmail = (value: string) => value.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);

/** Sign-out (of this session, or of every session) goes into the audit trail like sign-in. */
export async function recordSignOut(
  db: Kysely<Database>,
  user: { id: string; agencyId: string },
  scope: "session" | "everywhere",
): Promise<void> {
  await audit(db, {
    actorId: user.id,
    agencyId: user.agencyId,
    action: scope === "session" ? "auth.signed_out" : "auth.signed_out_everywhere",
    subjectType: "user",
    subjectId: user.id,
  });
}

/** Checks a new password against the rules; throws a field error the form can show. */
export function assertAcceptablePassword(
  password: string,
  person: { email: string; displayName: string },
  field = "password",
): void {
  const problem = passwordProblem(password, person);
  if (problem) throw new DomainError("invalid", `errors.password.${problem}`, field);
}

export async function setPassword(db: Kysely<Database>, userId: string, hash: string): Promise<void> {
  await db
    .insertInto("password_credentials")
    .values({ user_id: userId, hash, updated_at: new Date() })
    .onConflict((oc) => oc.column("user_id").doUpdateSet({ hash, updated_at: new Date() }))
    .execute();
}

/** Ends every session of the user; used inside the transaction that changes their standing. */
export async function endAllSessions(db: Kysely<Database>, userId: string): Promise<void> {
  await db.deleteFrom("sessions").where("user_id", "=", userId).execute();
}

/** When the first of the keys may try again, or null when none is locked. */
async function throttledUntil(db: Kysely<Database>, keys: string[]): Promise<Date | null> {
  const locks = (await Promise.all(keys.map((k) => lockedUntil(db, k)))).filter((d): d is Date => d !== null);
  return locks.length > 0 ? new Date(Math.max(...locks.map((d) => d.getTime()))) : null;
}

/**
 * Changes the password of a signed-in person. The current password is checked under the sign-in
 * throttle (the same account and address counts), so a stolen session cannot be used to guess it.
 */
export async function changePassword(
  db: Kysely<Database>,
  hashing: HashParams,
  input: { userId: string; currentPassword: string; newPassword: string; address: string },
): Promise<void> {
  const row = await db
    .selectFrom("users as u")
    .innerJoin("password_credentials as p", "p.user_id", "u.id")
    .select(["u.email", "u.display_name", "u.agency_id", "p.hash"])
    .where("u.id", "=", input.userId)
    .executeTakeFirst();
  if (!row) throw new DomainError("not_found", "errors.notFound");
  const keys = [accountKey(row.email), addressKey(input.address)];
  if (await throttledUntil(db, keys)) {
    throw new DomainError("throttled", "errors.password.throttled", "currentPassword");
  }
  if (!(await verifyPassword(row.hash, input.currentPassword))) {
    securityEvent("auth.password_check_failed", { userId: input.userId });
    await recordAttempt(db, keys[0]!, ACCOUNT_RULE, undefined, input.userId);
    await recordAttempt(db, keys[1]!, ADDRESS_RULE);
    await audit(db, {
      actorId: input.userId,
      agencyId: row.agency_id,
      action: "auth.password_change_failed",
      subjectType: "user",
      subjectId: input.userId,
      details: { address: input.address },
    });
    throw new DomainError("invalid", "errors.password.wrongCurrent", "currentPassword");
  }
  await clearFailures(db, keys[0]!);
  assertAcceptablePassword(input.newPassword, { email: row.email, displayName: row.display_name }, "newPassword");
  const hash = await hashPassword(input.newPassword, hashing);
  await db.transaction().execute(async (trx) => {
    await setPassword(trx, input.userId, hash);
    await endAllSessions(trx, input.userId);
    await audit(trx, {
      actorId: input.userId,
      agencyId: row.agency_id,
      action: "auth.password_changed",
      subjectType: "user",
      subjectId: input.userId,
    });
  });
}

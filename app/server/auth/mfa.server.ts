// The second factor (ASVS 6.3.3): an authenticator app (TOTP, RFC 6238) with single-use recovery
// codes, and the short-lived state between the right password and the second factor. See ADR 021.
// Codes are throttled as passwords are (per account and per address), a TOTP code is never
// accepted twice (the newest accepted time step is kept), and a recovery code works once.
import type { Kysely } from "kysely";
import { Secret, TOTP } from "otpauth";
import QRCode from "qrcode";
import type { Database, Role } from "../../../db/schema";
import { audit } from "../audit.server";
import { DomainError } from "../shared/errors.server";
import { hashToken, newToken } from "../shared/tokens.server";
import { verifyPassword } from "./passwords.server";
import { keyedHash, keyedHashes, open, seal } from "./secret-box.server";
import {
  ACCOUNT_RULE,
  ADDRESS_RULE,
  accountKey,
  addressKey,
  clearFailures,
  lockedUntil,
  recordAttempt,
} from "./throttle.server";
import { securityEvent } from "../shared/security-events.server";

const ISSUER = "Mamoru";
const PERIOD = 30;
/**
 * No step either side: a code is accepted only within its own 30 seconds (ASVS 6.5.5). A phone
 * whose clock is off, or a code typed as it changed, means typing the next code.
 */
const WINDOW = 0;
export const RECOVERY_CODE_COUNT = 10;
/** How long a person has, after the right password, to give the second factor. */
export const CHALLENGE_TTL_MS = 5 * 60_000;

export const secondFactorKey = (userId: string) => `mfa:${userId}`;

function totpFor(secretBase32: string, email: string): TOTP {
  return new TOTP({
    issuer: ISSUER,
    label: email,
    algorithm: "SHA1",
    digits: 6,
    period: PERIOD,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** The time step a code was made for, or null when it matches none within the window. */
function stepOf(secretBase32: string, code: string, now: number): number | null {
  const delta = totpFor(secretBase32, "").validate({ token: code, timestamp: now, window: WINDOW });
  return delta === null ? null : TOTP.counter({ period: PERIOD, timestamp: now }) + delta;
}

/** A code as typed: spaces and hyphens dropped, letters lower case. */
export function normaliseCode(code: string): string {
  return code.normalize("NFKC").replace(/[\s-]/g, "").toLowerCase();
}

const isTotpCode = (code: string) => /^\d{6}$/.test(code);

// Recovery codes: 24 characters from an alphabet of 31 without look-alikes (no 0/o, 1/l/i), shown
// as six groups of four: 24 × log2(31) ≈ 118.9 bits each, over the 112 bits from which ASVS 6.5.2
// allows a lookup secret to be stored with an ordinary (here keyed) hash rather than a password
// hash. Codes of the earlier, 10-character kind are no longer accepted (ADR 024).
const ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz";
export const RECOVERY_CODE_LENGTH = 24;
function newRecoveryCode(): string {
  const bytes = new Uint8Array(RECOVERY_CODE_LENGTH);
  let code = "";
  while (code.length < RECOVERY_CODE_LENGTH) {
    crypto.getRandomValues(bytes);
    // 248 = 8 × 31: bytes from 248 up are dropped, so every character is equally likely.
    for (const b of bytes) if (b < 248 && code.length < RECOVERY_CODE_LENGTH) code += ALPHABET[b % ALPHABET.length];
  }
  return code.match(/.{4}/g)!.join("-");
}
const recoveryHashInput = (userId: string, code: string) => `${userId}:${normaliseCode(code)}`;

export interface TotpEnrolment {
  secret: string;
  uri: string;
  /** The otpauth URI as an SVG image, for a data: URL. */
  qrSvg: string;
}

export interface SecondFactorStatus {
  totp: "none" | "pending" | "enabled";
  recoveryCodesLeft: number;
  passkeys: number;
}

export async function secondFactorStatus(db: Kysely<Database>, userId: string): Promise<SecondFactorStatus> {
  const [totp, codes, passkeys] = await Promise.all([
    db.selectFrom("totp_credentials").select("confirmed_at").where("user_id", "=", userId).executeTakeFirst(),
    db
      .selectFrom("recovery_codes")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("user_id", "=", userId)
      .where("used_at", "is", null)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom("passkeys")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("user_id", "=", userId)
      .executeTakeFirstOrThrow(),
  ]);
  return {
    totp: !totp ? "none" : totp.confirmed_at ? "enabled" : "pending",
    recoveryCodesLeft: Number(codes.n),
    passkeys: Number(passkeys.n),
  };
}

/** Whether the person must give a second factor after their password. */
export async function hasSecondFactor(db: Kysely<Database>, userId: string): Promise<boolean> {
  const status = await secondFactorStatus(db, userId);
  return status.totp === "enabled" || status.passkeys > 0;
}

/** Whether the person holds a role that requires a second factor, and has none yet. */
export async function mustEnrolSecondFactor(db: Kysely<Database>, userId: string): Promise<boolean> {
  return (await requiredFor(db, userId)) && !(await hasSecondFactor(db, userId));
}

async function requiredFor(db: Kysely<Database>, userId: string): Promise<boolean> {
  const required = await db
    .selectFrom("user_roles as r")
    .innerJoin("mfa_required_roles as m", "m.role", "r.role")
    .select("r.role")
    .where("r.user_id", "=", userId)
    .executeTakeFirst();
  return required !== undefined;
}

/** The roles whose people must have a second factor. */
export async function requiredRoles(db: Kysely<Database>): Promise<Role[]> {
  const rows = await db.selectFrom("mfa_required_roles").select("role").orderBy("role").execute();
  return rows.map((r) => r.role);
}

/** An admin sets which roles must have a second factor; each change is audited. */
export async function setRequiredRoles(db: Kysely<Database>, actorId: string, roles: Role[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const before = (await trx.selectFrom("mfa_required_roles").select("role").forUpdate().execute()).map((r) => r.role);
    const added = roles.filter((r) => !before.includes(r));
    const removed = before.filter((r) => !roles.includes(r));
    if (removed.length) await trx.deleteFrom("mfa_required_roles").where("role", "in", removed).execute();
    if (added.length)
      await trx
        .insertInto("mfa_required_roles")
        .values(added.map((role) => ({ role, required_by: actorId })))
        .execute();
    if (added.length || removed.length)
      await audit(trx, {
        actorId,
        agencyId: null,
        action: "mfa.requirement_changed",
        subjectType: "platform",
        subjectId: null,
        details: { required: [...roles].sort(), added, removed },
      });
  });
}

/** Starts (or restarts) enrolment: a new secret, waiting for its first code. */
export async function startTotpEnrolment(db: Kysely<Database>, userId: string): Promise<void> {
  const sealed = seal("totp-secret", new Secret({ size: 20 }).base32);
  await db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom("totp_credentials")
      .select("confirmed_at")
      .where("user_id", "=", userId)
      .forUpdate()
      .executeTakeFirst();
    if (existing?.confirmed_at) throw new DomainError("conflict", "errors.mfa.alreadyEnabled");
    await trx.deleteFrom("totp_credentials").where("user_id", "=", userId).execute();
    await trx
      .insertInto("totp_credentials")
      .values({ user_id: userId, secret: sealed.box, key_id: sealed.keyId })
      .execute();
  });
}

/** Drops an unfinished enrolment (a confirmed authenticator stays). */
export async function cancelTotpEnrolment(db: Kysely<Database>, userId: string): Promise<void> {
  await db.deleteFrom("totp_credentials").where("user_id", "=", userId).where("confirmed_at", "is", null).execute();
}

/**
 * The secret waiting for its first code, to show while enrolment is unfinished. Once confirmed,
 * the secret is never shown again (this returns null).
 */
export async function pendingTotpEnrolment(
  db: Kysely<Database>,
  user: { id: string; email: string },
): Promise<TotpEnrolment | null> {
  const row = await db
    .selectFrom("totp_credentials")
    .select(["secret", "key_id", "confirmed_at"])
    .where("user_id", "=", user.id)
    .executeTakeFirst();
  if (!row || row.confirmed_at) return null;
  const secret = open("totp-secret", row.key_id, row.secret);
  if (!secret) return null;
  const uri = totpFor(secret, user.email).toString();
  const qrSvg = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
  return { secret, uri, qrSvg };
}

/** Confirms enrolment with a first code; returns the recovery codes, shown once and never again. */
export async function confirmTotpEnrolment(
  db: Kysely<Database>,
  user: { id: string; agencyId: string },
  code: string,
  address: string,
  now = Date.now(),
): Promise<string[]> {
  await assertNotThrottled(db, user.id, address, "code");
  const row = await db
    .selectFrom("totp_credentials")
    .select(["secret", "key_id", "confirmed_at"])
    .where("user_id", "=", user.id)
    .executeTakeFirst();
  if (!row || row.confirmed_at) throw new DomainError("invalid", "errors.mfa.noEnrolment");
  const secret = open("totp-secret", row.key_id, row.secret);
  const typed = normaliseCode(code);
  const step = secret && isTotpCode(typed) ? stepOf(secret, typed, now) : null;
  if (step === null) {
    await countFailure(db, user.id, address);
    throw new DomainError("invalid", "errors.mfa.wrongCode", "code");
  }
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable("totp_credentials")
      .set({ confirmed_at: new Date(now), last_step: step })
      .where("user_id", "=", user.id)
      .where("confirmed_at", "is", null)
      .returning("user_id")
      .executeTakeFirst();
    if (!updated) throw new DomainError("invalid", "errors.mfa.noEnrolment");
    await replaceRecoveryCodes(trx, user.id, codes);
    await audit(trx, {
      actorId: user.id,
      agencyId: user.agencyId,
      action: "mfa.totp_enabled",
      subjectType: "user",
      subjectId: user.id,
    });
  });
  await clearFailures(db, secondFactorKey(user.id));
  return codes;
}

async function replaceRecoveryCodes(trx: Kysely<Database>, userId: string, codes: string[]): Promise<void> {
  await trx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
  await trx
    .insertInto("recovery_codes")
    .values(
      codes.map((code) => {
        const { keyId, hash } = keyedHash("recovery-code", recoveryHashInput(userId, code));
        return { user_id: userId, code_hash: hash, key_id: keyId };
      }),
    )
    .execute();
}

/** New recovery codes in place of the old ones (all of them stop working); needs a current code. */
export async function regenerateRecoveryCodes(
  db: Kysely<Database>,
  user: { id: string; agencyId: string },
  code: string,
  address: string,
): Promise<string[]> {
  await assertNotThrottled(db, user.id, address, "code");
  const factor = await spendTotpCode(db, user.id, normaliseCode(code));
  if (!factor) {
    await countFailure(db, user.id, address);
    throw new DomainError("invalid", "errors.mfa.wrongCode", "code");
  }
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await db.transaction().execute(async (trx) => {
    await replaceRecoveryCodes(trx, user.id, codes);
    await audit(trx, {
      actorId: user.id,
      agencyId: user.agencyId,
      action: "mfa.recovery_codes_regenerated",
      subjectType: "user",
      subjectId: user.id,
    });
  });
  return codes;
}

/** Turns the authenticator off: needs the password and a code (or a recovery code). */
export async function disableTotp(
  db: Kysely<Database>,
  user: { id: string; agencyId: string },
  input: { password: string; code: string; address: string },
): Promise<void> {
  await assertNotThrottled(db, user.id, input.address, "password");
  const status = await secondFactorStatus(db, user.id);
  if (status.totp !== "enabled") throw new DomainError("invalid", "errors.mfa.noEnrolment");
  // A role that requires a second factor keeps this one unless a passkey remains.
  if (status.passkeys === 0 && (await requiredFor(db, user.id)))
    throw new DomainError("invalid", "errors.mfa.requiredByRole");
  const credential = await db
    .selectFrom("password_credentials as p")
    .innerJoin("users as u", "u.id", "p.user_id")
    .select(["p.hash", "u.email"])
    .where("p.user_id", "=", user.id)
    .executeTakeFirst();
  if (credential && (await lockedUntil(db, accountKey(credential.email))))
    throw new DomainError("throttled", "errors.password.throttled", "password");
  const passwordOk = credential ? await verifyPassword(credential.hash, input.password) : false;
  // The code is only spent when the password was right: a wrong password costs no recovery code.
  const factor = passwordOk ? await spendSecondFactor(db, user.id, input.code) : null;
  if (!passwordOk || !factor) {
    await countFailure(db, user.id, input.address);
    // A wrong password here counts against sign-in as well: a stolen session cannot guess it.
    if (!passwordOk) securityEvent("auth.password_check_failed", { userId: user.id });
    if (!passwordOk && credential)
      await recordAttempt(db, accountKey(credential.email), ACCOUNT_RULE, undefined, user.id);
    await audit(db, {
      actorId: user.id,
      agencyId: user.agencyId,
      action: "mfa.disable_failed",
      subjectType: "user",
      subjectId: user.id,
      details: { address: input.address },
    });
    throw passwordOk
      ? new DomainError("invalid", "errors.mfa.wrongCode", "code")
      : new DomainError("invalid", "errors.password.wrongCurrent", "password");
  }
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("totp_credentials").where("user_id", "=", user.id).execute();
    await trx.deleteFrom("recovery_codes").where("user_id", "=", user.id).execute();
    await audit(trx, {
      actorId: user.id,
      agencyId: user.agencyId,
      action: "mfa.totp_disabled",
      subjectType: "user",
      subjectId: user.id,
    });
  });
  await clearFailures(db, secondFactorKey(user.id));
}

/** How an admin proved who is asking, before removing their second factor (ASVS 6.4.4, ADR 024). */
export const IDENTITY_PROOFS = ["in_person", "video_call", "call_back"] as const;
export type IdentityProof = (typeof IDENTITY_PROOFS)[number];

/**
 * An admin removes a person's second factors (authenticator, recovery codes, passkeys), for someone
 * who lost them all, once they have proved it is that person as the documented procedure says
 * (README, "Security: signing in"): how, and why, go into the audit trail. Their sessions end too:
 * whoever holds one may be the reason.
 */
export async function removeSecondFactorOf(
  db: Kysely<Database>,
  actorId: string,
  person: { id: string; agencyId: string },
  proof: { method: IdentityProof; reason: string },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("totp_credentials").where("user_id", "=", person.id).execute();
    await trx.deleteFrom("recovery_codes").where("user_id", "=", person.id).execute();
    await trx.deleteFrom("passkeys").where("user_id", "=", person.id).execute();
    await trx.deleteFrom("mfa_challenges").where("user_id", "=", person.id).execute();
    await trx.deleteFrom("sessions").where("user_id", "=", person.id).execute();
    await audit(trx, {
      actorId,
      agencyId: person.agencyId,
      action: "user.second_factor_removed",
      subjectType: "user",
      subjectId: person.id,
      details: { identityProof: proof.method, reason: proof.reason },
    });
  });
}

/** Accepts a TOTP code once: only a time step newer than the last one accepted counts. */
async function spendTotpCode(db: Kysely<Database>, userId: string, code: string, now = Date.now()) {
  if (!isTotpCode(code)) return null;
  const row = await db
    .selectFrom("totp_credentials")
    .select(["secret", "key_id"])
    .where("user_id", "=", userId)
    .where("confirmed_at", "is not", null)
    .executeTakeFirst();
  const secret = row ? open("totp-secret", row.key_id, row.secret) : null;
  const step = secret ? stepOf(secret, code, now) : null;
  if (step === null) return null;
  // Atomic: of two requests with the same code, one moves last_step and the other finds it moved.
  const moved = await db
    .updateTable("totp_credentials")
    .set({ last_step: step })
    .where("user_id", "=", userId)
    .where((eb) => eb.or([eb("last_step", "is", null), eb("last_step", "<", step)]))
    .returning("user_id")
    .executeTakeFirst();
  return moved ? ("totp" as const) : null;
}

async function spendRecoveryCode(db: Kysely<Database>, userId: string, code: string) {
  if (code.length !== RECOVERY_CODE_LENGTH) return null;
  const used = await db
    .updateTable("recovery_codes")
    .set({ used_at: new Date() })
    .where("user_id", "=", userId)
    .where("code_hash", "in", keyedHashes("recovery-code", recoveryHashInput(userId, code)))
    .where("used_at", "is", null)
    .returning("id")
    .executeTakeFirst();
  return used ? ("recovery_code" as const) : null;
}

/** A TOTP code or a recovery code, spent if it is right; null when it is not. */
async function spendSecondFactor(db: Kysely<Database>, userId: string, typed: string, now = Date.now()) {
  const code = normaliseCode(typed);
  return (await spendTotpCode(db, userId, code, now)) ?? (await spendRecoveryCode(db, userId, code));
}

async function assertNotThrottled(db: Kysely<Database>, userId: string, address: string, field: string) {
  const locks = (
    await Promise.all([lockedUntil(db, secondFactorKey(userId)), lockedUntil(db, addressKey(address))])
  ).filter((d): d is Date => d !== null);
  if (locks.length) throw new DomainError("throttled", "errors.mfa.throttled", field);
}

export async function countFailure(db: Kysely<Database>, userId: string, address: string) {
  // Every wrong code or passkey answer passes here: one security event each (docs/security/events.md).
  securityEvent("auth.second_factor_failed", { userId });
  await recordAttempt(db, secondFactorKey(userId), ACCOUNT_RULE);
  await recordAttempt(db, addressKey(address), ADDRESS_RULE);
}

// The state between the password and the second factor: a random token in its own cookie, its
// hash here, minutes long. It opens nothing but the second-factor page.

export async function startChallenge(db: Kysely<Database>, userId: string, now = Date.now()): Promise<string> {
  const token = newToken();
  await db.deleteFrom("mfa_challenges").where("expires_at", "<", new Date(now)).execute();
  await db
    .insertInto("mfa_challenges")
    .values({ token_hash: hashToken(token), user_id: userId, expires_at: new Date(now + CHALLENGE_TTL_MS) })
    .execute();
  return token;
}

/** Marks a challenge row made for adding a passkey, not for signing in. */
export const REGISTRATION_PREFIX = "register:";

export async function readChallenge(db: Kysely<Database>, token: string | null, now = new Date()) {
  if (!token) return null;
  const row = await db
    .selectFrom("mfa_challenges as c")
    .innerJoin("users as u", "u.id", "c.user_id")
    .select(["c.user_id", "c.webauthn_challenge", "u.agency_id", "u.email", "u.disabled_at"])
    .where("c.token_hash", "=", hashToken(token))
    .where("c.expires_at", ">", now)
    .executeTakeFirst();
  // A passkey registration's challenge (REGISTRATION_PREFIX) is no pending sign-in.
  if (row?.webauthn_challenge?.startsWith(REGISTRATION_PREFIX)) return null;
  return row && !row.disabled_at ? row : null;
}

export type SecondFactorResult =
  | { ok: true; userId: string; factor: "totp" | "recovery_code" }
  | { ok: false; reason: "expired" }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "throttled"; retryAt: Date };

/** The second step of signing in: the challenge's person, and a code of theirs. */
export async function completeSecondFactor(
  db: Kysely<Database>,
  input: { token: string | null; code: string; address: string },
): Promise<SecondFactorResult> {
  const challenge = await readChallenge(db, input.token);
  if (!challenge) return { ok: false, reason: "expired" };
  const userId = challenge.user_id;
  const locks = (
    await Promise.all([lockedUntil(db, secondFactorKey(userId)), lockedUntil(db, addressKey(input.address))])
  ).filter((d): d is Date => d !== null);
  if (locks.length) return { ok: false, reason: "throttled", retryAt: new Date(Math.max(...locks.map(Number))) };
  const factor = await spendSecondFactor(db, userId, input.code);
  if (!factor) {
    await countFailure(db, userId, input.address);
    await audit(db, {
      actorId: null,
      agencyId: challenge.agency_id,
      action: "auth.second_factor_failed",
      subjectType: "user",
      subjectId: userId,
      details: { address: input.address },
    });
    return { ok: false, reason: "invalid" };
  }
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("mfa_challenges").where("token_hash", "=", hashToken(input.token!)).execute();
    await audit(trx, {
      actorId: userId,
      agencyId: challenge.agency_id,
      action: "auth.signed_in",
      subjectType: "user",
      subjectId: userId,
      details: { factor },
    });
  });
  await clearFailures(db, secondFactorKey(userId));
  return { ok: true, userId, factor };
}

export async function endChallenge(db: Kysely<Database>, token: string | null): Promise<void> {
  if (token) await db.deleteFrom("mfa_challenges").where("token_hash", "=", hashToken(token)).execute();
}

export const CHALLENGE_COOKIE = (secure: boolean) => (secure ? "__Host-mamoru_mfa" : "mamoru_mfa");

export function challengeCookie(token: string, secure: boolean): string {
  return `${CHALLENGE_COOKIE(secure)}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${CHALLENGE_TTL_MS / 1000}${secure ? "; Secure" : ""}`;
}

export function blankChallengeCookie(secure: boolean): string {
  return `${CHALLENGE_COOKIE(secure)}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure ? "; Secure" : ""}`;
}

export function readChallengeCookie(cookieHeader: string | null, secure: boolean): string | null {
  const name = CHALLENGE_COOKIE(secure);
  for (const part of (cookieHeader ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{43}$/.test(value) ? value : null;
    }
  }
  return null;
}

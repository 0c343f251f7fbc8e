// Passkeys (WebAuthn) as a second factor: added from the account page, used after the password in
// place of a code. They need JavaScript in the browser; the authenticator app path does not. The
// library checks origin, relying-party id, challenge and signature; the signature counter, when
// an authenticator keeps one, must grow (a cloned key shows). See ADR 021.
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import { decodeCredentialPublicKey } from "@simplewebauthn/server/helpers";
import type { Kysely } from "kysely";
import type { Database } from "../../../db/schema";
import { audit } from "../audit.server";
import { DomainError } from "../shared/errors.server";
import { hashToken, newToken } from "../shared/tokens.server";
import { CHALLENGE_TTL_MS, REGISTRATION_PREFIX, countFailure, readChallenge, secondFactorKey } from "./mfa.server";
import { addressKey, clearFailures, lockedUntil } from "./throttle.server";

const MAX_PASSKEYS = 10;

// COSE numbers (RFC 9053, IANA "COSE Algorithms" and "COSE Key Types").
const ES256 = -7;
const EDDSA = -8;
const RS256 = -257;
const KTY_OKP = 1;
const KTY_EC2 = 2;
const KTY_RSA = 3;
const CRV_P256 = 1;
const CRV_ED25519 = 6;
/** RSA keys of at least 3072 bits give 128 bits of security (NIST SP 800-57 part 1, table 2). */
const RSA_MIN_BITS = 3072;

/**
 * The algorithms a passkey may use, all of at least 128 bits of security (ASVS 11.2.3): ES256
 * (P-256), EdDSA (Ed25519), and RS256 only with a key of 3072 bits or more, checked on the key
 * itself. The library's default list also takes RS256 keys of any size (2048 bits: about 112).
 */
export const PASSKEY_ALGORITHMS = [ES256, EDDSA, RS256];

/** Whether a passkey's public key (COSE) is one of the allowed algorithms at full strength. */
export function passkeyKeyIsStrong(publicKey: Uint8Array): boolean {
  let key;
  try {
    key = decodeCredentialPublicKey(publicKey as Parameters<typeof decodeCredentialPublicKey>[0]);
  } catch {
    return false;
  }
  const field = (label: number) => (key as Map<number, unknown>).get(label);
  const [kty, alg] = [field(1), field(3)];
  if (alg === ES256) return kty === KTY_EC2 && field(-1) === CRV_P256;
  if (alg === EDDSA) return kty === KTY_OKP && field(-1) === CRV_ED25519;
  if (alg === RS256 && kty === KTY_RSA) {
    const n = field(-1);
    if (!(n instanceof Uint8Array)) return false;
    const first = n.findIndex((b) => b !== 0);
    if (first < 0) return false;
    // The modulus's bit length: the bytes after any leading zeros, less the top byte's unused bits.
    return (n.length - first) * 8 - Math.clz32(n[first]!) + 24 >= RSA_MIN_BITS;
  }
  return false;
}

export interface RelyingParty {
  /** The public URL's origin, e.g. https://mamoru.example.jp */
  origin: string;
  /** Its host name. */
  id: string;
}

export const relyingParty = (publicUrl: string): RelyingParty => {
  const url = new URL(publicUrl);
  return { origin: url.origin, id: url.hostname };
};

export async function listPasskeys(db: Kysely<Database>, userId: string) {
  return db
    .selectFrom("passkeys")
    .select(["id", "name", "created_at", "last_used_at"])
    .where("user_id", "=", userId)
    .orderBy("created_at")
    .execute();
}

/** Options for the browser to make a passkey; the challenge is kept under a one-off token. */
export async function registrationOptions(
  db: Kysely<Database>,
  rp: RelyingParty,
  user: { id: string; email: string; displayName: string },
) {
  const existing = await db
    .selectFrom("passkeys")
    .select(["id", "transports"])
    .where("user_id", "=", user.id)
    .execute();
  if (existing.length >= MAX_PASSKEYS) throw new DomainError("invalid", "errors.passkey.tooMany");
  const options = await generateRegistrationOptions({
    rpName: "Mamoru",
    rpID: rp.id,
    userName: user.email,
    userDisplayName: user.displayName,
    userID: new TextEncoder().encode(user.id),
    attestationType: "none",
    excludeCredentials: existing.map((k) => ({ id: k.id, transports: k.transports })),
    authenticatorSelection: { residentKey: "preferred", userVerification: "preferred" },
    supportedAlgorithmIDs: PASSKEY_ALGORITHMS,
  });
  const token = newToken();
  await db
    .insertInto("mfa_challenges")
    .values({
      token_hash: hashToken(token),
      user_id: user.id,
      webauthn_challenge: REGISTRATION_PREFIX + options.challenge,
      expires_at: new Date(Date.now() + CHALLENGE_TTL_MS),
    })
    .execute();
  return { token, options };
}

export async function registerPasskey(
  db: Kysely<Database>,
  rp: RelyingParty,
  user: { id: string; agencyId: string },
  input: { token: string; response: RegistrationResponseJSON; name: string },
): Promise<void> {
  const row = await db
    .deleteFrom("mfa_challenges")
    .where("token_hash", "=", hashToken(input.token))
    .where("user_id", "=", user.id)
    .where("expires_at", ">", new Date())
    .returning("webauthn_challenge")
    .executeTakeFirst();
  const challenge = row?.webauthn_challenge?.startsWith(REGISTRATION_PREFIX)
    ? row.webauthn_challenge.slice(REGISTRATION_PREFIX.length)
    : null;
  if (!challenge) throw new DomainError("invalid", "errors.passkey.expired");
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: false,
      supportedAlgorithmIDs: PASSKEY_ALGORITHMS,
    });
  } catch {
    throw new DomainError("invalid", "errors.passkey.failed");
  }
  if (!verified.verified) throw new DomainError("invalid", "errors.passkey.failed");
  const { credential } = verified.registrationInfo;
  if (!passkeyKeyIsStrong(credential.publicKey)) throw new DomainError("invalid", "errors.passkey.weakKey");
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto("passkeys")
      .values({
        id: credential.id,
        user_id: user.id,
        public_key: Buffer.from(credential.publicKey).toString("base64url"),
        counter: credential.counter,
        transports: JSON.stringify(credential.transports ?? []),
        name: input.name,
      })
      .execute();
    await audit(trx, {
      actorId: user.id,
      agencyId: user.agencyId,
      action: "mfa.passkey_added",
      subjectType: "user",
      subjectId: user.id,
      details: { name: input.name },
    });
  });
}

export async function removePasskey(
  db: Kysely<Database>,
  user: { id: string; agencyId: string },
  passkeyId: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const removed = await trx
      .deleteFrom("passkeys")
      .where("id", "=", passkeyId)
      .where("user_id", "=", user.id)
      .returning("name")
      .executeTakeFirst();
    if (!removed) throw new DomainError("invalid", "errors.passkey.notFound");
    await audit(trx, {
      actorId: user.id,
      agencyId: user.agencyId,
      action: "mfa.passkey_removed",
      subjectType: "user",
      subjectId: user.id,
      details: { name: removed.name },
    });
  });
}

/** Options to sign in with one of the pending person's passkeys; the challenge goes on the sign-in challenge. */
export async function authenticationOptions(db: Kysely<Database>, rp: RelyingParty, token: string | null) {
  const pending = await readChallenge(db, token);
  if (!pending) return null;
  const keys = await db
    .selectFrom("passkeys")
    .select(["id", "transports"])
    .where("user_id", "=", pending.user_id)
    .execute();
  if (keys.length === 0) return null;
  const options = await generateAuthenticationOptions({
    rpID: rp.id,
    allowCredentials: keys.map((k) => ({ id: k.id, transports: k.transports })),
    userVerification: "preferred",
  });
  await db
    .updateTable("mfa_challenges")
    .set({ webauthn_challenge: options.challenge })
    .where("token_hash", "=", hashToken(token!))
    .execute();
  return options;
}

export type PasskeySignIn =
  | { ok: true; userId: string }
  | { ok: false; reason: "expired" | "invalid" }
  | { ok: false; reason: "throttled"; retryAt: Date };

/** The second step of signing in with a passkey. */
export async function completePasskeySignIn(
  db: Kysely<Database>,
  rp: RelyingParty,
  input: { token: string | null; response: AuthenticationResponseJSON; address: string },
): Promise<PasskeySignIn> {
  const pending = await readChallenge(db, input.token);
  if (!pending?.webauthn_challenge) return { ok: false, reason: "expired" };
  const userId = pending.user_id;
  const locks = (
    await Promise.all([lockedUntil(db, secondFactorKey(userId)), lockedUntil(db, addressKey(input.address))])
  ).filter((d): d is Date => d !== null);
  if (locks.length) return { ok: false, reason: "throttled", retryAt: new Date(Math.max(...locks.map(Number))) };
  const key = await db
    .selectFrom("passkeys")
    .selectAll()
    .where("id", "=", input.response.id)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  let result: Awaited<ReturnType<typeof verifyAuthenticationResponse>> | null = null;
  // A key added before the algorithms were narrowed, and weaker than they allow, no longer counts.
  if (key && passkeyKeyIsStrong(new Uint8Array(Buffer.from(key.public_key, "base64url")))) {
    try {
      result = await verifyAuthenticationResponse({
        response: input.response,
        expectedChallenge: pending.webauthn_challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        credential: {
          id: key.id,
          publicKey: new Uint8Array(Buffer.from(key.public_key, "base64url")),
          counter: key.counter,
          transports: key.transports,
        },
        requireUserVerification: false,
      });
    } catch {
      result = null;
    }
  }
  if (!key || !result?.verified) {
    await countFailure(db, userId, input.address);
    await audit(db, {
      actorId: null,
      agencyId: pending.agency_id,
      action: "auth.second_factor_failed",
      subjectType: "user",
      subjectId: userId,
      details: { address: input.address, factor: "passkey" },
    });
    return { ok: false, reason: "invalid" };
  }
  const used = await db.transaction().execute(async (trx) => {
    // The challenge is spent whatever happens next: one answer per challenge.
    const spent = await trx
      .deleteFrom("mfa_challenges")
      .where("token_hash", "=", hashToken(input.token!))
      .returning("user_id")
      .executeTakeFirst();
    if (!spent) return false;
    await trx
      .updateTable("passkeys")
      .set({ counter: result.authenticationInfo.newCounter, last_used_at: new Date() })
      .where("id", "=", key.id)
      .execute();
    await audit(trx, {
      actorId: userId,
      agencyId: pending.agency_id,
      action: "auth.signed_in",
      subjectType: "user",
      subjectId: userId,
      details: { factor: "passkey" },
    });
    return true;
  });
  if (!used) return { ok: false, reason: "expired" };
  await clearFailures(db, secondFactorKey(userId));
  return { ok: true, userId };
}

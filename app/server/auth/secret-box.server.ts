// Secrets the database keeps but must not be able to read or forge on its own: TOTP secrets
// (encrypted) and recovery codes (keyed hashes). The keys are derived (HKDF-SHA-256) from the
// chain keys, which the database never holds (ADR 014), one key per purpose, so a leaked table
// without the keys gives no one a second factor. The key id is stored beside each value, so
// rotating the chain keys keeps older values readable while the old key stays listed. Each value
// also names its algorithm ("aes-256-gcm:…", "hmac-sha256:…"), so that one can be replaced without
// guessing what older values used; a value without a name is from before names (ADR 025) and was
// made with what it names for good: AES-256-GCM, HMAC-SHA-256.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { chainAnchor } from "../chain/anchor.server";

type Purpose = "totp-secret" | "recovery-code" | "device-cookie";

function keyFor(purpose: Purpose, keyId: string): Buffer | null {
  const master = chainAnchor().keyring.keys.get(keyId);
  if (!master) return null;
  return Buffer.from(hkdfSync("sha256", master, Buffer.alloc(0), `mamoru ${purpose}`, 32));
}

function activeKey(purpose: Purpose): { keyId: string; key: Buffer } {
  const keyId = chainAnchor().keyring.activeId;
  return { keyId, key: keyFor(purpose, keyId)! };
}

/** The ciphers a box may name; new boxes use CIPHER. */
const CIPHERS = { "aes-256-gcm": "aes-256-gcm" } as const;
const CIPHER: keyof typeof CIPHERS = "aes-256-gcm";
/** The MACs a keyed hash may name; new ones use MAC. */
const MACS = { "hmac-sha256": "sha256" } as const;
const MAC: keyof typeof MACS = "hmac-sha256";
/** What a value without a name was made with (before ADR 025): fixed for good. */
const UNNAMED = { cipher: "aes-256-gcm", mac: "hmac-sha256" } as const;

/** A stored value split into its algorithm's name (the unnamed default when it has none) and the rest. */
function named<T extends string>(value: string, known: Readonly<Record<T, string>>, unnamed: T) {
  const colon = value.indexOf(":");
  const name = colon < 0 ? unnamed : value.slice(0, colon);
  return Object.hasOwn(known, name) ? { alg: name as T, rest: value.slice(colon + 1) } : null;
}

/** AES-256-GCM: `aes-256-gcm:` then iv.tag.ciphertext in base64url. */
export function seal(purpose: Purpose, plaintext: string): { keyId: string; box: string } {
  const { keyId, key } = activeKey(purpose);
  const iv = randomBytes(12);
  const cipher = createCipheriv(CIPHERS[CIPHER], key, iv);
  cipher.setAAD(Buffer.from(purpose));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const box = [iv, cipher.getAuthTag(), body].map((b) => b.toString("base64url")).join(".");
  return { keyId, box: `${CIPHER}:${box}` };
}

/** The plaintext, or null when the key is gone, the algorithm unknown or the box altered. */
export function open(purpose: Purpose, keyId: string, stored: string): string | null {
  const key = keyFor(purpose, keyId);
  const box = named(stored, CIPHERS, UNNAMED.cipher);
  const [iv, tag, body] = (box?.rest ?? "").split(".").map((part) => Buffer.from(part, "base64url"));
  if (!key || !box || !iv || !tag || !body) return null;
  try {
    const decipher = createDecipheriv(CIPHERS[box.alg], key, iv);
    decipher.setAAD(Buffer.from(purpose));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
}

/** HMAC-SHA-256 with the active key: `hmac-sha256:` then the hex digest. */
export function keyedHash(purpose: Purpose, value: string): { keyId: string; hash: string } {
  const { keyId, key } = activeKey(purpose);
  return { keyId, hash: `${MAC}:${createHmac(MACS[MAC], key).update(value).digest("hex")}` };
}

/**
 * The value's keyed hash under every listed key and every known algorithm, named and (for values
 * from before names) unnamed: to look up a value hashed with an older key or algorithm.
 */
export function keyedHashes(purpose: Purpose, value: string): string[] {
  return [...chainAnchor().keyring.keys.keys()].flatMap((keyId) => {
    const key = keyFor(purpose, keyId)!;
    return (Object.keys(MACS) as (keyof typeof MACS)[]).flatMap((alg) => {
      const digest = createHmac(MACS[alg], key).update(value).digest("hex");
      return alg === UNNAMED.mac ? [`${alg}:${digest}`, digest] : [`${alg}:${digest}`];
    });
  });
}

/** Whether a keyed hash someone presents (a cookie's) is the value's, under any listed key; constant time. */
export function keyedHashMatches(purpose: Purpose, value: string, presented: string): boolean {
  const given = Buffer.from(presented);
  return keyedHashes(purpose, value).some((h) => {
    const expected = Buffer.from(h);
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

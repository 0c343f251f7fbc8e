// Secrets the database keeps but must not be able to read or forge on its own: TOTP secrets
// (encrypted) and recovery codes (keyed hashes). The keys are derived (HKDF-SHA-256) from the
// chain keys, which the database never holds (ADR 014), one key per purpose, so a leaked table
// without the keys gives no one a second factor. The key id is stored beside each value, so
// rotating the chain keys keeps older values readable while the old key stays listed.
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
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

/** AES-256-GCM: iv.tag.ciphertext in base64url. */
export function seal(purpose: Purpose, plaintext: string): { keyId: string; box: string } {
  const { keyId, key } = activeKey(purpose);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(purpose));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const box = [iv, cipher.getAuthTag(), body].map((b) => b.toString("base64url")).join(".");
  return { keyId, box };
}

/** The plaintext, or null when the key is gone or the box was altered. */
export function open(purpose: Purpose, keyId: string, box: string): string | null {
  const key = keyFor(purpose, keyId);
  const [iv, tag, body] = box.split(".").map((part) => Buffer.from(part, "base64url"));
  if (!key || !iv || !tag || !body) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, iv);
    decipher.setAAD(Buffer.from(purpose));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
}

/** HMAC-SHA-256 with the active key. */
export function keyedHash(purpose: Purpose, value: string): { keyId: string; hash: string } {
  const { keyId, key } = activeKey(purpose);
  return { keyId, hash: createHmac("sha256", key).update(value).digest("hex") };
}

/** The value's keyed hash under every listed key: to look up a value hashed with an older key. */
export function keyedHashes(purpose: Purpose, value: string): string[] {
  return [...chainAnchor().keyring.keys.keys()].map((keyId) =>
    createHmac("sha256", keyFor(purpose, keyId)!).update(value).digest("hex"),
  );
}

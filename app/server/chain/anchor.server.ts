// What anchors the hash chains (completion records, audit events) outside the database: a keyed MAC
// on every link, with a key the database never holds, and checkpoints of each chain's head written
// to a directory the records are not in. See docs/decisions/014-chain-anchored-outside-the-database.md.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export type ChainName = "records" | "audit";

/**
 * The algorithms of a chain link, named by the identifier stored beside its key id (`alg`, ADR
 * 025): the link's hash of its content and the one before, and the MAC of that hash. Replacing
 * them is adding an entry here and making it LINK_ALGORITHM; links keep verifying with the
 * algorithms their identifier names.
 */
export const LINK_ALGORITHMS = {
  "sha256+hmac-sha256": { hash: "sha256", mac: "sha256" },
} as const satisfies Record<string, { hash: string; mac: string }>;
export type LinkAlgorithm = keyof typeof LINK_ALGORITHMS;

/** What new links are made with. */
export const LINK_ALGORITHM: LinkAlgorithm = "sha256+hmac-sha256";
/** What a link without an identifier (written before ADR 025) was made with: fixed for good. */
export const LINK_ALGORITHM_BEFORE_IDS: LinkAlgorithm = "sha256+hmac-sha256";

/** The algorithms a stored identifier names; null when this server does not know them. */
export function linkAlgorithm(stored: string | null | undefined): LinkAlgorithm | null {
  const id = stored ?? LINK_ALGORITHM_BEFORE_IDS;
  return Object.hasOwn(LINK_ALGORITHMS, id) ? (id as LinkAlgorithm) : null;
}

export const GENESIS = "0".repeat(64);

export interface Keyring {
  /** The key new MACs are made with: the first one listed. */
  activeId: string;
  keys: ReadonlyMap<string, Buffer>;
}

export interface ChainAnchor {
  keyring: Keyring;
  /** Where checkpoints are written and read; null: none (tests that do not need them). */
  checkpointDir: string | null;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const MIN_KEY_BYTES = 32;

/**
 * `id:secret` pairs separated by commas or new lines, the active key first; the secret in base64
 * (or base64url) of at least 32 bytes. Older keys stay listed so that what they signed still verifies.
 */
export function parseKeyring(text: string): Keyring {
  const keys = new Map<string, Buffer>();
  let activeId: string | undefined;
  for (const part of text.split(/[,\n]/)) {
    const entry = part.trim();
    if (!entry || entry.startsWith("#")) continue;
    const colon = entry.indexOf(":");
    const id = colon > 0 ? entry.slice(0, colon) : "";
    if (!KEY_ID.test(id)) throw new Error("a key must be written id:secret, the id in letters, digits, - or _");
    const secret = Buffer.from(entry.slice(colon + 1), "base64");
    if (secret.length < MIN_KEY_BYTES) throw new Error(`key ${id} is shorter than ${MIN_KEY_BYTES} bytes`);
    if (keys.has(id)) throw new Error(`key ${id} is listed twice`);
    keys.set(id, secret);
    activeId ??= id;
  }
  if (!activeId) throw new Error("no key given");
  return { activeId, keys };
}

/** A new key line, `id:secret`, its id made from today's date. */
export function newKeyLine(now = new Date()): string {
  const id = `k${now.toISOString().slice(0, 10).replaceAll("-", "")}`;
  return `${id}:${randomBytes(32).toString("base64")}`;
}

/**
 * The keyring for the embedded engine when CHAIN_KEYS is not set: kept in `file` (made on first
 * use, readable by its owner only). It sits beside the database, so it guards against mistakes and
 * outside edits of the database files, not against whoever holds the folder: production on a
 * Postgres server must set CHAIN_KEYS (config.server.ts refuses to start without it).
 */
export function keyringFromFile(file: string): Keyring {
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(
      file,
      `# Mamoru chain keys: the active key first. Keep a copy: without it the records cannot be verified.\n${newKeyLine()}\n`,
      {
        mode: 0o600,
        flag: "wx",
      },
    );
    chmodSync(file, 0o600);
  }
  return parseKeyring(readFileSync(file, "utf8"));
}

// One anchor per process, kept on globalThis: the server bundle and the scripts or tests that load
// the source modules beside it must MAC with the same keys.
const SLOT = Symbol.for("mamoru.chain.anchor");
type Slot = { [SLOT]?: ChainAnchor };

export function installChainAnchor(anchor: ChainAnchor): void {
  (globalThis as Slot)[SLOT] = anchor;
}

export function chainAnchor(): ChainAnchor {
  const anchor = (globalThis as Slot)[SLOT];
  if (!anchor) throw new Error("The chain keys are not loaded (installChainAnchor was not called)");
  return anchor;
}

/**
 * The chain's MAC of a link: the chain's name keeps one chain's MACs from passing in another. With
 * the key's id and the algorithms' identifier, to be stored beside it.
 */
export function macOf(keyring: Keyring, chain: ChainName | `checkpoint:${ChainName}`, hash: string) {
  const key = keyring.keys.get(keyring.activeId)!;
  return { keyId: keyring.activeId, mac: hmac(key, chain, hash, LINK_ALGORITHM), alg: LINK_ALGORITHM };
}

export type MacCheck = "ok" | "unknown key" | "unknown algorithm" | "mac mismatch";

export function checkMac(
  keyring: Keyring,
  chain: ChainName | `checkpoint:${ChainName}`,
  hash: string,
  keyId: string,
  mac: string,
  storedAlg: string | null = null,
): MacCheck {
  const alg = linkAlgorithm(storedAlg);
  if (!alg) return "unknown algorithm";
  const key = keyring.keys.get(keyId);
  if (!key) return "unknown key";
  const expected = Buffer.from(hmac(key, chain, hash, alg), "hex");
  const given = Buffer.from(mac, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected) ? "ok" : "mac mismatch";
}

function hmac(key: Buffer, chain: string, hash: string, alg: LinkAlgorithm): string {
  return createHmac(LINK_ALGORITHMS[alg].mac, key).update(chain).update("\n").update(hash).digest("hex");
}

/** JSON with object keys sorted, so the same content always gives the same text. */
export function canonical(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The hash (SHA-256 today) of a link's content followed by the previous link's hash. */
export function linkHash(
  fields: Record<string, unknown>,
  prevHash: string,
  alg: LinkAlgorithm = LINK_ALGORITHM,
): string {
  return createHash(LINK_ALGORITHMS[alg].hash).update(canonical(fields)).update("\n").update(prevHash).digest("hex");
}

/** The anchor a configuration names: CHAIN_KEYS, else the key file in DATA_DIR (made on first use). */
export function anchorFromConfig(config: {
  chainKeys: string | undefined;
  dataDir: string;
  checkpointDir: string;
}): ChainAnchor & { keysFrom: "environment" | string } {
  if (config.chainKeys)
    return { keyring: parseKeyring(config.chainKeys), checkpointDir: config.checkpointDir, keysFrom: "environment" };
  const file = path.join(config.dataDir, "chain-keys");
  return { keyring: keyringFromFile(file), checkpointDir: config.checkpointDir, keysFrom: file };
}

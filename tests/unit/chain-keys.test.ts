// The chain keys: how they are written, which one signs, and when the server refuses to start
// without them (a server in production must not generate a key beside itself).
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  checkMac,
  keyringFromFile,
  linkAlgorithm,
  linkHash,
  macOf,
  newKeyLine,
  parseKeyring,
} from "../../app/server/chain/anchor.server";
import { loadConfig } from "../../app/server/config.server";

const key = (id: string) => `${id}:${Buffer.alloc(32, id.charCodeAt(0)).toString("base64")}`;

describe("chain keys", () => {
  it("sign with the first key listed and verify with any, naming the key with each MAC", () => {
    const rotated = parseKeyring(`${key("b")}, ${key("a")}`);
    const old = parseKeyring(key("a"));
    const byOld = macOf(old, "records", "f".repeat(64));
    expect(byOld.keyId).toBe("a");
    expect(macOf(rotated, "records", "f".repeat(64)).keyId).toBe("b");
    expect(checkMac(rotated, "records", "f".repeat(64), byOld.keyId, byOld.mac)).toBe("ok");
    // A MAC of one chain does not pass in the other, nor for another hash.
    expect(checkMac(rotated, "audit", "f".repeat(64), byOld.keyId, byOld.mac)).toBe("mac mismatch");
    expect(checkMac(rotated, "records", "e".repeat(64), byOld.keyId, byOld.mac)).toBe("mac mismatch");
    expect(checkMac(parseKeyring(key("c")), "records", "f".repeat(64), byOld.keyId, byOld.mac)).toBe("unknown key");
  });

  it("name the algorithms with each MAC; a MAC without a name checks as HMAC-SHA-256, an unknown name is reported", () => {
    const ring = parseKeyring(key("a"));
    const made = macOf(ring, "records", "f".repeat(64));
    expect(made.alg).toBe("sha256+hmac-sha256");
    expect(checkMac(ring, "records", "f".repeat(64), made.keyId, made.mac, made.alg)).toBe("ok");
    expect(checkMac(ring, "records", "f".repeat(64), made.keyId, made.mac, null)).toBe("ok");
    expect(checkMac(ring, "records", "f".repeat(64), made.keyId, made.mac, "md5+hmac-md5")).toBe("unknown algorithm");
    expect(linkAlgorithm(null)).toBe("sha256+hmac-sha256");
    expect(linkAlgorithm("toString")).toBeNull();
    // The link hash is SHA-256 of the canonical content and the previous hash, as before names.
    const hash = linkHash({ b: 1, a: "x" }, "0".repeat(64));
    expect(hash).toBe(
      createHash("sha256")
        .update('{"a":"x","b":1}\n' + "0".repeat(64))
        .digest("hex"),
    );
  });

  it("refuses short, unnamed or repeated keys", () => {
    expect(() => parseKeyring(`a:${Buffer.alloc(16).toString("base64")}`)).toThrow(/shorter than 32 bytes/);
    expect(() => parseKeyring(Buffer.alloc(32).toString("base64"))).toThrow(/id:secret/);
    expect(() => parseKeyring(`${key("a")},${key("a")}`)).toThrow(/twice/);
    expect(() => parseKeyring(" ")).toThrow(/no key/);
    expect(parseKeyring(newKeyLine()).activeId).toMatch(/^k\d{8}$/);
  });

  it("are required in production with a database server, with a checkpoint directory", () => {
    const server = { NODE_ENV: "production", DATABASE_URL: "postgres://app@db/mamoru" };
    expect(() => loadConfig(server)).toThrow(/CHAIN_KEYS: required.*CHAIN_CHECKPOINT_DIR: required/);
    expect(() => loadConfig({ ...server, CHAIN_KEYS: "nonsense", CHAIN_CHECKPOINT_DIR: "/x" })).toThrow(/CHAIN_KEYS/);
    const ok = loadConfig({ ...server, CHAIN_KEYS: key("a"), CHAIN_CHECKPOINT_DIR: "/srv/checkpoints" });
    expect(ok.checkpointDir).toBe("/srv/checkpoints");
    // The embedded engine (npm start on a fresh machine) keeps them in DATA_DIR.
    expect(loadConfig({ NODE_ENV: "production", DATA_DIR: "/var/mamoru" }).checkpointDir).toBe(
      "/var/mamoru/checkpoints",
    );
    expect(() => loadConfig({ MIGRATION_DATABASE_URL: "postgres://owner@db/mamoru" })).toThrow(/needs DATABASE_URL/);
  });

  it("without CHAIN_KEYS, are made once in DATA_DIR, readable by their owner only", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "mamoru-keys-"));
    try {
      const file = path.join(dir, "chain-keys");
      const first = keyringFromFile(file);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const again = keyringFromFile(file);
      expect(again.activeId).toBe(first.activeId);
      expect(again.keys.get(again.activeId)).toEqual(first.keys.get(first.activeId));
      expect(readFileSync(file, "utf8")).toMatch(/^# Mamoru chain keys/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

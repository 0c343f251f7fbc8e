import { afterEach, describe, expect, it } from "vitest";
import { installChainAnchor, parseKeyring } from "../../app/server/chain/anchor.server";
import { keyedHash, keyedHashMatches, keyedHashes, open, seal } from "../../app/server/auth/secret-box.server";
import { TEST_CHAIN_KEYS } from "../support/chain";

const OLD = `old:${Buffer.alloc(32, 1).toString("base64")}`;
const NEW = `new:${Buffer.alloc(32, 2).toString("base64")}`;
const useKeys = (text: string) => installChainAnchor({ keyring: parseKeyring(text), checkpointDir: null });

afterEach(() => useKeys(TEST_CHAIN_KEYS));

describe("secrets sealed with keys the database never holds", () => {
  it("seal a TOTP secret so that only the key opens it, and any change to the box is refused", () => {
    const { keyId, box } = seal("totp-secret", "JBSWY3DPEHPK3PXP");
    expect(keyId).toBe("test");
    expect(box).not.toContain("JBSWY3DP");
    expect(open("totp-secret", keyId, box)).toBe("JBSWY3DPEHPK3PXP");
    const [iv, tag, body] = box.slice("aes-256-gcm:".length).split(".");
    const flipped = Buffer.from(body!, "base64url");
    flipped[0] = flipped[0]! ^ 1;
    expect(open("totp-secret", keyId, `aes-256-gcm:${[iv, tag, flipped.toString("base64url")].join(".")}`)).toBeNull();
    // One purpose's box does not open as another's.
    expect(open("recovery-code", keyId, box)).toBeNull();
    expect(open("totp-secret", "unknown", box)).toBeNull();
    expect(open("totp-secret", keyId, "garbage")).toBeNull();
  });

  it("keep what an older key sealed readable after rotation, while it stays listed", () => {
    useKeys(OLD);
    const sealed = seal("totp-secret", "secret under the old key");
    const hashed = keyedHash("recovery-code", "user:abcde23456");
    useKeys(`${NEW}\n${OLD}`);
    expect(seal("totp-secret", "x").keyId).toBe("new");
    expect(open("totp-secret", sealed.keyId, sealed.box)).toBe("secret under the old key");
    expect(keyedHashes("recovery-code", "user:abcde23456")).toContain(hashed.hash);
    useKeys(NEW);
    expect(open("totp-secret", sealed.keyId, sealed.box)).toBeNull();
    expect(keyedHashes("recovery-code", "user:abcde23456")).not.toContain(hashed.hash);
  });

  it("name the algorithm with every box and keyed hash; values from before names still open and match", () => {
    const { keyId, box } = seal("totp-secret", "JBSWY3DPEHPK3PXP");
    expect(box).toMatch(/^aes-256-gcm:[\w-]+\.[\w-]+\.[\w-]+$/);
    // A box as it was stored before names: the same cipher, no name.
    const unnamed = box.slice("aes-256-gcm:".length);
    expect(open("totp-secret", keyId, unnamed)).toBe("JBSWY3DPEHPK3PXP");
    // A name this server does not know opens nothing.
    expect(open("totp-secret", keyId, `chacha20-poly1305:${unnamed}`)).toBeNull();

    const { hash } = keyedHash("recovery-code", "user:abcde23456");
    expect(hash).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    const candidates = keyedHashes("recovery-code", "user:abcde23456");
    expect(candidates).toContain(hash);
    // A recovery code stored before names (the hex alone) is still found.
    expect(candidates).toContain(hash.slice("hmac-sha256:".length));
    expect(keyedHashMatches("device-cookie", "u.d", keyedHash("device-cookie", "u.d").hash)).toBe(true);
    expect(keyedHashMatches("device-cookie", "u.d", keyedHash("device-cookie", "u.d").hash.slice(12))).toBe(true);
    expect(keyedHashMatches("device-cookie", "u.e", keyedHash("device-cookie", "u.d").hash)).toBe(false);
    expect(keyedHashMatches("device-cookie", "u.d", "md5:" + "0".repeat(64))).toBe(false);
  });
});

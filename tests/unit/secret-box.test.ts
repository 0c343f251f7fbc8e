import { afterEach, describe, expect, it } from "vitest";
import { installChainAnchor, parseKeyring } from "../../app/server/chain/anchor.server";
import { keyedHash, keyedHashes, open, seal } from "../../app/server/auth/secret-box.server";
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
    const [iv, tag, body] = box.split(".");
    const flipped = Buffer.from(body!, "base64url");
    flipped[0] = flipped[0]! ^ 1;
    expect(open("totp-secret", keyId, [iv, tag, flipped.toString("base64url")].join("."))).toBeNull();
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
});

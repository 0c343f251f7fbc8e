import { describe, expect, it } from "vitest";
import { hashPassword, passwordProblem, verifyPassword } from "../../app/server/auth/passwords.server";

describe("password rules", () => {
  it("refuses fewer than 12 characters and more than 128", () => {
    expect(passwordProblem("short phrase")).toBeNull(); // exactly 12
    expect(passwordProblem("short phras")).toBe("too_short");
    expect(passwordProblem("x".repeat(40) + "y".repeat(40) + "z".repeat(49))).toBe("too_long");
  });

  it("counts characters, not bytes, so Japanese passphrases are measured fairly", () => {
    expect(passwordProblem("こどもをまもるための研修です")).toBeNull(); // 14 characters, 42 bytes
    expect(passwordProblem("こどもをまもる研修")).toBe("too_short"); // 9 characters
  });

  it("refuses common passwords, also padded with digits or symbols", () => {
    expect(passwordProblem("123qweasdzxc")).toBe("common");
    expect(passwordProblem("password123456")).toBe("common");
    expect(passwordProblem("!!qwertyuiop!!")).toBe("common");
    expect(passwordProblem("aaaaaaaaaaaaaaa")).toBe("common");
  });

  it("refuses a leaked password in disguise: look-alikes, reversed, repeated, or a run along the keyboard", () => {
    // Each is built on a password of the breached list (or a run its builder left out as a pattern).
    expect(passwordProblem("1l0v3y0u!!!!")).toBe("breached");
    expect(passwordProblem("!!!!uoyevoli")).toBe("breached");
    expect(passwordProblem("monkeymonkey")).toBe("breached");
    expect(passwordProblem("qwertyuiopas")).toBe("breached");
    expect(passwordProblem("abcdefghijkl")).toBe("breached");
    expect(passwordProblem("lkjhgfdsapoiu")).toBe("breached");
    // Passphrases stay welcome.
    expect(passwordProblem("correct horse battery staple")).toBeNull();
    expect(passwordProblem("sunflower-meadow-42")).toBeNull();
    expect(passwordProblem("こどもをまもるための研修です")).toBeNull();
  });

  it("refuses a password built on the account's e-mail name", () => {
    expect(passwordProblem("tanaka.keiko-2026!", "tanaka.keiko@example.jp")).toBe("contains_email");
    expect(passwordProblem("river stones at dusk", "tanaka.keiko@example.jp")).toBeNull();
  });

  it("refuses a password containing the person's name, any part of three characters or more, in any case", () => {
    const person = { email: "k.t@example.jp", displayName: "Keiko Tanaka-Hayashi" };
    expect(passwordProblem("TANAKA river stones", person)).toBe("contains_name");
    expect(passwordProblem("river stones keiko!", person)).toBe("contains_name");
    expect(passwordProblem("hayashi at dusk 42", person)).toBe("contains_name");
    expect(passwordProblem("river stones at dusk", person)).toBeNull();
    // A two-character part ("Li") is too short to refuse every password that happens to hold it.
    expect(passwordProblem("lilies by the river", { displayName: "Li Wei" })).toBeNull();
    // Japanese names: a given name of three characters counts; full-width letters fold to ASCII.
    expect(passwordProblem("ゆうこの川辺の石たちと夕暮れ", { displayName: "田中 ゆうこ" })).toBe("contains_name");
    expect(passwordProblem("ｔａｎａｋａ river stones", { displayName: "Tanaka" })).toBe("contains_name");
  });

  it("refuses a password containing the product's name, in Latin letters or Japanese", () => {
    expect(passwordProblem("Mamoru-training-2026")).toBe("contains_product");
    expect(passwordProblem("river MAMORU stones")).toBe("contains_product");
    expect(passwordProblem("子どもを守る研修の合言葉")).toBe("contains_product");
    expect(passwordProblem("ｍａｍｏｒｕ river stones")).toBe("contains_product");
  });
});

describe("password hashing", () => {
  const params = { memoryCost: 19456, timeCost: 2 };

  it("stores argon2id with at least OWASP's minimum parameters", async () => {
    const stored = await hashPassword("river stones at dusk", params);
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(stored).not.toContain("river");
  });

  it("verifies the right password and nothing else", async () => {
    const stored = await hashPassword("river stones at dusk", params);
    expect(await verifyPassword(stored, "river stones at dusk")).toBe(true);
    expect(await verifyPassword(stored, "river stones at dawn")).toBe(false);
    expect(await verifyPassword("not a hash", "anything")).toBe(false);
  });
});

import { beforeAll, describe, expect, it } from "vitest";
import { createFirstAdmin, inspectSetupToken, issueSetupToken } from "../../app/server/auth/first-admin.server";
import type { DatabaseHandle } from "../../db/connect.server";
import { engine, testDatabase } from "../support/db";
import { testConfig } from "../support/fixtures";

let database: DatabaseHandle;
const hashing = testConfig().argon2;
const input = (email: string) => ({
  agencyName: "Tokyo Metropolitan Police",
  agencyKind: "police" as const,
  displayName: "First Admin",
  email,
  password: "a long enough passphrase",
  profession: "police" as const,
  locale: "en" as const,
});

beforeAll(async () => {
  database = await testDatabase();
});

describe(`first start (${engine})`, () => {
  it("issues a link only while there are no users, and the link creates exactly one admin", async () => {
    const token = (await issueSetupToken(database.db))!;
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await inspectSetupToken(database.db, token)).toBe("valid");
    // Two instances started at once may each have printed a link; a double submit may race.
    const other = (await issueSetupToken(database.db))!;
    const results = await Promise.allSettled([
      createFirstAdmin(database.db, hashing, token, input("admin@example.test")),
      createFirstAdmin(database.db, hashing, token, input("admin@example.test")),
      createFirstAdmin(database.db, hashing, other, input("second@example.test")),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const admins = await database.db.selectFrom("user_roles").select("user_id").where("role", "=", "admin").execute();
    expect(admins).toHaveLength(1);
    expect(await database.db.selectFrom("agencies").select("name").execute()).toEqual([
      { name: "Tokyo Metropolitan Police" },
    ]);
    expect(await inspectSetupToken(database.db, token)).toBe("used");
    expect(await inspectSetupToken(database.db, other)).toBe("used");
    expect(await issueSetupToken(database.db)).toBeNull();
  });

  it("refuses a made-up token", async () => {
    expect(await inspectSetupToken(database.db, "A".repeat(43))).not.toBe("valid");
  });
});

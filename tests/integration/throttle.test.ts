import { beforeAll, describe, expect, it } from "vitest";
import { signIn } from "../../app/server/auth/accounts.server";
import {
  ACCOUNT_RULE,
  ADDRESS_RULE,
  accountKey,
  lockedUntil,
  recordAttempt,
} from "../../app/server/auth/throttle.server";
import type { DatabaseHandle } from "../../db/connect.server";
import { engine, testDatabase } from "../support/db";
import { PASSWORD, makeAgency, makeUser, testConfig } from "../support/fixtures";

let database: DatabaseHandle;
let agencyId: string;
const hashing = testConfig().argon2;

beforeAll(async () => {
  database = await testDatabase();
  agencyId = (await makeAgency(database.db)).id;
});

describe(`sign-in and throttling (${engine})`, () => {
  it("signs in with the right password, whatever the e-mail's case and spaces", async () => {
    const user = await makeUser(database.db, { agencyId });
    const result = await signIn(database.db, hashing, {
      email: `  ${user.email.toUpperCase()} `,
      password: PASSWORD,
      address: "10.0.0.1",
    });
    expect(result).toEqual({ ok: true, userId: user.id, secondFactor: false });
  });

  it("gives the same answer for an unknown e-mail and a wrong password", async () => {
    const user = await makeUser(database.db, { agencyId });
    const wrong = await signIn(database.db, hashing, {
      email: user.email,
      password: "not the password",
      address: "10.0.0.2",
    });
    const unknown = await signIn(database.db, hashing, {
      email: "nobody@example.test",
      password: PASSWORD,
      address: "10.0.0.2",
    });
    expect(wrong).toEqual({ ok: false, reason: "invalid" });
    expect(unknown).toEqual(wrong);
  });

  it("refuses a disabled account even with the right password", async () => {
    const user = await makeUser(database.db, { agencyId });
    await database.db.updateTable("users").set({ disabled_at: new Date() }).where("id", "=", user.id).execute();
    expect(await signIn(database.db, hashing, { email: user.email, password: PASSWORD, address: "10.0.0.3" })).toEqual({
      ok: false,
      reason: "invalid",
    });
  });

  it("locks an account after 5 failures, even from different addresses, and refuses the right password while locked", async () => {
    const user = await makeUser(database.db, { agencyId });
    for (let i = 0; i < ACCOUNT_RULE.maxFailures; i++) {
      const r = await signIn(database.db, hashing, {
        email: user.email,
        password: `wrong ${i}`,
        address: `10.1.0.${i}`,
      });
      expect(r.ok).toBe(false);
    }
    const locked = await signIn(database.db, hashing, { email: user.email, password: PASSWORD, address: "10.1.1.1" });
    expect(locked.ok).toBe(false);
    expect(locked.ok === false && locked.reason).toBe("throttled");
    if (locked.ok === false && locked.reason === "throttled") {
      const minutes = (locked.retryAt.getTime() - Date.now()) / 60_000;
      expect(minutes).toBeGreaterThan(14);
      expect(minutes).toBeLessThanOrEqual(15.1);
    }
  });

  it("locks unknown e-mails the same way, so throttling reveals nothing", async () => {
    for (let i = 0; i < ACCOUNT_RULE.maxFailures; i++) {
      await signIn(database.db, hashing, { email: "ghost@example.test", password: "x", address: `10.2.0.${i}` });
    }
    const r = await signIn(database.db, hashing, { email: "ghost@example.test", password: "x", address: "10.2.1.1" });
    expect(r.ok === false && r.reason).toBe("throttled");
  });

  it("locks a client address that tries many accounts", async () => {
    const address = "10.3.0.1";
    for (let i = 0; i < ADDRESS_RULE.maxFailures; i++) {
      await signIn(database.db, hashing, { email: `spray-${i}@example.test`, password: "x", address });
    }
    const user = await makeUser(database.db, { agencyId });
    const r = await signIn(database.db, hashing, { email: user.email, password: PASSWORD, address });
    expect(r.ok === false && r.reason).toBe("throttled");
    const elsewhere = await signIn(database.db, hashing, {
      email: user.email,
      password: PASSWORD,
      address: "10.3.0.2",
    });
    expect(elsewhere.ok).toBe(true);
  });

  it("clears an account's failures after a successful sign-in", async () => {
    const user = await makeUser(database.db, { agencyId });
    for (let i = 0; i < ACCOUNT_RULE.maxFailures - 1; i++) {
      await signIn(database.db, hashing, { email: user.email, password: "wrong", address: "10.4.0.1" });
    }
    expect(
      (await signIn(database.db, hashing, { email: user.email, password: PASSWORD, address: "10.4.0.1" })).ok,
    ).toBe(true);
    const again = await signIn(database.db, hashing, { email: user.email, password: "wrong", address: "10.4.0.1" });
    expect(again).toEqual({ ok: false, reason: "invalid" });
  });

  it("doubles the lock with each failure past the limit, and forgets after the window", async () => {
    const key = accountKey("doubling@example.test");
    const t0 = new Date("2026-01-01T00:00:00Z");
    for (let i = 0; i < 5; i++) await recordAttempt(database.db, key, ACCOUNT_RULE, t0);
    expect((await lockedUntil(database.db, key, t0))?.getTime()).toBe(t0.getTime() + 15 * 60_000);
    await recordAttempt(database.db, key, ACCOUNT_RULE, t0);
    expect((await lockedUntil(database.db, key, t0))?.getTime()).toBe(t0.getTime() + 30 * 60_000);
    const muchLater = new Date(t0.getTime() + 24 * 3_600_000);
    expect(await lockedUntil(database.db, key, muchLater)).toBeNull();
    await recordAttempt(database.db, key, ACCOUNT_RULE, muchLater);
    expect(await lockedUntil(database.db, key, muchLater)).toBeNull();
  });

  it("counts failures atomically when many arrive at once (as from several instances)", async () => {
    const key = accountKey("burst@example.test");
    const now = new Date();
    await Promise.all(Array.from({ length: 20 }, () => recordAttempt(database.db, key, ACCOUNT_RULE, now)));
    const row = await database.db
      .selectFrom("throttles")
      .select("failures")
      .where("key", "=", key)
      .executeTakeFirstOrThrow();
    expect(row.failures).toBe(20);
  });
});

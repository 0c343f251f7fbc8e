import { beforeAll, describe, expect, it } from "vitest";
import { signIn } from "../../app/server/auth/accounts.server";
import {
  ACCOUNT_RULE,
  ADDRESS_RULE,
  LIMITS,
  accountKey,
  limitKey,
  lockedUntil,
  recordAttempt,
  spendAllowance,
  sweepThrottles,
} from "../../app/server/auth/throttle.server";
import { DomainError } from "../../app/server/shared/errors.server";
import { createLogger } from "../../app/server/shared/log.server";
import { inSecurityScope, securityScope } from "../../app/server/shared/security-events.server";
import { deviceCookie, readKnownDevice } from "../../app/server/auth/devices.server";
import type { DatabaseHandle } from "../../db/connect.server";
import { engine, testDatabase } from "../support/db";
import { PASSWORD, makeAgency, makeUser, testConfig } from "../support/fixtures";

let database: DatabaseHandle;
let agencyId: string;
const hashing = testConfig().argon2;
/** The name=value part of a Set-Cookie line, as the browser sends it back. */
const cookiePair = (setCookie: string) => setCookie.split(";")[0]!;

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

  it("makes an account wait after 5 failures, even from different addresses, and refuses the right password meanwhile", async () => {
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
      // A minute, not a quarter of an hour: the owner who mistyped five times is not shut out.
      const minutes = (locked.retryAt.getTime() - Date.now()) / 60_000;
      expect(minutes).toBeGreaterThan(0.9);
      expect(minutes).toBeLessThanOrEqual(1.05);
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

  it("doubles the wait with each failure past the limit up to 15 minutes, locks hard at 20, and forgets after a day", async () => {
    const key = accountKey("doubling@example.test");
    const t0 = new Date("2026-01-01T00:00:00Z");
    const waitAfter = async () => ((await lockedUntil(database.db, key, t0))?.getTime() ?? t0.getTime()) - t0.getTime();
    for (let i = 0; i < 4; i++) await recordAttempt(database.db, key, ACCOUNT_RULE, t0);
    expect(await waitAfter()).toBe(0);
    const waits: number[] = [];
    for (let failure = 5; failure <= 20; failure++) {
      await recordAttempt(database.db, key, ACCOUNT_RULE, t0);
      waits.push((await waitAfter()) / 60_000);
    }
    expect(waits).toEqual([1, 2, 4, 8, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 24 * 60]);
    const dayAndAHalfLater = new Date(t0.getTime() + 36 * 3_600_000);
    expect(await lockedUntil(database.db, key, dayAndAHalfLater)).toBeNull();
    await recordAttempt(database.db, key, ACCOUNT_RULE, dayAndAHalfLater);
    expect(await lockedUntil(database.db, key, dayAndAHalfLater)).toBeNull();
  });

  it("lets the right password through from a device that signed in to the account before, while the account waits", async () => {
    const user = await makeUser(database.db, { agencyId });
    const device = readKnownDevice(cookiePair(deviceCookie(user.id, true)), true)!;
    expect(device).toEqual({ userId: user.id, deviceId: expect.any(String) });
    // Someone elsewhere guesses at the account until it must wait.
    for (let i = 0; i < 8; i++)
      await signIn(database.db, hashing, { email: user.email, password: `guess ${i}`, address: "10.6.0.1" });
    const stranger = await signIn(database.db, hashing, { email: user.email, password: PASSWORD, address: "10.6.0.2" });
    expect(stranger.ok === false && stranger.reason).toBe("throttled");
    const owner = await signIn(database.db, hashing, {
      email: user.email,
      password: PASSWORD,
      address: "10.6.0.3",
      device,
    });
    expect(owner.ok).toBe(true);
    // The owner's success does not wipe the guesser's count.
    expect(await lockedUntil(database.db, accountKey(user.email))).not.toBeNull();
  });

  it("lets a known device through an address that many failures have locked (a shared address)", async () => {
    const address = "10.7.0.1";
    for (let i = 0; i < ADDRESS_RULE.maxFailures; i++)
      await signIn(database.db, hashing, { email: `colleague-${i}@example.test`, password: "x", address });
    const user = await makeUser(database.db, { agencyId });
    const stranger = await signIn(database.db, hashing, { email: user.email, password: PASSWORD, address });
    expect(stranger.ok === false && stranger.reason).toBe("throttled");
    const device = readKnownDevice(cookiePair(deviceCookie(user.id, false)), false);
    expect((await signIn(database.db, hashing, { email: user.email, password: PASSWORD, address, device })).ok).toBe(
      true,
    );
  });

  it("counts a known device's failures on the device, and honours no forged or borrowed cookie", async () => {
    const user = await makeUser(database.db, { agencyId });
    const other = await makeUser(database.db, { agencyId });
    const device = readKnownDevice(cookiePair(deviceCookie(user.id, true)), true)!;
    for (let i = 0; i < ACCOUNT_RULE.maxFailures; i++)
      await signIn(database.db, hashing, { email: user.email, password: "wrong", address: "10.8.0.1", device });
    const locked = await signIn(database.db, hashing, {
      email: user.email,
      password: PASSWORD,
      address: "10.8.0.1",
      device,
    });
    expect(locked.ok === false && locked.reason).toBe("throttled");
    expect(await lockedUntil(database.db, accountKey(user.email))).toBeNull();
    // Another account's device cookie counts for nothing at this account.
    const borrowed = readKnownDevice(cookiePair(deviceCookie(other.id, true)), true)!;
    for (let i = 0; i < ACCOUNT_RULE.maxFailures; i++)
      await signIn(database.db, hashing, {
        email: user.email,
        password: "wrong",
        address: `10.8.1.${i}`,
        device: borrowed,
      });
    expect(await lockedUntil(database.db, accountKey(user.email))).not.toBeNull();
    // A cookie whose MAC does not match is no device at all.
    const value = cookiePair(deviceCookie(user.id, true));
    const forged = value.slice(0, -4) + (value.endsWith("0000") ? "1111" : "0000");
    expect(readKnownDevice(forged, true)).toBeNull();
    expect(readKnownDevice(value.replace(user.id, other.id), true)).toBeNull();
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

  it("logs each failure and each lock as a security event with the account's id, never the address typed", async () => {
    const user = await makeUser(database.db, { agencyId });
    const lines: string[] = [];
    const scope = securityScope(
      createLogger("info", {}, (l) => lines.push(l)),
      "req-lock",
    );
    for (let i = 0; i < ACCOUNT_RULE.maxFailures; i++) {
      await inSecurityScope(scope, () =>
        signIn(database.db, hashing, { email: user.email, password: `wrong ${i}`, address: "10.9.0.1" }),
      );
    }
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.filter((e) => e.event === "auth.sign_in_failed")).toHaveLength(ACCOUNT_RULE.maxFailures);
    expect(events).toContainEqual(
      expect.objectContaining({
        level: "warn",
        event: "auth.locked_out",
        scope: "account",
        userId: user.id,
        requestId: "req-lock",
      }),
    );
    expect(lines.join("\n")).not.toContain(user.email);
    expect(lines.join("\n")).not.toContain("wrong 0");
  });
});

describe(`usage limits (${engine})`, () => {
  const limit = LIMITS.exports;
  const refusal = async (run: () => Promise<unknown>) => {
    try {
      await run();
    } catch (error) {
      return error;
    }
    return null;
  };

  it("count uses in a window, refuse past it without counting, and start afresh when the window has passed", async () => {
    const subject = "user:00000000-0000-4000-8000-000000000001";
    const t0 = new Date("2026-03-01T09:00:00Z");
    for (let i = 0; i < limit.max; i++) await spendAllowance(database.db, "exports", subject, 1, t0);
    const later = new Date(t0.getTime() + 10 * 60_000);
    const refused = await refusal(() => spendAllowance(database.db, "exports", subject, 1, later));
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ code: "throttled", messageKey: "errors.limit.exports" });
    // Back when the window that began with the first use ends, not later.
    expect((refused as DomainError).params).toEqual({ time: new Date(t0.getTime() + limit.windowMs) });
    const row = async () =>
      database.db
        .selectFrom("throttles")
        .select(["failures", "window_started_at"])
        .where("key", "=", limitKey("exports", subject))
        .executeTakeFirstOrThrow();
    expect((await row()).failures).toBe(limit.max);
    const nextWindow = new Date(t0.getTime() + limit.windowMs);
    await spendAllowance(database.db, "exports", subject, 1, nextWindow);
    expect(await row()).toEqual({ failures: 1, window_started_at: nextWindow });
  });

  it("refuse an amount larger than what is left, using none of it", async () => {
    const subject = "user:00000000-0000-4000-8000-000000000002";
    const now = new Date();
    await spendAllowance(database.db, "importedInvitations", subject, LIMITS.importedInvitations.max - 5, now);
    expect(await refusal(() => spendAllowance(database.db, "importedInvitations", subject, 6, now))).toBeInstanceOf(
      DomainError,
    );
    await spendAllowance(database.db, "importedInvitations", subject, 5, now);
    expect(await refusal(() => spendAllowance(database.db, "importedInvitations", subject, 1, now))).toBeInstanceOf(
      DomainError,
    );
  });

  it("let exactly the limit through when many arrive at once (as from several instances)", async () => {
    const subject = "address:10.10.0.1";
    const now = new Date();
    const results = await Promise.allSettled(
      Array.from({ length: limit.max + 10 }, () => spendAllowance(database.db, "exports", subject, 1, now)),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(limit.max);
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(10);
  });

  it("are swept once their window has passed; live counts and locks stay", async () => {
    const now = new Date("2026-06-01T12:00:00Z");
    const old = new Date(now.getTime() - 3 * 24 * 3_600_000);
    await spendAllowance(database.db, "exports", "user:swept", 1, old);
    await spendAllowance(database.db, "exports", "user:live", 1, now);
    await recordAttempt(database.db, accountKey("locked-for-long@example.test"), ACCOUNT_RULE, old);
    await database.db
      .updateTable("throttles")
      .set({ locked_until: new Date(now.getTime() + 3_600_000) })
      .where("key", "=", accountKey("locked-for-long@example.test"))
      .execute();
    await sweepThrottles(database.db, now);
    const keys = (await database.db.selectFrom("throttles").select("key").execute()).map((r) => r.key);
    expect(keys).not.toContain(limitKey("exports", "user:swept"));
    expect(keys).toContain(limitKey("exports", "user:live"));
    expect(keys).toContain(accountKey("locked-for-long@example.test"));
  });
});

import { beforeAll, describe, expect, it, vi } from "vitest";
import { changePassword, signIn } from "../../app/server/auth/accounts.server";
import {
  completePasswordReset,
  inspectReset,
  requestPasswordReset,
  RESET_TTL_MS,
} from "../../app/server/auth/password-reset.server";
import { createSessions } from "../../app/server/auth/sessions.server";
import { createMailer } from "../../app/server/mail/mailer.server";
import { createLogger } from "../../app/server/shared/log.server";
import type { DatabaseHandle } from "../../db/connect.server";
import { engine, testDatabase } from "../support/db";
import { PASSWORD, makeAgency, makeUser, testConfig } from "../support/fixtures";
import { lastLinkTo } from "../support/mail";

let database: DatabaseHandle;
let agencyId: string;
const hashing = testConfig().argon2;
const NEW = "a completely new passphrase";

beforeAll(async () => {
  database = await testDatabase();
  agencyId = (await makeAgency(database.db)).id;
});

const mailer = () => createMailer(database.db, createLogger("silent"), { smtpUrl: undefined, from: "test" });
const sessions = () =>
  createSessions(database.db, { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000, secureCookies: true });
const mailCount = async (to: string) =>
  (await database.db.selectFrom("mail_outbox").select("id").where("to_address", "=", to).execute()).length;

describe(`password reset (${engine})`, () => {
  it("sets the new password, ends every session and works once", async () => {
    const user = await makeUser(database.db, { agencyId });
    const cookie = (await sessions().start(user.id)).split(";")[0]!;
    await requestPasswordReset(database.db, mailer(), "http://mamoru.test", user.email);
    const token = await lastLinkTo(database.db, user.email, "reset-password");
    expect(await inspectReset(database.db, token)).toBe("valid");
    await completePasswordReset(database.db, hashing, token, NEW);
    expect((await sessions().validate(cookie)).user).toBeNull();
    expect((await signIn(database.db, hashing, { email: user.email, password: NEW, address: "a" })).ok).toBe(true);
    expect((await signIn(database.db, hashing, { email: user.email, password: PASSWORD, address: "a" })).ok).toBe(
      false,
    );
    await expect(completePasswordReset(database.db, hashing, token, "yet another passphrase")).rejects.toMatchObject({
      messageKey: "errors.token.used",
    });
    expect(await inspectReset(database.db, token)).toBe("used");
  });

  it("sends nothing for an unknown address and says nothing different", async () => {
    await expect(
      requestPasswordReset(database.db, mailer(), "http://x", "nobody@example.test"),
    ).resolves.toBeUndefined();
    expect(await mailCount("nobody@example.test")).toBe(0);
  });

  it("expires after an hour", async () => {
    const user = await makeUser(database.db, { agencyId });
    await requestPasswordReset(database.db, mailer(), "http://x", user.email);
    const token = await lastLinkTo(database.db, user.email, "reset-password");
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + RESET_TTL_MS + 1000);
    try {
      expect(await inspectReset(database.db, token)).toBe("expired");
      await expect(completePasswordReset(database.db, hashing, token, NEW)).rejects.toMatchObject({
        messageKey: "errors.token.expired",
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it("keeps only the newest link valid", async () => {
    const user = await makeUser(database.db, { agencyId });
    await requestPasswordReset(database.db, mailer(), "http://x", user.email);
    const first = await lastLinkTo(database.db, user.email, "reset-password");
    await new Promise((r) => setTimeout(r, 5));
    await requestPasswordReset(database.db, mailer(), "http://x", user.email);
    const second = await lastLinkTo(database.db, user.email, "reset-password");
    expect(second).not.toBe(first);
    expect(await inspectReset(database.db, first)).toBe("used");
    expect(await inspectReset(database.db, second)).toBe("valid");
  });

  it("sends at most three reset mails an hour to one address, and answers the same", async () => {
    const user = await makeUser(database.db, { agencyId });
    for (let i = 0; i < 6; i++) await requestPasswordReset(database.db, mailer(), "http://x", user.email);
    expect(await mailCount(user.email)).toBe(3);
  });

  it("refuses a common password and keeps the link usable", async () => {
    const user = await makeUser(database.db, { agencyId });
    await requestPasswordReset(database.db, mailer(), "http://x", user.email);
    const token = await lastLinkTo(database.db, user.email, "reset-password");
    await expect(completePasswordReset(database.db, hashing, token, "qwertyuiop123")).rejects.toMatchObject({
      messageKey: "errors.password.common",
    });
    expect(await inspectReset(database.db, token)).toBe("valid");
  });

  it("changing a password needs the current one, and ends every session", async () => {
    const user = await makeUser(database.db, { agencyId });
    const cookie = (await sessions().start(user.id)).split(";")[0]!;
    await expect(
      changePassword(database.db, hashing, {
        userId: user.id,
        currentPassword: "wrong",
        newPassword: NEW,
        address: "1.1.1.1",
      }),
    ).rejects.toMatchObject({ field: "currentPassword" });
    expect((await sessions().validate(cookie)).user?.id).toBe(user.id);
    await changePassword(database.db, hashing, {
      userId: user.id,
      currentPassword: PASSWORD,
      newPassword: NEW,
      address: "1.1.1.1",
    });
    expect((await sessions().validate(cookie)).user).toBeNull();
  });

  it("the current password is checked under the sign-in throttle: guesses lock sign-in too, and the reverse", async () => {
    const user = await makeUser(database.db, { agencyId });
    const change = (currentPassword: string, address = "2.2.2.2") =>
      changePassword(database.db, hashing, { userId: user.id, currentPassword, newPassword: NEW, address });
    for (let i = 0; i < 5; i++) await expect(change("wrong guess")).rejects.toMatchObject({ code: "invalid" });
    // Locked now, even with the right password, from another address, and for sign-in as well.
    await expect(change(PASSWORD, "3.3.3.3")).rejects.toMatchObject({
      code: "throttled",
      messageKey: "errors.password.throttled",
      field: "currentPassword",
    });
    expect(
      await signIn(database.db, hashing, { email: user.email, password: PASSWORD, address: "4.4.4.4" }),
    ).toMatchObject({ ok: false, reason: "throttled" });

    const other = await makeUser(database.db, { agencyId });
    for (let i = 0; i < 5; i++)
      await signIn(database.db, hashing, { email: other.email, password: "no", address: "5.5.5.5" });
    await expect(
      changePassword(database.db, hashing, {
        userId: other.id,
        currentPassword: PASSWORD,
        newPassword: NEW,
        address: "6.6.6.6",
      }),
    ).rejects.toMatchObject({ code: "throttled" });
  });
});

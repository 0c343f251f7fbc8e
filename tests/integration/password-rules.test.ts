// ASVS 6.2.11: every place a password is set refuses one that holds the person's name, their
// e-mail address or the product's name, and changes nothing when it does.
import { beforeAll, describe, expect, it } from "vitest";
import { changePassword, signIn } from "../../app/server/auth/accounts.server";
import { createFirstAdmin, inspectSetupToken, issueSetupToken } from "../../app/server/auth/first-admin.server";
import { acceptInvitation, inspectInvitation, invite } from "../../app/server/auth/invitations.server";
import { completePasswordReset, inspectReset, requestPasswordReset } from "../../app/server/auth/password-reset.server";
import { createMailer } from "../../app/server/mail/mailer.server";
import { createLogger } from "../../app/server/shared/log.server";
import type { DatabaseHandle } from "../../db/connect.server";
import { engine, testDatabase } from "../support/db";
import { PASSWORD, makeAgency, makeUser, testConfig } from "../support/fixtures";
import { lastLinkTo } from "../support/mail";

let database: DatabaseHandle;
const hashing = testConfig().argon2;
const mailer = () => createMailer(database.db, createLogger("silent"), { smtpUrl: undefined, from: "test" });
const problem = (key: string) => ({ messageKey: `errors.password.${key}` });

beforeAll(async () => {
  database = await testDatabase();
});

describe(`password rules where a password is set (${engine})`, () => {
  it("the first admin cannot choose a password with their name or the product's name", async () => {
    const token = (await issueSetupToken(database.db))!;
    const input = {
      agencyName: "Kyoto Prefectural Police",
      agencyKind: "police" as const,
      displayName: "Hiroshi Yamamoto",
      email: "h.y@example.test",
      profession: "police" as const,
      locale: "en" as const,
    };
    await expect(
      createFirstAdmin(database.db, hashing, token, { ...input, password: "yamamoto river stones" }),
    ).rejects.toMatchObject(problem("contains_name"));
    await expect(
      createFirstAdmin(database.db, hashing, token, { ...input, password: "Mamoru admin passphrase" }),
    ).rejects.toMatchObject(problem("contains_product"));
    expect(await inspectSetupToken(database.db, token)).toBe("valid");
    expect(await database.db.selectFrom("users").select("id").execute()).toEqual([]);
  });

  it("an invitation cannot be accepted with the name just typed in the password", async () => {
    const agencyId = (await makeAgency(database.db)).id;
    const admin = await makeUser(database.db, { agencyId, roles: ["admin"] });
    await invite(
      database.db,
      mailer(),
      "http://x",
      { id: admin.id, agencyId, roles: ["admin"] },
      { email: "sato.invited@example.test", agencyId, role: "trainee", profession: "police" },
    );
    const token = await lastLinkTo(database.db, "sato.invited@example.test", "invite");
    const accept = (password: string) =>
      acceptInvitation(database.db, hashing, token, { displayName: "Yumi Sato", password, locale: "ja" });
    await expect(accept("YUMI walks by the river")).rejects.toMatchObject(problem("contains_name"));
    await expect(accept("sato.invited river stones")).rejects.toMatchObject(problem("contains_email"));
    await expect(accept("子どもを守るための合言葉です")).rejects.toMatchObject(problem("contains_product"));
    expect((await inspectInvitation(database.db, token)).status).toBe("valid");
    await expect(accept("river stones at dusk")).resolves.toMatchObject({ userId: expect.any(String) });
  });

  it("a reset link refuses the account holder's name and stays usable", async () => {
    const agencyId = (await makeAgency(database.db)).id;
    const user = await makeUser(database.db, { agencyId, displayName: "Keiko Tanaka" });
    await requestPasswordReset(database.db, mailer(), "http://x", user.email);
    const token = await lastLinkTo(database.db, user.email, "reset-password");
    await expect(completePasswordReset(database.db, hashing, token, "tanaka keiko 2026!")).rejects.toMatchObject(
      problem("contains_name"),
    );
    expect(await inspectReset(database.db, token)).toBe("valid");
    const old = await signIn(database.db, hashing, { email: user.email, password: PASSWORD, address: "10.9.0.1" });
    expect(old.ok).toBe(true);
  });

  it("changing a password on the account page refuses the name and keeps the old password", async () => {
    const agencyId = (await makeAgency(database.db)).id;
    const user = await makeUser(database.db, { agencyId, displayName: "Akira Kobayashi" });
    const change = (newPassword: string) =>
      changePassword(database.db, hashing, {
        userId: user.id,
        currentPassword: PASSWORD,
        newPassword,
        address: "10.9.0.2",
      });
    await expect(change("Kobayashi's new passphrase")).rejects.toMatchObject(problem("contains_name"));
    await expect(change("mamoru is my passphrase")).rejects.toMatchObject(problem("contains_product"));
    const old = await signIn(database.db, hashing, { email: user.email, password: PASSWORD, address: "10.9.0.2" });
    expect(old.ok).toBe(true);
  });
});

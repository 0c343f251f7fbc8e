import { beforeAll, describe, expect, it, vi } from "vitest";
import {
  acceptInvitation,
  inspectInvitation,
  invite,
  INVITATION_TTL_MS,
  listPendingInvitations,
  resendInvitation,
  revokeInvitation,
} from "../../app/server/auth/invitations.server";
import { signIn } from "../../app/server/auth/accounts.server";
import { createMailer } from "../../app/server/mail/mailer.server";
import { createLogger } from "../../app/server/shared/log.server";
import { DomainError } from "../../app/server/shared/errors.server";
import type { DatabaseHandle } from "../../db/connect.server";
import { engine, testDatabase } from "../support/db";
import { makeAgency, makeUser, testConfig, type MadeUser } from "../support/fixtures";
import { lastLinkTo } from "../support/mail";

let database: DatabaseHandle;
let admin: MadeUser;
let trainer: MadeUser;
let agencyId: string;
let otherAgencyId: string;
const hashing = testConfig().argon2;
const logs: string[] = [];

beforeAll(async () => {
  database = await testDatabase();
  agencyId = (await makeAgency(database.db, "Osaka Prefectural Police")).id;
  otherAgencyId = (await makeAgency(database.db, "Family Court", "court")).id;
  admin = await makeUser(database.db, { agencyId, roles: ["admin"] });
  trainer = await makeUser(database.db, { agencyId, roles: ["trainer"] });
});

const mailer = () =>
  createMailer(
    database.db,
    createLogger("info", {}, (l) => logs.push(l)),
    { smtpUrl: undefined, from: "test" },
  );
const asActor = (u: MadeUser) => ({ id: u.id, agencyId: u.agencyId, roles: u.roles });
const accept = (token: string, name = "Keiko Tanaka") =>
  acceptInvitation(database.db, hashing, token, { displayName: name, password: "river stones at dusk", locale: "ja" });

describe(`invitations (${engine})`, () => {
  it("carry agency, role and profession into the new account, and sign-in works", async () => {
    await invite(database.db, mailer(), "http://mamoru.test", asActor(admin), {
      email: "New.Reviewer@Example.test",
      agencyId,
      role: "reviewer",
      profession: "prosecutor",
    });
    const token = await lastLinkTo(database.db, "new.reviewer@example.test", "invite");
    const view = await inspectInvitation(database.db, token);
    expect(view).toMatchObject({
      status: "valid",
      email: "new.reviewer@example.test",
      agencyName: "Osaka Prefectural Police",
      role: "reviewer",
      profession: "prosecutor",
    });
    const { userId } = await accept(token, "田中 恵子");
    const user = await database.db.selectFrom("users").selectAll().where("id", "=", userId).executeTakeFirstOrThrow();
    expect(user).toMatchObject({
      email: "new.reviewer@example.test",
      display_name: "田中 恵子",
      agency_id: agencyId,
      profession: "prosecutor",
      locale: "ja",
    });
    const roles = await database.db.selectFrom("user_roles").select("role").where("user_id", "=", userId).execute();
    expect(roles).toEqual([{ role: "reviewer" }]);
    expect(
      (
        await signIn(database.db, hashing, {
          email: "new.reviewer@example.test",
          password: "river stones at dusk",
          address: "1.1.1.1",
        })
      ).ok,
    ).toBe(true);
  });

  it("log the link without a mail server only when LOG_MAIL_LINKS asks for it", async () => {
    const lines: string[] = [];
    const mailerLogging = (logLinks: boolean) =>
      createMailer(
        database.db,
        createLogger("info", {}, (l) => lines.push(l)),
        { smtpUrl: undefined, from: "test", logLinks },
      );
    await invite(database.db, mailerLogging(false), "http://mamoru.test", asActor(admin), {
      email: "unlogged@example.test",
      agencyId,
      role: "trainee",
      profession: "police",
    });
    const kept = await lastLinkTo(database.db, "unlogged@example.test", "invite");
    expect(lines.some((l) => l.includes("/invite/"))).toBe(false);
    expect(lines.some((l) => l.includes("mail kept in outbox"))).toBe(true);
    expect(kept).toMatch(/^[\w-]{43}$/);

    await invite(database.db, mailerLogging(true), "http://mamoru.test", asActor(admin), {
      email: "logged@example.test",
      agencyId,
      role: "trainee",
      profession: "police",
    });
    const token = await lastLinkTo(database.db, "logged@example.test", "invite");
    expect(lines.some((l) => l.includes(`/invite/${token}`))).toBe(true);
  });

  it("work once: a second use is refused and creates nothing", async () => {
    await invite(database.db, mailer(), "http://mamoru.test", asActor(admin), {
      email: "once@example.test",
      agencyId,
      role: "trainee",
      profession: "judge",
    });
    const token = await lastLinkTo(database.db, "once@example.test", "invite");
    await accept(token);
    await expect(accept(token)).rejects.toMatchObject({ messageKey: "errors.token.used" });
    expect(await inspectInvitation(database.db, token)).toEqual({ status: "used" });
    const users = await database.db.selectFrom("users").select("id").where("email", "=", "once@example.test").execute();
    expect(users).toHaveLength(1);
  });

  it("create one account when the same invitation is submitted many times at once", async () => {
    await invite(database.db, mailer(), "http://mamoru.test", asActor(admin), {
      email: "double@example.test",
      agencyId,
      role: "trainee",
      profession: "judge",
    });
    const token = await lastLinkTo(database.db, "double@example.test", "invite");
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => accept(token)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(DomainError);
    const users = await database.db
      .selectFrom("users")
      .select("id")
      .where("email", "=", "double@example.test")
      .execute();
    expect(users).toHaveLength(1);
  });

  it("expire after seven days", async () => {
    await invite(database.db, mailer(), "http://mamoru.test", asActor(admin), {
      email: "late@example.test",
      agencyId,
      role: "trainee",
      profession: "police",
    });
    const token = await lastLinkTo(database.db, "late@example.test", "invite");
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + INVITATION_TTL_MS + 1000);
    try {
      expect(await inspectInvitation(database.db, token)).toEqual({ status: "expired" });
      await expect(accept(token)).rejects.toMatchObject({ messageKey: "errors.token.expired" });
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuse unknown tokens without saying more", async () => {
    expect(await inspectInvitation(database.db, "x".repeat(43))).toEqual({ status: "unknown" });
  });

  it("refuse weak passwords at acceptance and leave the invitation usable", async () => {
    await invite(database.db, mailer(), "http://mamoru.test", asActor(admin), {
      email: "weak@example.test",
      agencyId,
      role: "trainee",
      profession: "police",
    });
    const token = await lastLinkTo(database.db, "weak@example.test", "invite");
    await expect(
      acceptInvitation(database.db, hashing, token, { displayName: "W", password: "password1234", locale: "en" }),
    ).rejects.toMatchObject({ messageKey: "errors.password.common", field: "password" });
    expect((await inspectInvitation(database.db, token)).status).toBe("valid");
  });

  it("let trainers invite trainees to their own agency only", async () => {
    const m = mailer();
    await expect(
      invite(database.db, m, "http://x", asActor(trainer), {
        email: "t1@example.test",
        agencyId,
        role: "trainee",
        profession: "police",
      }),
    ).resolves.toBeDefined();
    await expect(
      invite(database.db, m, "http://x", asActor(trainer), {
        email: "t2@example.test",
        agencyId,
        role: "admin",
        profession: "police",
      }),
    ).rejects.toMatchObject({ code: "forbidden" });
    await expect(
      invite(database.db, m, "http://x", asActor(trainer), {
        email: "t3@example.test",
        agencyId: otherAgencyId,
        role: "trainee",
        profession: "judge",
      }),
    ).rejects.toMatchObject({ code: "forbidden" });
    const trainee = await makeUser(database.db, { agencyId });
    await expect(
      invite(database.db, m, "http://x", asActor(trainee), {
        email: "t4@example.test",
        agencyId,
        role: "trainee",
        profession: "police",
      }),
    ).rejects.toMatchObject({ code: "forbidden" });
  });

  it("refuse an address that already has an account", async () => {
    await expect(
      invite(database.db, mailer(), "http://x", asActor(admin), {
        email: trainer.email,
        agencyId,
        role: "trainee",
        profession: "police",
      }),
    ).rejects.toMatchObject({ code: "conflict", field: "email" });
  });

  it("record who invited whom in the audit trail", async () => {
    await invite(database.db, mailer(), "http://x", asActor(admin), {
      email: "audited@example.test",
      agencyId,
      role: "trainer",
      profession: "police",
    });
    const events = await database.db
      .selectFrom("audit_events")
      .select(["actor_id", "action", "details"])
      .where("action", "=", "user.invited")
      .execute();
    expect(
      events.some((e) => e.actor_id === admin.id && (e.details as { email?: string }).email === "audited@example.test"),
    ).toBe(true);
  });

  it("tell the inviter that no mail went out when no mail server is configured, with the link", async () => {
    const sent = await invite(database.db, mailer(), "http://mamoru.test", asActor(trainer), {
      email: "no-smtp@example.test",
      agencyId,
      role: "trainee",
      profession: "police",
    });
    expect(sent.delivery).toBe("kept");
    expect(sent.link).toBe(
      `http://mamoru.test/invite/${await lastLinkTo(database.db, "no-smtp@example.test", "invite")}`,
    );
  });
});

describe(`invitations to the same address (${engine})`, () => {
  const pendingTo = async (email: string) =>
    (await listPendingInvitations(database.db)).filter((i) => i.email === email);
  const tokenOf = (link: string) => link.slice(link.lastIndexOf("/") + 1);

  it("a new one, in any letter case and from anyone, replaces the old: one live link, one listed", async () => {
    const first = await invite(database.db, mailer(), "http://x", asActor(admin), {
      email: "Twice@Example.test",
      agencyId,
      role: "trainee",
      profession: "police",
    });
    const second = await invite(database.db, mailer(), "http://x", asActor(trainer), {
      email: "twice@EXAMPLE.test",
      agencyId,
      role: "trainee",
      profession: "judge",
    });
    expect(await inspectInvitation(database.db, tokenOf(first.link))).toEqual({ status: "superseded" });
    await expect(accept(tokenOf(first.link))).rejects.toMatchObject({ messageKey: "errors.token.superseded" });
    expect(await pendingTo("twice@example.test")).toEqual([
      expect.objectContaining({ id: second.id, profession: "judge" }),
    ]);
    const { userId } = await accept(tokenOf(second.link));
    expect(await pendingTo("twice@example.test")).toEqual([]);
    // The old link still says it was replaced, not that it opens a form.
    expect(await inspectInvitation(database.db, tokenOf(first.link))).toEqual({ status: "superseded" });
    const superseded = await database.db
      .selectFrom("audit_events")
      .select(["actor_id", "details"])
      .where("action", "=", "user.invitation_superseded")
      .where("subject_id", "=", first.id)
      .execute();
    expect(superseded).toEqual([{ actor_id: trainer.id, details: { email: "twice@example.test", by: second.id } }]);
    expect(userId).toBeDefined();
  });

  it("at most one is open per address even when two are sent at once", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 4 }, () =>
        invite(database.db, mailer(), "http://x", asActor(admin), {
          email: "race@example.test",
          agencyId,
          role: "trainee",
          profession: "police",
        }),
      ),
    );
    expect(results.some((r) => r.status === "fulfilled")).toBe(true);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(DomainError);
    expect(await pendingTo("race@example.test")).toHaveLength(1);
  });

  it("can be sent again: a new link and a fresh week, the old link replaced, audited", async () => {
    const first = await invite(database.db, mailer(), "http://x", asActor(trainer), {
      email: "resend@example.test",
      agencyId,
      role: "trainee",
      profession: "social_worker",
    });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 6 * 24 * 3_600_000);
    try {
      const again = await resendInvitation(database.db, mailer(), "http://x", asActor(trainer), first.id);
      expect(again.delivery).toBe("kept");
      expect(again.link).not.toBe(first.link);
      expect(await lastLinkTo(database.db, "resend@example.test", "invite")).toBe(tokenOf(again.link));
      expect(await inspectInvitation(database.db, tokenOf(first.link))).toEqual({ status: "superseded" });
      expect(await inspectInvitation(database.db, tokenOf(again.link))).toMatchObject({
        status: "valid",
        profession: "social_worker",
      });
      const [pending] = await pendingTo("resend@example.test");
      expect(pending!.expires_at.getTime()).toBeGreaterThan(Date.now() + INVITATION_TTL_MS - 60_000);
      const events = await database.db
        .selectFrom("audit_events")
        .select(["actor_id", "details"])
        .where("action", "=", "user.invitation_resent")
        .where("subject_id", "=", again.id)
        .execute();
      expect(events).toEqual([{ actor_id: trainer.id, details: { email: "resend@example.test", replaces: first.id } }]);
      // The replaced invitation cannot be sent again or withdrawn.
      await expect(
        resendInvitation(database.db, mailer(), "http://x", asActor(trainer), first.id),
      ).rejects.toMatchObject({ code: "conflict", messageKey: "errors.invite.notOpen" });
    } finally {
      vi.useRealTimers();
    }
  });

  it("can be withdrawn: the link then says so and creates nothing, audited", async () => {
    const sent = await invite(database.db, mailer(), "http://x", asActor(admin), {
      email: "revoke@example.test",
      agencyId,
      role: "trainee",
      profession: "police",
    });
    await revokeInvitation(database.db, asActor(trainer), sent.id);
    expect(await inspectInvitation(database.db, tokenOf(sent.link))).toEqual({ status: "revoked" });
    await expect(accept(tokenOf(sent.link))).rejects.toMatchObject({ messageKey: "errors.token.revoked" });
    expect(await pendingTo("revoke@example.test")).toEqual([]);
    await expect(revokeInvitation(database.db, asActor(admin), sent.id)).rejects.toMatchObject({ code: "conflict" });
    const events = await database.db
      .selectFrom("audit_events")
      .select(["actor_id", "agency_id"])
      .where("action", "=", "user.invitation_revoked")
      .where("subject_id", "=", sent.id)
      .execute();
    expect(events).toEqual([{ actor_id: trainer.id, agency_id: agencyId }]);
    const users = await database.db
      .selectFrom("users")
      .select("id")
      .where("email", "=", "revoke@example.test")
      .execute();
    expect(users).toEqual([]);
  });

  it("are sent again or withdrawn only by someone who could have sent them", async () => {
    const reviewerInvite = await invite(database.db, mailer(), "http://x", asActor(admin), {
      email: "granted-by-admin@example.test",
      agencyId,
      role: "reviewer",
      profession: "police",
    });
    const elsewhere = await invite(database.db, mailer(), "http://x", asActor(admin), {
      email: "elsewhere@example.test",
      agencyId: otherAgencyId,
      role: "trainee",
      profession: "judge",
    });
    const trainee = await makeUser(database.db, { agencyId });
    for (const [who, id] of [
      [trainer, reviewerInvite.id],
      [trainer, elsewhere.id],
      [trainee, elsewhere.id],
    ] as const) {
      await expect(revokeInvitation(database.db, asActor(who), id)).rejects.toMatchObject({ code: "forbidden" });
      await expect(resendInvitation(database.db, mailer(), "http://x", asActor(who), id)).rejects.toMatchObject({
        code: "forbidden",
      });
    }
    await expect(
      revokeInvitation(database.db, asActor(admin), "00000000-0000-4000-8000-000000000000"),
    ).rejects.toMatchObject({ code: "not_found" });
    expect(await pendingTo("granted-by-admin@example.test")).toHaveLength(1);
    expect(await pendingTo("elsewhere@example.test")).toHaveLength(1);
  });
});

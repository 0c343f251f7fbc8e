import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createSessions, MAX_SESSIONS_PER_ACCOUNT } from "../../app/server/auth/sessions.server";
import { hashToken } from "../../app/server/shared/tokens.server";
import { setDisabled } from "../../app/server/org/users.server";
import type { DatabaseHandle } from "../../db/connect.server";
import { engine, testDatabase } from "../support/db";
import { makeAgency, makeUser } from "../support/fixtures";

const MINUTE = 60_000;
let database: DatabaseHandle;
let agencyId: string;

beforeAll(async () => {
  database = await testDatabase();
  agencyId = (await makeAgency(database.db)).id;
});

afterEach(() => {
  vi.useRealTimers();
});

const sessionsWith = (idleMinutes: number, absoluteMinutes: number, secureCookies = true) =>
  createSessions(database.db, { idleMs: idleMinutes * MINUTE, absoluteMs: absoluteMinutes * MINUTE, secureCookies });

const cookieValue = (setCookie: string) => setCookie.split(";")[0]!;
const tokenOf = (setCookie: string) => cookieValue(setCookie).split("=")[1]!;

/** Moves the clock (only Date; timers keep running so the database works normally). */
function at(time: number) {
  if (!vi.isFakeTimers()) vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(time);
}

describe(`sessions (${engine})`, () => {
  it("set an HttpOnly, SameSite=Lax, Secure, __Host- cookie in production and a session-only one", async () => {
    const user = await makeUser(database.db, { agencyId });
    const cookie = await sessionsWith(30, 720).start(user.id);
    expect(cookie).toMatch(/^__Host-mamoru_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Secure/i);
    expect(cookie).toMatch(/Path=\//i);
    expect(cookie).not.toMatch(/Domain=/i);
    expect(cookie).not.toMatch(/Expires=|Max-Age=/i);
  });

  it("store only a hash of the token", async () => {
    const user = await makeUser(database.db, { agencyId });
    const token = tokenOf(await sessionsWith(30, 720).start(user.id));
    const rows = await database.db.selectFrom("sessions").select("id").where("user_id", "=", user.id).execute();
    expect(rows).toEqual([{ id: hashToken(token) }]);
    const anywhere = await database.db.selectFrom("sessions").select("id").where("id", "=", token).execute();
    expect(anywhere).toEqual([]);
  });

  it("end the session a browser still carried when it signs in again, and no other", async () => {
    const user = await makeUser(database.db, { agencyId });
    const sessions = sessionsWith(30, 720);
    const old = cookieValue(await sessions.start(user.id));
    const elsewhere = cookieValue(await sessions.start(user.id));
    const renewed = cookieValue(await sessions.start(user.id, { cookieHeader: old }));
    expect((await sessions.validate(old)).user).toBeNull();
    expect((await sessions.validate(renewed)).user?.id).toBe(user.id);
    expect((await sessions.validate(elsewhere)).user?.id).toBe(user.id);
  });

  it("recognise the cookie and return the person with their roles", async () => {
    const user = await makeUser(database.db, { agencyId, roles: ["trainee", "trainer"] });
    const sessions = sessionsWith(30, 720);
    const cookie = await sessions.start(user.id);
    const v = await sessions.validate(cookieValue(cookie));
    expect(v.user).toMatchObject({ id: user.id, email: user.email, agencyId, roles: ["trainee", "trainer"] });
  });

  it("refuse a forged or unknown token and clear the cookie", async () => {
    const v = await sessionsWith(30, 720).validate(`__Host-mamoru_session=${"A".repeat(43)}`);
    expect(v.user).toBeNull();
    expect(v.refreshedCookie).toMatch(/__Host-mamoru_session=;/);
  });

  it("end after the idle timeout, and slide while the person is active", async () => {
    const user = await makeUser(database.db, { agencyId });
    const sessions = sessionsWith(30, 720);
    const t0 = Date.now();
    at(t0);
    const cookie = cookieValue(await sessions.start(user.id));
    at(t0 + 20 * MINUTE); // active after the half-period: the session is extended to t0+50
    expect((await sessions.validate(cookie)).user?.id).toBe(user.id);
    at(t0 + 45 * MINUTE); // past the first expiry, inside the extended one
    expect((await sessions.validate(cookie)).user?.id).toBe(user.id);
    at(t0 + 45 * MINUTE + 31 * MINUTE); // idle for 31 minutes
    expect((await sessions.validate(cookie)).user).toBeNull();
    const left = await database.db.selectFrom("sessions").select("id").where("user_id", "=", user.id).execute();
    expect(left).toEqual([]);
  });

  it("end at the absolute lifetime however active the person is", async () => {
    const user = await makeUser(database.db, { agencyId });
    const sessions = sessionsWith(30, 60); // absolute lifetime: one hour
    const t0 = Date.now();
    at(t0);
    const cookie = cookieValue(await sessions.start(user.id));
    for (let m = 10; m <= 55; m += 10) {
      at(t0 + m * MINUTE);
      expect((await sessions.validate(cookie)).user?.id, `minute ${m}`).toBe(user.id);
    }
    at(t0 + 61 * MINUTE);
    expect((await sessions.validate(cookie)).user).toBeNull();
  });

  it("keep the browser's User-Agent, and when the session was last used, written at most once a minute", async () => {
    const user = await makeUser(database.db, { agencyId });
    const sessions = sessionsWith(30, 720);
    const t0 = Date.now();
    at(t0);
    const cookie = cookieValue(
      await sessions.start(user.id, { userAgent: "Firefox/132.0\u0000\r\n" + "x".repeat(600) }),
    );
    const lastSeen = async () =>
      await database.db
        .selectFrom("sessions")
        .select(["user_agent", "last_seen_at"])
        .where("user_id", "=", user.id)
        .executeTakeFirstOrThrow();
    const first = await lastSeen();
    expect(first.user_agent).toMatch(/^Firefox\/132\.0x+$/);
    expect(first.user_agent!.length).toBe(512);
    at(t0 + 30_000);
    await sessions.validate(cookie);
    expect((await lastSeen()).last_seen_at.getTime()).toBe(first.last_seen_at.getTime());
    at(t0 + 90_000);
    await sessions.validate(cookie);
    expect((await lastSeen()).last_seen_at.getTime()).toBe(t0 + 90_000);
  });

  it("keep at most ten live sessions per account: a further sign-in ends the least recently active, audited", async () => {
    const user = await makeUser(database.db, { agencyId });
    const sessions = sessionsWith(30, 720);
    const t0 = Date.now();
    const cookies: string[] = [];
    for (let i = 0; i < MAX_SESSIONS_PER_ACCOUNT; i++) {
      at(t0 + i * 2 * MINUTE);
      cookies.push(cookieValue(await sessions.start(user.id)));
    }
    // The first one is still in use; the second has been idle the longest.
    at(t0 + 2 * MAX_SESSIONS_PER_ACCOUNT * MINUTE);
    expect((await sessions.validate(cookies[0]!)).user?.id).toBe(user.id);
    const newest = cookieValue(await sessions.start(user.id));

    expect((await sessions.validate(cookies[1]!)).user).toBeNull();
    for (const cookie of [cookies[0]!, ...cookies.slice(2), newest])
      expect((await sessions.validate(cookie)).user?.id).toBe(user.id);
    const live = await database.db.selectFrom("sessions").select("id").where("user_id", "=", user.id).execute();
    expect(live).toHaveLength(MAX_SESSIONS_PER_ACCOUNT);
    const events = await database.db
      .selectFrom("audit_events")
      .select(["action", "actor_id", "agency_id", "details"])
      .where("subject_id", "=", user.id)
      .execute();
    expect(events).toEqual([
      {
        action: "auth.session_ended",
        actor_id: user.id,
        agency_id: agencyId,
        details: { session: expect.any(String), reason: "limit" },
      },
    ]);
  });

  it("end one session on sign-out and every session on 'sign out everywhere'", async () => {
    const user = await makeUser(database.db, { agencyId });
    const sessions = sessionsWith(30, 720);
    const a = cookieValue(await sessions.start(user.id));
    const b = cookieValue(await sessions.start(user.id));
    const c = cookieValue(await sessions.start(user.id));
    expect(a).not.toBe(b);
    await sessions.end(a.split("=")[1]!);
    expect((await sessions.validate(a)).user).toBeNull();
    expect((await sessions.validate(b)).user?.id).toBe(user.id);
    await sessions.endAll(user.id);
    expect((await sessions.validate(b)).user).toBeNull();
    expect((await sessions.validate(c)).user).toBeNull();
  });

  it("end every session of an account when it is disabled", async () => {
    const admin = await makeUser(database.db, { agencyId, roles: ["admin"] });
    const user = await makeUser(database.db, { agencyId });
    const sessions = sessionsWith(30, 720);
    const cookie = cookieValue(await sessions.start(user.id));
    await setDisabled(database.db, admin.id, user.id, true);
    expect((await sessions.validate(cookie)).user).toBeNull();
    expect(await database.db.selectFrom("sessions").select("id").where("user_id", "=", user.id).execute()).toEqual([]);
  });

  it("use a plain cookie name without Secure in development", async () => {
    const user = await makeUser(database.db, { agencyId });
    const cookie = await sessionsWith(30, 720, false).start(user.id);
    expect(cookie).toMatch(/^mamoru_session=/);
    expect(cookie).not.toMatch(/Secure/i);
  });
});

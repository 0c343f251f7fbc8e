// ASVS 7.5.2 over HTTP: a person sees where they are signed in and ends any of those sessions; an
// admin ends every session of a person without disabling the account. Nobody else can.
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { en } from "../../app/i18n/en";
import { engine } from "../support/db";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { startTestServer, type TestClient, type TestServer } from "../support/http";

const FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0";
const SAFARI_IPHONE =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";

let server: TestServer;
let agencyId: string;
let admin: MadeUser;
let reviewer: MadeUser;

beforeAll(async () => {
  server = await startTestServer();
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  agencyId = (await makeAgency(server.database.db, "Nagoya Child Guidance Centre", "child_guidance")).id;
  admin = await makeUser(server.database.db, { agencyId, roles: ["admin"] });
  reviewer = await makeUser(server.database.db, { agencyId, roles: ["reviewer"] });
});

async function signedIn(user: MadeUser, userAgent: string): Promise<TestClient> {
  const c = server.client();
  const res = await c.post("/sign-in", { email: user.email, password: PASSWORD }, { "user-agent": userAgent });
  expect(res.status).toBe(302);
  return c;
}

const text = async (res: Response) =>
  (await res.text())
    .replace(/<!-- -->/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ");
const refsOf = async (c: TestClient) =>
  [...(await (await c.get("/account")).text()).matchAll(/name="session" value="([0-9a-f-]{36})"/g)].map((m) => m[1]!);
const signedInStill = async (c: TestClient) => (await c.get("/account")).status === 200;
const events = async (action: string, subjectId: string) =>
  server.database.db
    .selectFrom("audit_events")
    .select(["actor_id", "details"])
    .where("action", "=", action)
    .where("subject_id", "=", subjectId)
    .execute();

describe(`a person's sessions (${engine})`, () => {
  it("are listed with the device in plain words, this one marked", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const laptop = await signedIn(user, FIREFOX_WINDOWS);
    await signedIn(user, SAFARI_IPHONE);
    const page = await text(await laptop.get("/account"));
    expect(page).toContain("Firefox on Windows (this device)");
    expect(page).toContain("Safari on iPhone");
    expect(page).not.toContain("Safari on iPhone (this device)");
    await server.database.db.updateTable("users").set({ locale: "ja" }).where("id", "=", user.id).execute();
    const ja = await text(await laptop.get("/account", { "accept-language": "ja" }));
    expect(ja).toContain("Windows の Firefox （この端末）");
  });

  it("can be ended one at a time from another session, which is then signed out", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const laptop = await signedIn(user, FIREFOX_WINDOWS);
    const phone = await signedIn(user, SAFARI_IPHONE);
    const [phoneRef] = await refsOf(laptop); // the only one with an end button is the other one
    expect(await refsOf(laptop)).toHaveLength(1);
    const res = await laptop.post("/account", { intent: "endSession", session: phoneRef! });
    expect(res.status).toBe(302);
    expect(await signedInStill(phone)).toBe(false);
    expect(await signedInStill(laptop)).toBe(true);
    expect(await events("auth.session_ended", user.id)).toEqual([
      { actor_id: user.id, details: { session: phoneRef } },
    ]);
  });

  it("of someone else cannot be ended by naming them", async () => {
    const victim = await makeUser(server.database.db, { agencyId });
    const victimPhone = await signedIn(victim, SAFARI_IPHONE);
    await signedIn(victim, FIREFOX_WINDOWS);
    const [victimRef] = await refsOf(victimPhone);
    const attacker = await signedIn(await makeUser(server.database.db, { agencyId }), FIREFOX_WINDOWS);
    const res = await attacker.post("/account", { intent: "endSession", session: victimRef! });
    expect(res.status).toBe(400);
    expect(await refsOf(victimPhone)).toEqual([victimRef]);
    const bad = await attacker.post("/account", { intent: "endSession", session: "not-a-uuid" });
    expect(bad.status).toBe(400);
  });

  it("can all be ended but this one", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const others = [await signedIn(user, SAFARI_IPHONE), await signedIn(user, SAFARI_IPHONE)];
    const laptop = await signedIn(user, FIREFOX_WINDOWS);
    expect((await laptop.post("/account", { intent: "endOtherSessions" })).status).toBe(302);
    for (const c of others) expect(await signedInStill(c)).toBe(false);
    expect(await signedInStill(laptop)).toBe(true);
    expect(await events("auth.other_sessions_ended", user.id)).toEqual([{ actor_id: user.id, details: { count: 2 } }]);
  });

  it("are ended only after the password again, once the sign-in is five minutes old", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const phone = await signedIn(user, SAFARI_IPHONE);
    const laptop = await signedIn(user, FIREFOX_WINDOWS);
    const [phoneRef] = await refsOf(laptop);
    await sql`update sessions set created_at = now() - interval '6 minutes' where user_id = ${user.id}`.execute(
      server.database.db,
    );
    const attempts: Record<string, string>[] = [
      { intent: "endOtherSessions" },
      { intent: "endSession", session: phoneRef! },
      { intent: "signOutEverywhere" },
    ];
    for (const fields of attempts) {
      const res = await laptop.post("/account", fields);
      expect(res.headers.get("location"), fields.intent).toBe("/account/confirm?next=%2Faccount");
    }
    expect(await signedInStill(phone)).toBe(true);
    // No second factor on this account: the password alone confirms it, in a new session.
    const page = await text(await laptop.get("/account/confirm?next=%2Faccount"));
    expect(page).toContain(en.confirmSignIn.lead);
    const confirmed = await laptop.post("/account/confirm", { password: PASSWORD, next: "/account" });
    expect(confirmed.headers.get("location")).toBe("/account");
    expect(await signedInStill(laptop)).toBe(true);
    expect((await laptop.post("/account", { intent: "endOtherSessions" })).status).toBe(302);
    expect(await signedInStill(phone)).toBe(false);
    expect(await signedInStill(laptop)).toBe(true);
  });

  it("can all be ended by an admin, and the account stays open", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const sessions = [await signedIn(user, SAFARI_IPHONE), await signedIn(user, FIREFOX_WINDOWS)];
    const adminClient = await signedIn(admin, FIREFOX_WINDOWS);
    expect(await text(await adminClient.get(`/admin/users/${user.id}`))).toContain("Signed in on 2 devices.");
    const res = await adminClient.post(`/admin/users/${user.id}`, { intent: "endSessions" });
    expect(res.status).toBe(302);
    for (const c of sessions) expect(await signedInStill(c)).toBe(false);
    expect(await events("user.sessions_ended", user.id)).toEqual([{ actor_id: admin.id, details: { count: 2 } }]);
    const row = await server.database.db
      .selectFrom("users")
      .select("disabled_at")
      .where("id", "=", user.id)
      .executeTakeFirstOrThrow();
    expect(row.disabled_at).toBeNull();
    expect(await signedInStill(await signedIn(user, SAFARI_IPHONE))).toBe(true);
  });

  it("cannot be ended by a reviewer, a trainer or a trainee, nor by another agency's people", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const phone = await signedIn(user, SAFARI_IPHONE);
    const elsewhere = (await makeAgency(server.database.db)).id;
    const trainer = await makeUser(server.database.db, { agencyId, roles: ["trainer"] });
    const outsider = await makeUser(server.database.db, { agencyId: elsewhere, roles: ["reviewer", "trainer"] });
    for (const who of [reviewer, trainer, outsider]) {
      const c = await signedIn(who, FIREFOX_WINDOWS);
      const res = await c.post(`/admin/users/${user.id}`, { intent: "endSessions" });
      expect(res.status, who.roles.join()).toBe(403);
    }
    expect(await signedInStill(phone)).toBe(true);
    expect(await events("user.sessions_ended", user.id)).toEqual([]);
  });
});

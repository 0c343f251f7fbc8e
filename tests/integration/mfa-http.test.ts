// The second factor over HTTP (ASVS 6.3.3), as a browser without JavaScript meets it: setting up an
// authenticator app, signing in with its code, a code refused the second time, recovery codes
// that work once, codes throttled like passwords, an admin requiring it of a role (every role on a
// new installation), and confirming it is the person before a change to how they sign in.
import { sql } from "kysely";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { RECOVERY_CODE_LENGTH } from "../../app/server/auth/mfa.server";
import { en } from "../../app/i18n/en";
import { engine, freshDatabase } from "../support/db";
import { PASSWORD, makeAgency, makeUser, secondFactorRequiredFor, type MadeUser } from "../support/fixtures";
import { startTestServer, type TestClient, type TestServer } from "../support/http";
import { aPeriodLater, codeAt, currentCode } from "../support/totp";
import { SoftAuthenticator } from "../support/webauthn";

let server: TestServer;
let agencyId: string;
let admin: MadeUser;

beforeAll(async () => {
  server = await startTestServer();
  // Each test below sets up the factor it is about; the requirement by role has its own tests.
  await secondFactorRequiredFor(server.database.db, []);
  agencyId = (await makeAgency(server.database.db, "Sapporo Juvenile Support Centre")).id;
  admin = await makeUser(server.database.db, { agencyId, roles: ["admin"] });
});

const text = async (res: Response) =>
  (await res.text())
    .replace(/<!-- -->/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/&#x27;/g, "'")
    .replace(/\s+/g, " ");

async function signedIn(user: MadeUser): Promise<TestClient> {
  const c = server.client();
  const res = await c.signIn(user.email, PASSWORD);
  expect(res.status).toBe(302);
  return c;
}

/** The app's code for a later sign-in: the period of the last accepted code is over. */
async function nextCode(user: MadeUser, secret: string): Promise<string> {
  await aPeriodLater(server.database.db, user.id);
  return currentCode(secret);
}

const RECOVERY_CODE = /<li>([a-z2-9]{4}(?:-[a-z2-9]{4}){5})<\/li>/g;

/** Sets up an authenticator for the signed-in person; returns its secret and the recovery codes. */
async function enrol(c: TestClient): Promise<{ secret: string; recoveryCodes: string[] }> {
  expect((await c.post("/account/two-factor", { intent: "start" })).status).toBe(302);
  const page = await (await c.get("/account/two-factor")).text();
  expect(page).toMatch(/<img[^>]+src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+"[^>]+alt="QR code/);
  const secret = page.match(/<code>([A-Z2-7 ]+)<\/code>/)![1]!.replace(/ /g, "");
  const confirmed = await c.post("/account/two-factor", { intent: "confirm", code: await currentCode(secret) });
  expect(confirmed.status).toBe(200);
  const html = await confirmed.text();
  const recoveryCodes = [...html.matchAll(RECOVERY_CODE)].map((m) => m[1]!);
  return { secret, recoveryCodes };
}

/** The password step: the challenge cookie and the way to the second step, no session. */
async function passwordStep(user: MadeUser, next = "/account"): Promise<TestClient> {
  const c = server.client();
  const res = await c.post("/sign-in", { email: user.email, password: PASSWORD, next });
  expect(res.status).toBe(302);
  expect(res.headers.get("location")).toBe(`/sign-in/second-factor?next=${encodeURIComponent(next)}`);
  return c;
}

const isSignedIn = async (c: TestClient) => (await c.get("/account")).status === 200;
const auditActions = async (userId: string) =>
  (
    await server.database.db
      .selectFrom("audit_events")
      .select(["action", "details"])
      .where("subject_id", "=", userId)
      .orderBy("seq")
      .execute()
  ).map((e) => e.action);

describe(`two-step sign-in with an authenticator app (${engine})`, () => {
  it("is set up from the account page: QR code and key in text, a first code, ten recovery codes shown once", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const c = await signedIn(user);
    expect((await c.post("/account/two-factor", { intent: "start" })).status).toBe(302);
    const wrong = await c.post("/account/two-factor", { intent: "confirm", code: "000000" });
    expect(wrong.status).toBe(400);
    expect(await text(wrong)).toContain("That code is not right");
    // A restart makes a new secret; the one confirmed is the one shown now.
    const { secret, recoveryCodes } = await enrol(c);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    // 24 characters of 31 possible each: at least 112 bits (ASVS 6.5.2), enough for a keyed hash.
    expect(recoveryCodes.every((code) => code.replaceAll("-", "").length === RECOVERY_CODE_LENGTH)).toBe(true);
    expect(RECOVERY_CODE_LENGTH * Math.log2(31)).toBeGreaterThanOrEqual(112);
    const after = await (await c.get("/account/two-factor")).text();
    expect(after).not.toContain(secret.slice(0, 8));
    expect(after).not.toContain(recoveryCodes[0]);
    expect(await text(await c.get("/account/two-factor"))).toContain("10 recovery codes left.");
    // At rest: neither the secret nor a code is in the database as such.
    const row = await server.database.db
      .selectFrom("totp_credentials")
      .selectAll()
      .where("user_id", "=", user.id)
      .executeTakeFirstOrThrow();
    expect(row.secret).not.toContain(secret);
    expect(row.confirmed_at).not.toBeNull();
    const stored = await server.database.db
      .selectFrom("recovery_codes")
      .select("code_hash")
      .where("user_id", "=", user.id)
      .execute();
    expect(stored.map((r) => r.code_hash).join()).not.toContain(recoveryCodes[0]!.replaceAll("-", ""));
    expect(server.logs.join("\n")).not.toContain(secret);
    expect(await auditActions(user.id)).toContain("mfa.totp_enabled");
  });

  it("asks for the code after the password; the password alone opens no session", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const { secret } = await enrol(await signedIn(user));
    const c = await passwordStep(user);
    expect(await isSignedIn(c)).toBe(false);
    const page = await c.get("/sign-in/second-factor?next=%2Faccount");
    expect(page.status).toBe(200);
    expect(await text(page)).toContain("Second step of signing in");
    const res = await c.post("/sign-in/second-factor", {
      intent: "code",
      code: await nextCode(user, secret),
      next: "/account",
    });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/account");
    expect(await isSignedIn(c)).toBe(true);
    const actions = await auditActions(user.id);
    expect(actions.slice(-2)).toEqual(["auth.password_verified", "auth.signed_in"]);
  });

  it("refuses a code that has been accepted once (replay), even within its 30 seconds", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const { secret } = await enrol(await signedIn(user));
    const code = await nextCode(user, secret);
    const first = await passwordStep(user);
    expect((await first.post("/sign-in/second-factor", { intent: "code", code })).status).toBe(302);
    const second = await passwordStep(user);
    const replay = await second.post("/sign-in/second-factor", { intent: "code", code });
    expect(replay.status).toBe(400);
    expect(await isSignedIn(second)).toBe(false);
  });

  it("takes a code only within its own 30 seconds: not the previous period's, nor the next one's", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const { secret } = await enrol(await signedIn(user));
    // Long after the set-up, so that neither neighbour was ever accepted.
    await server.database.db
      .updateTable("totp_credentials")
      .set((eb) => ({ last_step: eb("last_step", "-", 10) }))
      .where("user_id", "=", user.id)
      .execute();
    const now = await currentCode(secret);
    const c = await passwordStep(user);
    for (const steps of [-1, 1]) {
      const code = codeAt(secret, steps);
      if (code === now) continue; // the same six digits by chance
      const res = await c.post("/sign-in/second-factor", { intent: "code", code });
      expect(res.status, `a code ${steps} period(s) away`).toBe(400);
    }
    expect(await isSignedIn(c)).toBe(false);
    expect((await c.post("/sign-in/second-factor", { intent: "code", code: now })).status).toBe(302);
    expect(await isSignedIn(c)).toBe(true);
  });

  it("lets only one of two requests racing with the same code through", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const { secret } = await enrol(await signedIn(user));
    const a = await passwordStep(user);
    const b = await passwordStep(user);
    const fresh = await nextCode(user, secret); // a period after the one that confirmed the set-up
    const results = await Promise.all([
      a.post("/sign-in/second-factor", { intent: "code", code: fresh }),
      b.post("/sign-in/second-factor", { intent: "code", code: fresh }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([302, 400]);
  });

  it("accepts each recovery code once", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const { recoveryCodes } = await enrol(await signedIn(user));
    const code = recoveryCodes[3]!;
    const first = await passwordStep(user);
    // Typed in capitals with a space instead of the hyphen: still the same code.
    const ok = await first.post("/sign-in/second-factor", {
      intent: "code",
      code: code.toUpperCase().replace("-", " "),
    });
    expect(ok.status).toBe(302);
    expect(ok.headers.get("location")).toBe("/account/two-factor?usedRecoveryCode=1");
    expect(await text(await first.get("/account/two-factor?usedRecoveryCode=1"))).toContain(
      "You have 9 recovery codes left.",
    );
    const again = await passwordStep(user);
    expect((await again.post("/sign-in/second-factor", { intent: "code", code })).status).toBe(400);
    expect(await isSignedIn(again)).toBe(false);
  });

  it("throttles wrong codes like wrong passwords: after five, even the right code waits", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const { secret } = await enrol(await signedIn(user));
    const c = await passwordStep(user);
    for (let i = 0; i < 5; i++) {
      const res = await c.post("/sign-in/second-factor", { intent: "code", code: String(100000 + i) });
      expect(res.status).toBe(400);
    }
    const locked = await c.post("/sign-in/second-factor", { intent: "code", code: await nextCode(user, secret) });
    expect(locked.status).toBe(429);
    expect(await text(locked)).toContain("Too many wrong codes");
    expect(await isSignedIn(c)).toBe(false);
    expect((await auditActions(user.id)).filter((a) => a === "auth.second_factor_failed")).toHaveLength(5);
    // Each wrong code, the lock and the refusal are security events naming the person; no code is logged.
    const events = server.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.msg === "security event" && e.userId === user.id);
    expect(events.filter((e) => e.event === "auth.second_factor_failed")).toHaveLength(5);
    expect(events).toContainEqual(expect.objectContaining({ event: "auth.locked_out", scope: "mfa" }));
    expect(server.logs.join("\n")).not.toContain('"100004"');
    expect(locked.headers.get("retry-after")).toMatch(/^\d+$/);
  });

  it("sends the second step back to the password without a live challenge, and a challenge is no session", async () => {
    const nobody = server.client();
    const res = await nobody.get("/sign-in/second-factor");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/sign-in?expired=1");
    const posted = await nobody.post("/sign-in/second-factor", { intent: "code", code: "123456" });
    expect(posted.status).toBe(302);
    expect(posted.headers.get("location")).toBe("/sign-in?expired=1");
    const user = await makeUser(server.database.db, { agencyId });
    await enrol(await signedIn(user));
    const c = await passwordStep(user);
    const [name, token] = [...c.cookies].find(([k]) => k.includes("mamoru_mfa"))!;
    // The challenge's token offered as a session cookie opens nothing.
    const forged = server.client();
    forged.cookies.set(name.replace("mfa", "session"), token);
    expect(await isSignedIn(forged)).toBe(false);
    // Expired: the second step starts over.
    await server.database.db
      .updateTable("mfa_challenges")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("user_id", "=", user.id)
      .execute();
    expect((await c.get("/sign-in/second-factor")).headers.get("location")).toBe("/sign-in?expired=1");
  });

  it("is turned off only with the password and a code", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const c = await signedIn(user);
    const { secret } = await enrol(c);
    const wrongPassword = await c.post("/account/two-factor", {
      intent: "disable",
      password: "not the password at all",
      code: await nextCode(user, secret),
    });
    expect(wrongPassword.status).toBe(400);
    const wrongCode = await c.post("/account/two-factor", { intent: "disable", password: PASSWORD, code: "123456" });
    expect(wrongCode.status).toBe(400);
    expect(await text(await c.get("/account"))).toContain("Two-step sign-in is on");
    const ok = await c.post("/account/two-factor", {
      intent: "disable",
      password: PASSWORD,
      code: await nextCode(user, secret),
    });
    expect(ok.status).toBe(302);
    const plain = await server.client().signIn(user.email, PASSWORD);
    expect(plain.headers.get("location")).toBe("/");
    expect(await auditActions(user.id)).toContain("mfa.totp_disabled");
  });
});

describe(`two-step sign-in required by role (${engine})`, () => {
  it("can be set only by an admin", async () => {
    const reviewer = await makeUser(server.database.db, { agencyId, roles: ["reviewer"] });
    const c = await signedIn(reviewer);
    expect((await c.get("/admin/security")).status).toBe(403);
    expect((await c.post("/admin/security", { roles: ["reviewer"] })).status).toBe(403);
    expect(await server.database.db.selectFrom("mfa_required_roles").select("role").execute()).toEqual([]);
    const bad = await (await signedIn(admin)).post("/admin/security", { roles: ["superuser"] });
    expect(bad.status).toBe(400);
  });

  it("sends a person of a required role to set it up before anything else, then lets them through", async () => {
    const adminClient = await signedIn(admin);
    const saved = await adminClient.post("/admin/security", { roles: ["reviewer"] });
    expect(saved.headers.get("location")).toBe("/admin/security?saved=1");
    onTestFinished(async () => void (await adminClient.post("/admin/security", {})));
    const html = await (await adminClient.get("/admin/security?saved=1")).text();
    expect(html).toContain("The requirement has been saved.");
    expect(html).toMatch(/checked=""[^>]*value="reviewer"|value="reviewer"[^>]*checked=""/);
    const reviewer = await makeUser(server.database.db, { agencyId, roles: ["reviewer"] });
    const c = server.client();
    const res = await c.post("/sign-in", { email: reviewer.email, password: PASSWORD, next: "/agency/records" });
    expect(res.headers.get("location")).toBe("/account/two-factor?required=1&next=%2Fagency%2Frecords");
    // Every other page sends them back there.
    for (const path of ["/", "/agency/records", "/account"]) {
      const page = await c.get(path);
      expect(page.status, path).toBe(302);
      expect(page.headers.get("location"), path).toMatch(/^\/account\/two-factor\?required=1/);
    }
    expect(await text(await c.get("/account/two-factor?required=1"))).toContain("Your role requires two-step sign-in");
    await enrol(c);
    expect((await c.get("/agency/records")).status).toBe(200);
    // A trainee, whose role is not required, is not stopped.
    const trainee = await signedIn(await makeUser(server.database.db, { agencyId }));
    expect((await trainee.get("/")).status).toBe(200);
    // Nor can the reviewer turn it off while the role requires it.
    expect(await text(await c.get("/account/two-factor"))).toContain("it cannot be turned off");
    const events = await server.database.db
      .selectFrom("audit_events")
      .select(["actor_id", "details"])
      .where("action", "=", "mfa.requirement_changed")
      .execute();
    expect(events).toEqual([
      { actor_id: admin.id, details: { required: ["reviewer"], added: ["reviewer"], removed: [] } },
    ]);
  });

  it("can be removed from a person by an admin, who cannot be a non-admin", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const own = await signedIn(user);
    await enrol(own);
    const proof = {
      intent: "removeSecondFactor",
      identityProof: "in_person",
      reason: "Phone lost on 3 March; seen in person with the staff card",
      identityConfirmed: "yes",
    };
    const reviewer = await signedIn(await makeUser(server.database.db, { agencyId, roles: ["reviewer"] }));
    expect((await reviewer.post(`/admin/users/${user.id}`, proof)).status).toBe(403);
    const adminClient = await signedIn(admin);
    expect((await adminClient.post(`/admin/users/${user.id}`, proof)).status).toBe(302);
    expect(await isSignedIn(own)).toBe(false);
    expect((await server.client().signIn(user.email, PASSWORD)).headers.get("location")).toBe("/");
    expect(await auditActions(user.id)).toContain("user.second_factor_removed");
  });

  it("is removed by an admin only once they state how they proved who is asking, and why (audited)", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    await enrol(await signedIn(user));
    const adminClient = await signedIn(admin);
    const page = await text(await adminClient.get(`/admin/users/${user.id}`));
    expect(page).toContain(en.user.identityProof);
    expect(page).toContain(en.user.identityProofs.call_back);
    expect(page).toContain(en.user.identityConfirmed);
    const hasFactor = async () =>
      (
        await server.database.db
          .selectFrom("totp_credentials")
          .select("user_id")
          .where("user_id", "=", user.id)
          .execute()
      ).length === 1;
    // Without the procedure's answers nothing is removed, and each missing answer is named at its field.
    const bare = await adminClient.post(`/admin/users/${user.id}`, { intent: "removeSecondFactor" });
    expect(bare.status).toBe(400);
    const refused = await text(bare);
    for (const message of Object.values(en.errors.identityProof).filter((m) => !m.includes("300"))) {
      expect(refused).toContain(message);
    }
    const unconfirmed = await adminClient.post(`/admin/users/${user.id}`, {
      intent: "removeSecondFactor",
      identityProof: "video_call",
      reason: "Lost phone, asked by e-mail",
    });
    expect(unconfirmed.status).toBe(400);
    expect(await hasFactor()).toBe(true);
    const done = await adminClient.post(`/admin/users/${user.id}`, {
      intent: "removeSecondFactor",
      identityProof: "video_call",
      reason: "Lost phone; staff card shown on a video call",
      identityConfirmed: "yes",
    });
    expect(done.status).toBe(302);
    expect(await hasFactor()).toBe(false);
    const event = await server.database.db
      .selectFrom("audit_events")
      .select(["actor_id", "details"])
      .where("action", "=", "user.second_factor_removed")
      .where("subject_id", "=", user.id)
      .executeTakeFirstOrThrow();
    expect(event).toEqual({
      actor_id: admin.id,
      details: { identityProof: "video_call", reason: "Lost phone; staff card shown on a video call" },
    });
  });
});

describe(`progressive lock-out and known devices over HTTP (${engine})`, () => {
  it("a browser that signed in before gets in with the right password while strangers wait", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const own = await signedIn(user);
    const line = [...own.cookies.keys()].find((k) => k.includes("mamoru_device"));
    expect(line).toBeDefined();
    await own.post("/sign-out", {});
    const stranger = server.client();
    for (let i = 0; i < 5; i++) expect((await stranger.signIn(user.email, `guess number ${i}`)).status).toBe(400);
    expect((await stranger.signIn(user.email, PASSWORD)).status).toBe(429);
    const back = await own.signIn(user.email, PASSWORD);
    expect(back.status).toBe(302);
    expect(await isSignedIn(own)).toBe(true);
  });

  it("issues the device cookie only after the second step, not after the password alone", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const { secret } = await enrol(await signedIn(user));
    const c = server.client();
    await c.post("/sign-in", { email: user.email, password: PASSWORD });
    expect([...c.cookies.keys()].some((k) => k.includes("mamoru_device"))).toBe(false);
    await c.post("/sign-in/second-factor", { intent: "code", code: await nextCode(user, secret) });
    expect([...c.cookies.keys()].some((k) => k.includes("mamoru_device"))).toBe(true);
  });
});

describe(`passkeys as the second step (${engine})`, () => {
  async function addPasskey(
    c: TestClient,
    name = "Work laptop",
    authenticator = new SoftAuthenticator(server.url),
  ): Promise<SoftAuthenticator> {
    const options = await c.post("/account/passkeys", { intent: "options" }, { accept: "application/json" });
    expect(options.status).toBe(200);
    const { token, options: creation } = (await options.json()) as { token: string; options: { challenge: string } };
    const done = await c.post("/account/passkeys", {
      intent: "register",
      token,
      name,
      response: JSON.stringify(authenticator.register(creation)),
    });
    expect(done.status).toBe(200);
    return authenticator;
  }

  async function passkeyStep(c: TestClient, authenticator: SoftAuthenticator, overrides = {}) {
    const options = await c.post("/sign-in/passkey", { intent: "options" });
    if (options.status !== 200) return options;
    const request = (await options.json()) as { challenge: string };
    return c.post("/sign-in/passkey", {
      intent: "verify",
      next: "/account",
      response: JSON.stringify(authenticator.authenticate(request, overrides)),
    });
  }

  it("are added from the account page and then asked for after the password", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const own = await signedIn(user);
    const authenticator = await addPasskey(own);
    expect(await text(await own.get("/account/two-factor"))).toContain("Work laptop");
    const c = await passwordStep(user);
    const res = await passkeyStep(c, authenticator);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, next: "/account" });
    expect(await isSignedIn(c)).toBe(true);
    expect(await auditActions(user.id)).toEqual(
      expect.arrayContaining(["mfa.passkey_added", "auth.password_verified", "auth.signed_in"]),
    );
  });

  it("refuse an answer for another origin, a counter that went backwards, or one without the password first", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const authenticator = await addPasskey(await signedIn(user));
    const c = await passwordStep(user);
    expect((await passkeyStep(c, authenticator, { origin: "https://evil.example" })).status).toBe(400);
    expect(await isSignedIn(c)).toBe(false);
    expect((await passkeyStep(c, authenticator)).status).toBe(200);
    // A copy of the key whose counter went backwards.
    const again = await passwordStep(user);
    expect((await passkeyStep(again, authenticator, { counter: 1 })).status).toBe(400);
    expect(await isSignedIn(again)).toBe(false);
    // Without the password step there is no challenge to answer.
    const nobody = server.client();
    expect((await passkeyStep(nobody, authenticator)).status).toBe(400);
    expect(await isSignedIn(nobody)).toBe(false);
  });

  it("of one person cannot answer for another, and are removed only by their owner", async () => {
    const alice = await makeUser(server.database.db, { agencyId });
    const bob = await makeUser(server.database.db, { agencyId });
    const aliceKey = await addPasskey(await signedIn(alice));
    const bobClient = await signedIn(bob);
    await addPasskey(bobClient, "Bob's phone");
    const c = await passwordStep(bob);
    expect((await passkeyStep(c, aliceKey)).status).toBe(400);
    expect(await isSignedIn(c)).toBe(false);
    const aliceId = Buffer.from(aliceKey.credentialId).toString("base64url");
    expect((await bobClient.post("/account/two-factor", { intent: "removePasskey", passkey: aliceId })).status).toBe(
      400,
    );
    const left = await server.database.db.selectFrom("passkeys").select("id").where("id", "=", aliceId).execute();
    expect(left).toHaveLength(1);
  });

  it("take only keys of 128 bits of security or more: ES256, EdDSA, and RS256 only from 3072 bits", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const c = await signedIn(user);
    const options = await c.post("/account/passkeys", { intent: "options" });
    const { token, options: creation } = (await options.json()) as {
      token: string;
      options: { challenge: string; pubKeyCredParams: { alg: number }[] };
    };
    expect(creation.pubKeyCredParams.map((p) => p.alg)).toEqual([-7, -8, -257]);
    // RSA with 2048 bits gives about 112 bits of security: refused, with a message saying why.
    const weak = new SoftAuthenticator(server.url, undefined, { algorithm: "RS256", bits: 2048 });
    const refused = await c.post("/account/passkeys", {
      intent: "register",
      token,
      name: "Old laptop",
      response: JSON.stringify(weak.register(creation)),
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: "errors.passkey.weakKey" });
    expect(en.errors.passkey.weakKey).toContain("3072");
    const keys = () => server.database.db.selectFrom("passkeys").select("id").where("user_id", "=", user.id).execute();
    expect(await keys()).toEqual([]);
    // RSA with 3072 bits is enough, and then signs in.
    const strong = await addPasskey(
      c,
      "Security key",
      new SoftAuthenticator(server.url, undefined, { algorithm: "RS256", bits: 3072 }),
    );
    const step = await passwordStep(user);
    expect((await passkeyStep(step, strong)).status).toBe(200);
    // A weak key stored before the rule no longer answers.
    await server.database.db
      .insertInto("passkeys")
      .values({
        id: Buffer.from(weak.credentialId).toString("base64url"),
        user_id: user.id,
        public_key: Buffer.from(weak.publicKey()).toString("base64url"),
        transports: "[]",
        name: "Old laptop",
      })
      .execute();
    const old = await passwordStep(user);
    expect((await passkeyStep(old, weak)).status).toBe(400);
    expect(await isSignedIn(old)).toBe(false);
  });
});

describe(`a second factor by default (${engine})`, () => {
  it("is required of every role on a new installation, and an admin may relax it per role", async () => {
    const fresh = await startTestServer({}, (await freshDatabase()).handle);
    const db = fresh.database.db;
    const required = await db.selectFrom("mfa_required_roles").select("role").orderBy("role").execute();
    expect(required.map((r) => r.role)).toEqual(["admin", "reviewer", "trainee", "trainer"]);
    const home = (await makeAgency(db, "Hakodate Child Guidance Centre", "child_guidance")).id;
    const trainee = await makeUser(db, { agencyId: home });
    const c = fresh.client();
    const res = await c.post("/sign-in", { email: trainee.email, password: PASSWORD, next: "/courses" });
    expect(res.headers.get("location")).toBe("/account/two-factor?required=1&next=%2Fcourses");
    expect((await c.get("/")).headers.get("location")).toMatch(/^\/account\/two-factor\?required=1/);
    // The admin sets up their own second factor first, then relaxes it for trainees.
    const boss = await makeUser(db, { agencyId: home, roles: ["admin"] });
    const adminClient = fresh.client();
    await adminClient.signIn(boss.email, PASSWORD);
    expect((await adminClient.get("/admin/security")).headers.get("location")).toMatch(/^\/account\/two-factor/);
    await enrol(adminClient);
    const saved = await adminClient.post("/admin/security", { roles: ["trainer", "reviewer", "admin"] });
    expect(saved.headers.get("location")).toBe("/admin/security?saved=1");
    expect((await c.get("/")).status).toBe(200);
  });
});

describe(`confirming it is the person before a change to how they sign in (${engine})`, () => {
  /** As if the session had begun six minutes ago. */
  const signedInLongAgo = (user: MadeUser) =>
    sql`update sessions set created_at = now() - interval '6 minutes' where user_id = ${user.id}`.execute(
      server.database.db,
    );

  it("asks for the password and the code again once the sign-in is five minutes old, then allows several changes", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const own = await signedIn(user);
    const { secret } = await enrol(own);
    await signedInLongAgo(user);
    const toConfirm = "/account/confirm?next=%2Faccount%2Ftwo-factor";
    const regenerate = await own.post("/account/two-factor", {
      intent: "regenerate",
      code: await nextCode(user, secret),
    });
    expect(regenerate.status).toBe(302);
    expect(regenerate.headers.get("location")).toBe(toConfirm);
    const options = await own.post("/account/passkeys", { intent: "options" });
    expect(options.status).toBe(403);
    expect(await options.json()).toEqual({ error: "errors.reauth.required", confirm: toConfirm });
    const password = await own.post("/account", {
      intent: "password",
      currentPassword: PASSWORD,
      newPassword: "a brand new passphrase for spring",
    });
    expect(password.headers.get("location")).toBe("/account/confirm?next=%2Faccount");
    expect(await auditActions(user.id)).not.toContain("auth.password_changed");

    const page = await own.get(toConfirm);
    expect(page.status).toBe(200);
    const shown = await text(page);
    expect(shown).toContain(en.confirmSignIn.title);
    expect(shown).toContain(en.confirmSignIn.leadSecondFactor);
    const wrong = await own.post("/account/confirm", {
      password: "not the password at all",
      next: "/account/two-factor",
    });
    expect(wrong.status).toBe(400);
    expect(await text(wrong)).toContain(en.errors.password.wrongCurrent);
    expect(await isSignedIn(own)).toBe(true);
    // The right password ends this session and leads to the second step, as at sign-in.
    const right = await own.post("/account/confirm", { password: PASSWORD, next: "/account/two-factor" });
    expect(right.headers.get("location")).toBe("/sign-in/second-factor?next=%2Faccount%2Ftwo-factor");
    expect(await isSignedIn(own)).toBe(false);
    const second = await own.post("/sign-in/second-factor", {
      intent: "code",
      code: await nextCode(user, secret),
      next: "/account/two-factor",
    });
    expect(second.headers.get("location")).toBe("/account/two-factor");
    // Within five minutes of that, several changes in a row.
    expect(
      (await own.post("/account/two-factor", { intent: "regenerate", code: await nextCode(user, secret) })).status,
    ).toBe(200);
    expect((await own.post("/account/passkeys", { intent: "options" })).status).toBe(200);
    const actions = await auditActions(user.id);
    expect(actions).toEqual(expect.arrayContaining(["auth.sign_in_failed", "mfa.recovery_codes_regenerated"]));
  });

  it("counts wrong passwords there against the sign-in throttle", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const own = await signedIn(user);
    await signedInLongAgo(user);
    for (let i = 0; i < 5; i++) {
      expect((await own.post("/account/confirm", { password: `guess number ${i}` })).status).toBe(400);
    }
    const locked = await own.post("/account/confirm", { password: PASSWORD });
    expect(locked.status).toBe(429);
    expect(await text(locked)).toContain(en.errors.password.throttled);
  });
});

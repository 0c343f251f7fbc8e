// The second factor over HTTP (ASVS 6.3.3), as a browser without JavaScript meets it: setting up an
// authenticator app, signing in with its code, a code refused the second time, recovery codes
// that work once, codes throttled like passwords, and an admin requiring it of a role.
import { Secret, TOTP } from "otpauth";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { engine } from "../support/db";
import { PASSWORD, makeAgency, makeUser, type MadeUser } from "../support/fixtures";
import { startTestServer, type TestClient, type TestServer } from "../support/http";
import { SoftAuthenticator } from "../support/webauthn";

let server: TestServer;
let agencyId: string;
let admin: MadeUser;

beforeAll(async () => {
  server = await startTestServer();
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

const codeAt = (secret: string, offsetSteps = 0) =>
  new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + offsetSteps * 30_000 });

/** Sets up an authenticator for the signed-in person; returns its secret and the recovery codes. */
async function enrol(c: TestClient): Promise<{ secret: string; recoveryCodes: string[] }> {
  expect((await c.post("/account/two-factor", { intent: "start" })).status).toBe(302);
  const page = await (await c.get("/account/two-factor")).text();
  expect(page).toMatch(/<img[^>]+src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+"[^>]+alt="QR code/);
  const secret = page.match(/<code>([A-Z2-7 ]+)<\/code>/)![1]!.replace(/ /g, "");
  const confirmed = await c.post("/account/two-factor", { intent: "confirm", code: codeAt(secret) });
  expect(confirmed.status).toBe(200);
  const html = await confirmed.text();
  const recoveryCodes = [...html.matchAll(/<li>([a-z2-9]{5}-[a-z2-9]{5})<\/li>/g)].map((m) => m[1]!);
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
    expect(stored.map((r) => r.code_hash).join()).not.toContain(recoveryCodes[0]!.replace("-", ""));
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
    const res = await c.post("/sign-in/second-factor", { intent: "code", code: codeAt(secret, 1), next: "/account" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/account");
    expect(await isSignedIn(c)).toBe(true);
    const actions = await auditActions(user.id);
    expect(actions.slice(-2)).toEqual(["auth.password_verified", "auth.signed_in"]);
  });

  it("refuses a code that has been accepted once (replay), even within its 30 seconds", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const { secret } = await enrol(await signedIn(user));
    const code = codeAt(secret, 1);
    const first = await passwordStep(user);
    expect((await first.post("/sign-in/second-factor", { intent: "code", code })).status).toBe(302);
    const second = await passwordStep(user);
    const replay = await second.post("/sign-in/second-factor", { intent: "code", code });
    expect(replay.status).toBe(400);
    expect(await isSignedIn(second)).toBe(false);
  });

  it("lets only one of two requests racing with the same code through", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const { secret } = await enrol(await signedIn(user));
    const a = await passwordStep(user);
    const b = await passwordStep(user);
    const fresh = codeAt(secret, 1); // a step after the one that confirmed the set-up
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
    const locked = await c.post("/sign-in/second-factor", { intent: "code", code: codeAt(secret, 1) });
    expect(locked.status).toBe(429);
    expect(await text(locked)).toContain("Too many wrong codes");
    expect(await isSignedIn(c)).toBe(false);
    expect((await auditActions(user.id)).filter((a) => a === "auth.second_factor_failed")).toHaveLength(5);
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
      code: codeAt(secret, 1),
    });
    expect(wrongPassword.status).toBe(400);
    const wrongCode = await c.post("/account/two-factor", { intent: "disable", password: PASSWORD, code: "123456" });
    expect(wrongCode.status).toBe(400);
    expect(await text(await c.get("/account"))).toContain("Two-step sign-in is on");
    const ok = await c.post("/account/two-factor", { intent: "disable", password: PASSWORD, code: codeAt(secret, 1) });
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
    const reviewer = await signedIn(await makeUser(server.database.db, { agencyId, roles: ["reviewer"] }));
    expect((await reviewer.post(`/admin/users/${user.id}`, { intent: "removeSecondFactor" })).status).toBe(403);
    const adminClient = await signedIn(admin);
    expect((await adminClient.post(`/admin/users/${user.id}`, { intent: "removeSecondFactor" })).status).toBe(302);
    expect(await isSignedIn(own)).toBe(false);
    expect((await server.client().signIn(user.email, PASSWORD)).headers.get("location")).toBe("/");
    expect(await auditActions(user.id)).toContain("user.second_factor_removed");
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
    await c.post("/sign-in/second-factor", { intent: "code", code: codeAt(secret, 1) });
    expect([...c.cookies.keys()].some((k) => k.includes("mamoru_device"))).toBe(true);
  });
});

describe(`passkeys as the second step (${engine})`, () => {
  async function addPasskey(c: TestClient, name = "Work laptop"): Promise<SoftAuthenticator> {
    const authenticator = new SoftAuthenticator(server.url);
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
});

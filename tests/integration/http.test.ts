// The platform as a browser without JavaScript meets it: the production build served in-process,
// forms posted as urlencoded bodies, cookies kept between requests.
import { get } from "node:http";
import { gunzipSync, gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { en } from "../../app/i18n/en";
import { ja } from "../../app/i18n/ja";
import { issueSetupToken } from "../../app/server/auth/first-admin.server";
import { syncContentFrom } from "../../app/server/catalog/content-sync.server";
import { createLogger } from "../../app/server/shared/log.server";
import { sampleCopy } from "../support/content-fixture";
import { engine } from "../support/db";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { lastLinkTo } from "../support/mail";
import { startTestServer, type TestServer } from "../support/http";

let server: TestServer;
let agencyId: string;
let otherAgencyId: string;
let admin: MadeUser;
let trainer: MadeUser;
let trainee: MadeUser;

beforeAll(async () => {
  server = await startTestServer();
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  const db = server.database.db;
  agencyId = (await makeAgency(db, "Kanagawa Police")).id;
  otherAgencyId = (await makeAgency(db, "Yokohama Family Court", "court")).id;
  admin = await makeUser(db, { agencyId, roles: ["admin"] });
  trainer = await makeUser(db, { agencyId, roles: ["trainer"] });
  trainee = await makeUser(db, { agencyId, roles: ["trainee"] });
});

async function signedIn(user: MadeUser) {
  const client = server.client();
  const res = await client.signIn(user.email, PASSWORD);
  expect(res.status).toBe(302);
  return client;
}

describe(`HTTP (${engine})`, () => {
  it("answers health and readiness checks", async () => {
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", database: engine });
  });

  it("sends security headers with a fresh CSP nonce on every page", async () => {
    const a = await fetch(`${server.url}/sign-in`);
    const b = await fetch(`${server.url}/sign-in`);
    const csp = a.headers.get("content-security-policy")!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).not.toContain("unsafe-inline");
    const nonce = csp.match(/'nonce-([^']+)'/)![1]!;
    expect(b.headers.get("content-security-policy")).not.toContain(nonce);
    expect(await a.text()).toContain(`nonce="${nonce}"`);
    expect(a.headers.get("x-content-type-options")).toBe("nosniff");
    expect(a.headers.get("referrer-policy")).toBe("same-origin");
    expect(a.headers.get("x-request-id")).toMatch(/^[\w-]{8,}$/);
    expect(a.headers.get("x-powered-by")).toBeNull();
    // HSTS only over HTTPS (behind a TLS-terminating proxy, with TRUST_PROXY).
    expect(a.headers.get("strict-transport-security")).toBeNull();
  });

  it("compresses pages, as well as compressing the whole document at once", async () => {
    const res = await fetch(`${server.url}/sign-in`, { headers: { "accept-encoding": "gzip" } });
    expect(res.headers.get("content-encoding")).toBe("gzip");
    // The bytes on the wire (fetch would unpack them): a document flushed in small pieces was
    // compressed piece by piece, and went out almost twice as large.
    const wire = await new Promise<Buffer>((resolve, reject) => {
      get(`${server.url}/courses`, { headers: { "accept-encoding": "gzip" } }, (r) => {
        const parts: Buffer[] = [];
        r.on("data", (part: Buffer) => parts.push(part));
        r.on("end", () => resolve(Buffer.concat(parts)));
      }).on("error", reject);
    });
    const document = gunzipSync(wire);
    expect(document.toString("utf8")).toContain("</html>");
    expect(wire.length).toBeLessThan(gzipSync(document).length * 1.1);
  });

  it("refuses a state-changing request from another origin, or with no origin at all", async () => {
    const client = server.client();
    const foreign = await client.post(
      "/sign-in",
      { email: trainee.email, password: PASSWORD },
      { origin: "https://evil.example" },
    );
    expect(foreign.status).toBe(403);
    const none = await fetch(`${server.url}/sign-in`, {
      method: "POST",
      body: new URLSearchParams({ email: trainee.email, password: PASSWORD }),
      redirect: "manual",
    });
    expect(none.status).toBe(403);
    expect(client.cookies.size).toBe(0);
  });

  it("signs in, shows the home page, and signs out", async () => {
    const client = server.client();
    const res = await client.signIn(trainee.email, PASSWORD);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/");
    const home = await client.get("/");
    expect(home.status).toBe(200);
    expect(await home.text()).toContain("Welcome, Test Person");
    const out = await client.post("/sign-out", {});
    expect(out.status).toBe(302);
    const after = await client.get("/");
    expect(after.status).toBe(302);
    expect(after.headers.get("location")).toBe("/sign-in");
  });

  it("returns to the page asked for after sign-in, but never to another site", async () => {
    const client = server.client();
    const res = await client.post("/sign-in", { email: trainee.email, password: PASSWORD, next: "/account" });
    expect(res.headers.get("location")).toBe("/account");
    const other = server.client();
    const evil = await other.post("/sign-in", { email: trainee.email, password: PASSWORD, next: "//evil.example/x" });
    expect(evil.headers.get("location")).toBe("/");
  });

  it("re-renders the sign-in form with one message for a wrong password or an unknown e-mail", async () => {
    const wrong = await server.client().post("/sign-in", { email: trainee.email, password: "nope nope nope" });
    const unknown = await server
      .client()
      .post("/sign-in", { email: "nobody@example.test", password: "nope nope nope" });
    expect(wrong.status).toBe(400);
    expect(unknown.status).toBe(400);
    const a = await wrong.text();
    const b = await unknown.text();
    expect(a).toContain("The e-mail address or password is not correct.");
    expect(b).toContain("The e-mail address or password is not correct.");
    expect(a).not.toContain("nope nope nope");
  });

  it("answers bad form input with 400 and the field's message, not a 500", async () => {
    const client = await signedIn(trainee);
    const res = await client.post("/account", { intent: "profile", displayName: "", locale: "xx" });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain("Enter a name.");
    expect(html).toContain("Choose a language.");
    expect(html).toContain('aria-invalid="true"');
    const garbage = await client.post("/account", { intent: "launch-missiles" });
    expect(garbage.status).toBe(400);
    const noIntent = await client.post("/account", {});
    expect(noIntent.status).toBe(400);
    // An agency's name and a person's name are told apart.
    const agency = await (await signedIn(admin)).post("/admin/agencies", { name: " ", kind: "police" });
    expect(agency.status).toBe(400);
    expect(await agency.text()).toContain(en.errors.orgName.required);
  });

  it("sends people who are not signed in to the sign-in page", async () => {
    const res = await server.client().get("/admin/users");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/sign-in?next=%2Fadmin%2Fusers");
  });

  it("refuses a trainee the admin pages with 403, in their language", async () => {
    const client = await signedIn(trainee);
    for (const path of [
      "/admin",
      "/admin/agencies",
      "/admin/outbox",
      "/admin/users",
      `/admin/users/${admin.id}`,
      "/admin/users/invite",
    ]) {
      const res = await client.get(path);
      expect(res.status, path).toBe(403);
    }
    const ja = await client.get("/admin", { "accept-language": "ja" });
    // The person's own setting (English) wins over the browser's language.
    expect(await ja.text()).toContain("You do not have access to this page");
  });

  it("answers unknown ids and malformed ids with 404", async () => {
    const client = await signedIn(admin);
    expect((await client.get("/admin/users/00000000-0000-4000-8000-000000000000")).status).toBe(404);
    expect((await client.get("/admin/users/not-a-uuid")).status).toBe(404);
    expect((await client.get("/admin/agencies/12345")).status).toBe(404);
    expect((await client.get("/no/such/page")).status).toBe(404);
  });

  it("keeps a trainer to the groups they train, whatever id is typed into the URL", async () => {
    const db = server.database.db;
    const outsider = await makeUser(db, { agencyId: otherAgencyId });
    const colleague = await makeUser(db, { agencyId }); // same agency, in no group the trainer trains
    const unit = await db
      .insertInto("groups")
      .values({ agency_id: agencyId, name: "Juvenile Division", kind: "unit" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await db.insertInto("group_members").values({ group_id: unit.id, user_id: trainee.id }).execute();
    await db.insertInto("group_trainers").values({ group_id: unit.id, user_id: trainer.id }).execute();
    const client = await signedIn(trainer);
    expect((await client.get(`/admin/users/${trainee.id}`)).status).toBe(200);
    expect((await client.get(`/admin/users/${colleague.id}`)).status).toBe(403);
    expect((await client.get(`/admin/users/${outsider.id}`)).status).toBe(403);
    expect((await client.get(`/admin/agencies/${otherAgencyId}`)).status).toBe(403);
    // Asking for another agency's list still shows one's own agency only.
    const list = await (await client.get(`/admin/users?agency=${otherAgencyId}`)).text();
    expect(list).not.toContain(outsider.email);
    // Trainers manage groups but not roles.
    const roles = await client.post(`/admin/users/${trainee.id}`, { intent: "roles", roles: "admin" });
    expect(roles.status).toBe(403);
    const group = await client.post(`/admin/agencies/${otherAgencyId}`, {
      intent: "createGroup",
      groupName: "Sneaky",
      groupKind: "cohort",
    });
    expect(group.status).toBe(403);
  });

  it("lets an admin invite someone, who accepts and signs in", async () => {
    const adminClient = await signedIn(admin);
    const res = await adminClient.post("/admin/users/invite", {
      email: "invitee@example.test",
      agencyId,
      role: "trainee",
      profession: "social_worker",
    });
    // No mail server: the admin is told so and given the link to pass on.
    expect(res.status).toBe(200);
    const token = await lastLinkTo(server.database.db, "invitee@example.test", "invite");
    const sentPage = await res.text();
    expect(sentPage).toContain(en.invite.notSentTitle);
    expect(sentPage).toContain(`value="${server.url}/invite/${token}"`);
    const outbox = await (await adminClient.get("/admin/outbox")).text();
    expect(outbox).toContain(`/invite/${token}`);

    const invitee = server.client();
    const page = await invitee.get(`/invite/${token}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Kanagawa Police");
    // Every problem at once: the missing name and the weak password.
    const weak = await invitee.post(`/invite/${token}`, { displayName: "", password: "short", locale: "en" });
    expect(weak.status).toBe(400);
    const weakPage = await weak.text();
    expect(weakPage).toContain("at least 12 characters");
    expect(weakPage).toContain(en.errors.name.required);
    const common = await invitee.post(`/invite/${token}`, { displayName: "", password: "password1234", locale: "en" });
    expect(await common.text()).toContain(en.errors.password.common);
    const ok = await invitee.post(`/invite/${token}`, {
      displayName: "Invitee",
      password: "river stones at dusk",
      locale: "en",
    });
    expect(ok.status).toBe(302);
    expect((await invitee.get("/")).status).toBe(200);
    const again = await server.client().get(`/invite/${token}`);
    expect(again.status).toBe(410);
    expect(await again.text()).toContain("This link has already been used");
  });

  it("lets a trainer invite again, send again and withdraw; a replaced or withdrawn link says so", async () => {
    const client = await signedIn(trainer);
    const inviteAs = (email: string) =>
      client.post("/admin/users/invite", { email, agencyId, role: "trainee", profession: "police" });
    const linkIn = async (res: Response) => /value="[^"]*\/invite\/([\w-]{43})"/.exec(await res.text())![1]!;
    const first = await linkIn(await inviteAs("Again@Example.test"));
    const second = await linkIn(await inviteAs("again@example.test"));
    // The first link no longer opens the sign-up form: a page says it was replaced, in the reader's language.
    const replaced = await server.client().get(`/invite/${first}`, { "accept-language": "ja" });
    expect(replaced.status).toBe(410);
    const replacedPage = await replaced.text();
    expect(replacedPage).toContain(ja.token.superseded.title);
    expect(replacedPage).not.toContain('name="password"');
    // The invite page lists the one open invitation, with its actions.
    const page = await (await client.get("/admin/users/invite")).text();
    // In the markup, not in the page's data for the browser (its <script>s), which repeats it.
    const markup = page.replace(/<script\b[\s\S]*?<\/script>/g, "");
    expect(markup.match(/again@example\.test/g)).toHaveLength(3); // the cell and the two buttons' names
    const id = (
      await server.database.db
        .selectFrom("invitations")
        .select("id")
        .where("email", "=", "again@example.test")
        .where("ended_at", "is", null)
        .executeTakeFirstOrThrow()
    ).id;
    const resent = await client.post("/admin/users/invite", { intent: "resend", invitationId: id });
    expect(resent.status).toBe(200);
    const third = await linkIn(resent);
    expect((await server.client().get(`/invite/${second}`)).status).toBe(410);
    expect((await server.client().get(`/invite/${third}`)).status).toBe(200);
    const newId = (
      await server.database.db
        .selectFrom("invitations")
        .select("id")
        .where("email", "=", "again@example.test")
        .where("ended_at", "is", null)
        .executeTakeFirstOrThrow()
    ).id;
    const revoked = await client.post("/admin/users/invite", { intent: "revoke", invitationId: newId });
    expect(revoked.status).toBe(302);
    const after = await (await client.get(revoked.headers.get("location")!)).text();
    expect(after).toContain("The invitation to again@example.test has been withdrawn");
    expect(after).toContain(en.invite.pendingNone);
    const withdrawn = await server.client().get(`/invite/${third}`);
    expect(withdrawn.status).toBe(410);
    expect(await withdrawn.text()).toContain(en.token.revoked.title);
    // Twice, or someone else's: a page that says why, never a 500.
    expect((await client.post("/admin/users/invite", { intent: "revoke", invitationId: newId })).status).toBe(409);
    expect((await client.post("/admin/users/invite", { intent: "revoke", invitationId: "nope" })).status).toBe(400);
    const unknown = await client.post("/admin/users/invite", {
      intent: "resend",
      invitationId: "00000000-0000-4000-8000-000000000000",
    });
    expect(unknown.status).toBe(404);
  });

  it("gives an error page one <title>, in the reader's language", async () => {
    const client = await signedIn(trainee);
    for (const [path, status] of [
      ["/no/such/page", 404],
      [`/admin/agencies/${otherAgencyId}`, 403],
    ] as const) {
      const html = await (await client.get(path)).text();
      expect(html.match(/<title>/g), path).toHaveLength(1);
      expect(html, path).toContain(`<title>${status} — `);
    }
    const inJapanese = await (await server.client().get("/no/such/page", { "accept-language": "ja" })).text();
    expect(inJapanese.match(/<title>[^<]*<\/title>/g)).toEqual([`<title>404 — ${ja.errorPage.notFound.title}</title>`]);
  });

  it("keeps tokens out of the request log", async () => {
    const token = "T".repeat(43);
    await server.client().get(`/invite/${token}`);
    expect(server.logs.some((l) => l.includes(token))).toBe(false);
    expect(server.logs.some((l) => l.includes("/invite/[redacted]"))).toBe(true);
  });

  it("switches language without JavaScript and remembers it for a signed-in person", async () => {
    const client = await signedIn(trainee);
    const res = await client.post("/locale", { locale: "ja", redirectTo: "/account" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/account");
    const page = await (await client.get("/account")).text();
    expect(page).toContain('<html lang="ja"');
    expect(page).toContain("パスワードの変更");
    const row = await server.database.db
      .selectFrom("users")
      .select("locale")
      .where("id", "=", trainee.id)
      .executeTakeFirstOrThrow();
    expect(row.locale).toBe("ja");
    await client
      .post("/locale", { locale: "en", redirectTo: "https://evil.example/" })
      .then((r) => expect(r.headers.get("location")).toBe("/"));
  });

  it("keeps the language in a Secure __Host- cookie in production, and moves the old cookie to it once", async () => {
    const secure = await startTestServer({ SECURE_COOKIES: "true" }, server.database);
    const client = secure.client();
    const res = await client.post("/locale", { locale: "en", redirectTo: "/sign-in" });
    const [cookie] = res.headers.getSetCookie().filter((c) => c.includes("mamoru_lang"));
    expect(cookie).toMatch(/^__Host-mamoru_lang=en; Path=\/;/);
    expect(cookie).toContain("Secure");
    expect(cookie).not.toMatch(/domain=/i);
    // A browser that chose its language before the prefix keeps it, and gets the new cookie.
    const old = await secure.client().get("/sign-in", { cookie: "mamoru_lang=en", "accept-language": "ja" });
    expect(await old.text()).toContain('<html lang="en"');
    const upgraded = old.headers.getSetCookie();
    expect(upgraded).toContainEqual(expect.stringMatching(/^__Host-mamoru_lang=en; Path=\/;.*Secure/));
    expect(upgraded).toContainEqual(expect.stringMatching(/^mamoru_lang=; Path=\/; Max-Age=0/));
    // Without secure cookies (development over http) the name stays unprefixed.
    const plain = await server.client().post("/locale", { locale: "ja", redirectTo: "/sign-in" });
    expect(plain.headers.getSetCookie()).toContainEqual(expect.stringMatching(/^mamoru_lang=ja; Path=\/;/));
  });

  it("picks the browser's language for a visitor, and Japanese by default", async () => {
    expect(
      await (await fetch(`${server.url}/sign-in`, { headers: { "accept-language": "en-US,en;q=0.9" } })).text(),
    ).toContain('<html lang="en"');
    expect(await (await fetch(`${server.url}/sign-in`, { headers: { "accept-language": "fr" } })).text()).toContain(
      '<html lang="ja"',
    );
  });

  it("serves the first-admin page from the printed link and refuses it once someone exists", async () => {
    const token = await issueSetupToken(server.database.db);
    // Users exist already in this database, so no token is issued and a made-up one is refused.
    expect(token).toBeNull();
    const res = await server.client().get(`/setup/${"S".repeat(43)}`);
    expect(res.status).toBe(410);
  });

  it("shows admins the content version and why the last sync failed", async () => {
    const copy = sampleCopy();
    const log = createLogger("silent");
    expect((await syncContentFrom(server.database.db, copy.dir, log)).ok).toBe(true);
    copy.edit("sample-module/quiz.yaml", /misconception: offender-framing/, "misconception: nonsense");
    expect((await syncContentFrom(server.database.db, copy.dir, log)).ok).toBe(false);
    const client = await signedIn(admin);
    const html = await (await client.get("/admin")).text();
    expect(html).toContain("failed");
    expect(html).toContain("unknown misconception tag nonsense");
    expect(html).toContain("The platform is serving the content of the last successful sync");
    expect(html).toMatch(/Content version [0-9a-f]{12}/);
    expect(html).toContain('href="/modules/sample-module"');
  });

  it("handles 30 signed-in requests and form posts at once", async () => {
    const client = await signedIn(admin);
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        i % 2 === 0
          ? client.post(`/admin/agencies/${agencyId}`, {
              intent: "createGroup",
              groupName: `Parallel ${i}`,
              groupKind: "cohort",
            })
          : client.get("/admin/users"),
      ),
    );
    expect(responses.map((r) => r.status).sort()).toEqual([...Array(15).fill(200), ...Array(15).fill(302)].sort());
    const groups = await server.database.db
      .selectFrom("groups")
      .select("name")
      .where("name", "like", "Parallel %")
      .execute();
    expect(groups).toHaveLength(15);
  });
});

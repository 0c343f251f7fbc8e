// The findings of the outside attack run, each as the request that showed it: redirects that left
// the site, a body read whole whatever its size, input that gave a 500, pages kept by caches, logs
// that said too little (or too much), answers that told accounts apart.
import { beforeAll, describe, expect, it, vi } from "vitest";
import { en } from "../../app/i18n/en";
import { ja } from "../../app/i18n/ja";
import { engine } from "../support/db";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { rawRequest, socketExchange, startTestServer, type TestServer } from "../support/http";

let server: TestServer;
let agencyId: string;
let admin: MadeUser;
let trainee: MadeUser;

beforeAll(async () => {
  server = await startTestServer();
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  const db = server.database.db;
  agencyId = (await makeAgency(db, "Osaka Prefectural Police")).id;
  admin = await makeUser(db, { agencyId, roles: ["admin"] });
  trainee = await makeUser(db, { agencyId, roles: ["trainee"] });
});

async function signedIn(user: MadeUser) {
  const client = server.client();
  expect((await client.signIn(user.email, PASSWORD)).status).toBe(302);
  return client;
}

const HOSTILE_TARGETS = [
  "/\t/evil.example",
  "/\r/evil.example",
  "/\n/evil.example",
  "/\u0000/evil.example",
  "\t//evil.example",
  "/\\evil.example",
  "/\\/evil.example",
  "\\\\evil.example",
  "//evil.example",
  "/.//evil.example",
  "%2F%2Fevil.example",
  "%5C%5Cevil.example",
  "https://evil.example/",
  "javascript:alert(1)",
];

describe(`open redirects (${engine})`, () => {
  it("the sign-in link from the report: ?next=%2F%09%2Fevil.example leads home after sign-in", async () => {
    const client = server.client();
    const page = await client.get("/sign-in?next=%2F%09%2Fevil.example");
    expect(page.status).toBe(200);
    const next = decodeURIComponent(
      /name="next" value="([^"]*)"/.exec(await page.text())![1]!.replaceAll("&#x27;", "'"),
    );
    const res = await client.post("/sign-in", { email: trainee.email, password: PASSWORD, next });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/");
  });

  it("never sends anyone away from the site after sign-in, however the target is disguised", async () => {
    const client = await signedIn(trainee);
    for (const next of HOSTILE_TARGETS) {
      // Signed in already: the sign-in page sends the person on at once.
      const res = await client.get(`/sign-in?next=${encodeURIComponent(next)}`);
      expect(res.status, JSON.stringify(next)).toBe(302);
      expect(res.headers.get("location"), JSON.stringify(next)).toBe("/");
    }
    const fresh = server.client();
    const res = await fresh.post("/sign-in", { email: trainee.email, password: PASSWORD, next: "/\\/evil.example" });
    expect(res.headers.get("location")).toBe("/");
  });

  it("the language switch shares the check", async () => {
    const client = server.client();
    for (const redirectTo of HOSTILE_TARGETS.filter((t) => !t.includes("\u0000"))) {
      const res = await client.post("/locale", { locale: "en", redirectTo });
      expect(res.status, JSON.stringify(redirectTo)).toBe(302);
      expect(res.headers.get("location"), JSON.stringify(redirectTo)).toBe("/");
    }
    const ok = await client.post("/locale", { locale: "en", redirectTo: "/courses?profession=police" });
    expect(ok.headers.get("location")).toBe("/courses?profession=police");
  });

  it("answers CR, LF, NUL and non-Latin-1 targets with a redirect, not a 500", async () => {
    const client = server.client();
    for (const redirectTo of ["/a\r\nSet-Cookie: x=1", "/講座?q=子ども", "/\u2028", "/\ud800", "/\u0085"]) {
      const res = await client.post("/locale", { locale: "ja", redirectTo });
      expect(res.status, JSON.stringify(redirectTo)).toBe(302);
      expect(res.headers.get("location"), JSON.stringify(redirectTo)).toMatch(/^\/[\x21-\x7e]*$/);
      expect(res.headers.getSetCookie().join("\n")).not.toContain("x=1");
    }
    const signIn = await server.client().post("/sign-in", { email: trainee.email, password: PASSWORD, next: "/講座" });
    expect(signIn.headers.get("location")).toBe("/%E8%AC%9B%E5%BA%A7");
    // A NUL is refused with the rest of the form, like a NUL in any field.
    const nul = await client.post("/locale", { locale: "ja", redirectTo: "/a\u0000b" });
    expect(nul.status).toBe(400);
    expect(await nul.text()).toMatch(/name="redirectTo" value="\/[\x21-\x7e]*"/);
  });
});

describe(`request bodies (${engine})`, () => {
  const head = (length: number | null, extra = "") =>
    `POST /sign-in HTTP/1.1\r\nHost: ${new URL(server.url).host}\r\nOrigin: ${server.url}\r\n` +
    `Content-Type: application/x-www-form-urlencoded\r\nAccept-Language: ja\r\n` +
    (length === null ? "Transfer-Encoding: chunked\r\n" : `Content-Length: ${length}\r\n`) +
    extra +
    "\r\n";

  it("refuses a 50 MB form before reading it: 413, in the reader's language, and the connection closes", async () => {
    const { text, closed } = await socketExchange(server.url, (socket) => {
      socket.write(head(50 * 1024 * 1024));
      socket.write("email=" + "a".repeat(100_000));
    });
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(text.toLowerCase()).toContain("connection: close");
    expect(text).toContain('<html lang="ja"');
    expect(text).toContain(ja.errorPage.tooLarge.title);
    expect(closed).toBe(true);
  });

  it("stops reading a chunked body at the limit", async () => {
    const chunk = "a".repeat(16 * 1024);
    const { text, closed } = await socketExchange(server.url, (socket) => {
      socket.write(head(null));
      socket.write("6\r\nemail=\r\n");
      // 80 KiB and never a last chunk: the answer cannot have waited for the end.
      for (let i = 0; i < 5; i++) socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    });
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(closed).toBe(true);
  });

  it("answers a body over the limit sent by fetch with a readable 413 page", async () => {
    const res = await server.client().postRaw("/forgot-password", "email=" + "a".repeat(200 * 1024));
    expect(res.status).toBe(413);
    expect(await res.text()).toContain(en.errorPage.tooLarge.title);
  });

  it("counts fields before parsing: 201 fields are refused, 200 pass", async () => {
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `f${i}=1`).join("&");
    const over = await server.client().postRaw("/sign-in", `email=a@b.c&password=x&${fields(199)}`);
    expect(over.status).toBe(413);
    const within = await server.client().postRaw("/sign-in", `email=a@b.c&password=x&${fields(198)}`);
    expect(within.status).toBe(400);
  });

  it("reads the body of an action that ignores it, so the connection serves the next request", async () => {
    const host = new URL(server.url).host;
    const body = "x=" + "a".repeat(60_000);
    const { text } = await socketExchange(server.url, (socket) => {
      socket.write(
        `POST /sign-out HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${server.url}\r\n` +
          `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      socket.write(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    });
    expect(text).toMatch(/^HTTP\/1\.1 302 /);
    expect(text).toContain('{"status":"ok"}');
  });

  it("never leaves a connection hanging on a body an action ignores, even one over the limit", async () => {
    const host = new URL(server.url).host;
    const body = "x=" + "a".repeat(300_000);
    const { text, closed } = await socketExchange(server.url, (socket) => {
      socket.write(
        `POST /sign-out HTTP/1.1\r\nHost: ${host}\r\nOrigin: ${server.url}\r\n` +
          `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      socket.write(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    });
    expect(text).toMatch(/^HTTP\/1\.1 413 /);
    expect(closed).toBe(true);
  });

  it("keeps the connection usable after a refused cross-site post by closing it, never reading it as a request", async () => {
    const host = new URL(server.url).host;
    const smuggled = `GET /healthz HTTP/1.1\r\nHost: ${host}\r\n\r\n`;
    const { text, closed } = await socketExchange(server.url, (socket) => {
      socket.write(
        `POST /sign-in HTTP/1.1\r\nHost: ${host}\r\nOrigin: https://evil.example\r\n` +
          `Content-Type: text/plain\r\nContent-Length: ${smuggled.length + 10}\r\n\r\n${smuggled}`,
      );
    });
    expect(text).toMatch(/^HTTP\/1\.1 403 /);
    expect(text).not.toContain('{"status":"ok"}');
    expect(closed).toBe(true);
  });
});

describe(`input that used to give a 500 (${engine})`, () => {
  it("a NUL in the sign-in e-mail is a 400 with the field's message", async () => {
    const res = await server.client().post("/sign-in", { email: `${trainee.email}\u0000`, password: PASSWORD });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(en.errors.email.invalid);
  });

  it("a NUL in any form field is a 400", async () => {
    const client = await signedIn(trainee);
    const res = await client.post("/account", { intent: "profile", displayName: "A\u0000B", locale: "en" });
    expect(res.status).toBe(400);
    const forgot = await server.client().post("/forgot-password", { email: "a\u0000@example.test" });
    expect(forgot.status).toBe(400);
  });

  it("a search too long or a profession not on the list: the page names the field and says why", async () => {
    const client = await signedIn(admin);
    const long = await client.get(`/admin/users?q=${"a".repeat(3000)}`);
    expect(long.status).toBe(400);
    const longPage = await long.text();
    expect(longPage).toContain(`<p class="field-error" id="q-error">${en.errors.search.tooLong}</p>`);
    expect(longPage).toMatch(/<input[^>]*id="q"[^>]*aria-invalid="true"/);
    expect(longPage).not.toContain(en.errorPage.badRequest.title);
    const page = await client.get("/admin/users?page=0");
    expect(await page.text()).toContain(en.errors.query.page);

    for (const [language, text] of [
      ["en", en.errors.query.profession],
      ["ja", ja.errors.query.profession],
    ] as const) {
      const res = await fetch(`${server.url}/courses?profession=${encodeURIComponent("<script>")}`, {
        headers: { "accept-language": language },
      });
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toContain(text);
      expect(html).toMatch(/<select[^>]*id="profession"[^>]*aria-invalid="true"/);
      expect(html).not.toContain("<script>");
      expect(html).toContain('<option value="police">'); // the list to choose from is right there
    }
  });

  it("a NUL in the people search is a 400", async () => {
    const client = await signedIn(admin);
    for (const q of ["%00", "a%00b", "%0A", "%C0%80"]) {
      const res = await client.get(`/admin/users?q=${q}`);
      expect(res.status, q).toBeLessThan(500);
    }
    expect((await client.get("/admin/users?q=%00")).status).toBe(400);
  });

  it("an address that cannot be decoded is a calm 400 page in the reader's language", async () => {
    for (const path of ["/%E0%A4%A", "/courses/%", "/admin/users/%ZZ", "/%E0%A4%A.css", "/learn/%C0"]) {
      const res = await fetch(server.url + path, { headers: { "accept-language": "ja" } });
      expect(res.status, path).toBe(400);
      const html = await res.text();
      expect(html).toContain('<html lang="ja"');
      expect(html).toContain(ja.errorPage.badRequest.title);
    }
    expect(server.logs.filter((l) => l.includes('"level":"error"') && l.includes("%E0%A4%A"))).toEqual([]);
  });

  it("a method no browser sends is a 405, not a crash", async () => {
    for (const method of ["TRACE", "PROPFIND", "MKCOL"]) {
      const res = await rawRequest(server.url, { method, path: "/sign-in" });
      expect(res.status, method).toBe(405);
    }
  });

  it("POST /locale with a value the switch never sends answers a page, not raw JSON", async () => {
    for (const locale of ["xx", "", "ja\u0000"]) {
      const res = await server.client().post("/locale", { locale, redirectTo: "/courses" });
      expect(res.status, locale).toBe(400);
      expect(res.headers.get("content-type")).toContain("text/html");
      const html = await res.text();
      expect(html).toContain(en.errors.locale.invalid);
      expect(html).toContain('name="redirectTo" value="/courses"');
    }
  });
});

describe(`the cross-site check behind a proxy (${engine})`, () => {
  it("accepts a form whose Origin is PUBLIC_URL although a proxy rewrote Host", async () => {
    const res = await rawRequest(server.url, {
      method: "POST",
      path: "/sign-in",
      headers: {
        host: "mamoru-internal:8080",
        origin: server.url,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({ email: trainee.email, password: PASSWORD }).toString(),
    });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe("/");
  });

  it("does not take the Host header's word for the site (DNS rebinding)", async () => {
    const res = await rawRequest(server.url, {
      method: "POST",
      path: "/forgot-password",
      headers: {
        host: "evil.example",
        origin: "http://evil.example",
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "email=a%40b.c",
    });
    expect(res.status).toBe(403);
    await vi.waitFor(() =>
      expect(
        server.logs.some((l) => l.includes('"event":"request.cross_site"') && l.includes('"reason":"cross-site"')),
      ).toBe(true),
    );
  });

  it("with TRUST_PROXY, honours X-Forwarded-Host and -Proto; without it, only PUBLIC_URL", async () => {
    const proxied = await startTestServer({ TRUST_PROXY: "true", PUBLIC_URL: "https://mamoru.example.jp" });
    const other = await startTestServer({ PUBLIC_URL: "https://mamoru.example.jp" });
    const user = await makeUser(proxied.database.db, { agencyId: (await makeAgency(proxied.database.db)).id });
    const post = (target: TestServer, headers: Record<string, string>) =>
      rawRequest(target.url, {
        method: "POST",
        path: "/sign-in",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body: new URLSearchParams({ email: user.email, password: PASSWORD }).toString(),
      });
    const forwarded = {
      host: "10.0.0.5:3000",
      origin: "https://learn.example.jp",
      "x-forwarded-host": "learn.example.jp",
      "x-forwarded-proto": "https",
    };
    expect((await post(proxied, forwarded)).status).toBe(302);
    expect((await post(proxied, { ...forwarded, origin: "http://learn.example.jp" })).status).toBe(403);
    expect((await post(proxied, { host: "10.0.0.5:3000", origin: "https://mamoru.example.jp" })).status).toBe(302);
    expect((await post(other, forwarded)).status).toBe(403);
    expect((await post(other, { host: "10.0.0.5:3000", origin: "https://mamoru.example.jp" })).status).toBe(400);
  });

  it("with TRUST_PROXY, throttles the address the load balancer saw, not one the client put in X-Forwarded-For, and sends HSTS over its HTTPS", async () => {
    const proxied = await startTestServer({ TRUST_PROXY: "true", PUBLIC_URL: "https://mamoru.example.jp" });
    const user = await makeUser(proxied.database.db, { agencyId: (await makeAgency(proxied.database.db)).id });
    const res = await rawRequest(proxied.url, {
      method: "POST",
      path: "/sign-in",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: "https://mamoru.example.jp",
        // The client wrote the first entry; the load balancer appended the address it saw.
        "x-forwarded-for": "203.0.113.9, 198.51.100.7",
        "x-forwarded-proto": "https",
      },
      body: new URLSearchParams({ email: user.email, password: "not the password at all" }).toString(),
    });
    expect(res.status).toBe(400);
    expect(res.headers["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains");
    const keys = (await proxied.database.db.selectFrom("throttles").select("key").execute()).map((r) => r.key);
    expect(keys).toContain("address:198.51.100.7");
    expect(keys.some((k) => k.includes("203.0.113.9"))).toBe(false);
  });
});

describe(`caching and headers (${engine})`, () => {
  it("no page a signed-in person sees is stored by a cache, the Outbox's live links included", async () => {
    const client = await signedIn(admin);
    await client.post("/admin/users/invite", {
      email: "cache-check@example.test",
      agencyId,
      role: "trainee",
      profession: "police",
    });
    for (const path of [
      "/",
      "/admin/outbox",
      "/admin/users",
      "/account",
      "/courses",
      "/no-such-page",
      "/_root.data",
      "/account.data",
    ]) {
      const res = await client.get(path);
      expect(res.headers.get("cache-control"), path).toBe("no-store");
    }
    const forbidden = await (await signedIn(trainee)).get("/admin/outbox");
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get("cache-control")).toBe("no-store");
    const signIn = await server.client().post("/sign-in", { email: trainee.email, password: PASSWORD });
    expect(signIn.headers.get("cache-control")).toBe("no-store");
  });

  it("a visitor's pages tell caches they vary with the cookie", async () => {
    const res = await server.client().get("/sign-in");
    expect(res.headers.get("vary")).toMatch(/cookie/i);
  });

  it("sends nosniff on the health checks like on every other response", async () => {
    for (const path of ["/healthz", "/readyz", "/sign-in", "/%E0%A4%A"]) {
      const res = await fetch(server.url + path);
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
    }
  });
});

describe(`logs (${engine})`, () => {
  const entries = () => server.logs.map((l) => JSON.parse(l) as Record<string, unknown>);

  it("the request line names the signed-in person", async () => {
    const client = await signedIn(trainee);
    const res = await client.get("/account");
    const id = res.headers.get("x-request-id");
    // The line is written once the answer has gone out, which may be after the client has it.
    await vi.waitFor(() =>
      expect(entries().find((e) => e.requestId === id && e.msg === "request")).toMatchObject({
        userId: trainee.id,
        status: 200,
      }),
    );
  });

  it("a 403 is a security event (access.forbidden), a 404 is no error", async () => {
    const client = await signedIn(trainee);
    const forbidden = await client.get("/admin/users");
    const missing = await client.get("/no/such/page");
    const lines = (res: Response) => entries().filter((e) => e.requestId === res.headers.get("x-request-id"));
    await vi.waitFor(() => {
      expect(lines(forbidden)).toContainEqual(
        expect.objectContaining({
          level: "warn",
          msg: "security event",
          event: "access.forbidden",
          userId: trainee.id,
          path: "/admin/users",
        }),
      );
      expect(lines(missing)).toContainEqual(expect.objectContaining({ msg: "request", status: 404 }));
    });
    expect(lines(missing).every((e) => e.level === "info")).toBe(true);
  });

  it("sign-out, sign-out everywhere and failed sign-ins for unknown addresses go into the audit trail", async () => {
    const db = server.database.db;
    const events = (action: string) =>
      db
        .selectFrom("audit_events")
        .select(["actor_id", "subject_type", "subject_id", "details"])
        .where("action", "=", action)
        .execute();
    const client = await signedIn(trainee);
    await client.post("/sign-out", {});
    expect(await events("auth.signed_out")).toContainEqual(
      expect.objectContaining({ actor_id: trainee.id, subject_id: trainee.id }),
    );
    const again = await signedIn(trainee);
    await again.post("/account", { intent: "signOutEverywhere" });
    expect(await events("auth.signed_out_everywhere")).toContainEqual(
      expect.objectContaining({ actor_id: trainee.id }),
    );

    await server.client().post("/sign-in", { email: "Nobody.Here@Example.test", password: "a guess of some kind" });
    // A password typed into the e-mail field is not kept.
    await server.client().post("/sign-in", { email: "my secret passphrase", password: "a guess of some kind" });
    const failed = await events("auth.sign_in_failed");
    expect(failed).toContainEqual(
      expect.objectContaining({ actor_id: null, subject_type: "email", subject_id: "nobody.here@example.test" }),
    );
    expect(failed).toContainEqual(expect.objectContaining({ subject_type: "email", subject_id: null }));
    expect(JSON.stringify(failed)).not.toContain("my secret passphrase");
  });
});

describe(`security events (${engine})`, () => {
  const entries = () => server.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
  const eventsOf = (res: Response) =>
    entries().filter((e) => e.msg === "security event" && e.requestId === res.headers.get("x-request-id"));

  it("a failed sign-in, a lock and the refusal that follows are each logged by name, never with what was typed", async () => {
    const person = await makeUser(server.database.db, { agencyId });
    const client = server.client();
    const failures: Response[] = [];
    for (let i = 0; i < 5; i++)
      failures.push(await client.post("/sign-in", { email: person.email, password: `guess-${i}` }));
    await vi.waitFor(() =>
      expect(eventsOf(failures[0]!)).toEqual([
        expect.objectContaining({ level: "warn", event: "auth.sign_in_failed", userId: person.id, account: "known" }),
      ]),
    );
    await vi.waitFor(() =>
      expect(eventsOf(failures[4]!)).toContainEqual(
        expect.objectContaining({ event: "auth.locked_out", scope: "account", userId: person.id }),
      ),
    );
    const refused = await client.post("/sign-in", { email: person.email, password: PASSWORD });
    expect(refused.status).toBe(429);
    // Every 429 says when to come back.
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    await vi.waitFor(() =>
      expect(eventsOf(refused)).toContainEqual(
        expect.objectContaining({ event: "request.throttled", status: 429, path: "/sign-in" }),
      ),
    );
    const all = server.logs.join("\n");
    expect(all).not.toContain("guess-0");
    expect(all).not.toContain(PASSWORD);
  });

  it("refused input on a security form, and an unknown single-use link, are events; an ordinary 404 is not", async () => {
    const bad = await server.client().post("/forgot-password", { email: "not an address" });
    expect(bad.status).toBe(400);
    const link = await server.client().get("/reset-password/no-such-token-at-all");
    expect(link.status).toBe(404);
    const page = await server.client().get("/no/such/page");
    await vi.waitFor(() => {
      expect(eventsOf(bad)).toContainEqual(
        expect.objectContaining({ event: "input.refused", path: "/forgot-password" }),
      );
      expect(eventsOf(link)).toContainEqual(
        expect.objectContaining({ event: "link.refused", path: "/reset-password/[redacted]" }),
      );
    });
    expect(eventsOf(page)).toEqual([]);
    expect(server.logs.join("\n")).not.toContain("no-such-token-at-all");
  });
});

describe(`telling accounts apart (${engine})`, () => {
  it("forgot-password answers before looking the address up or sending anything, the same for every address", async () => {
    const real = server.app.mailer;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const sent: string[] = [];
    server.app.mailer = {
      ...real,
      send: async (mail) => {
        await held;
        sent.push(mail.to);
        return real.send(mail);
      },
    };
    try {
      const known = await server.client().post("/forgot-password", { email: trainee.email });
      const unknown = await server.client().post("/forgot-password", { email: "nobody-at-all@example.test" });
      expect([known.status, unknown.status]).toEqual([200, 200]);
      const main = async (res: Response) => /<main[\s\S]*<\/main>/.exec(await res.text())![0];
      expect(await main(known)).toBe(await main(unknown));
      // Both answers are out while the real account's mail is still held.
      expect(sent).toEqual([]);
    } finally {
      release();
      await server.app.tasks.settled();
      server.app.mailer = real;
    }
    expect(sent).toEqual([trainee.email]);
  });

  it("a trainer inviting an address with an account in another agency gets the answer a new address gets", async () => {
    const db = server.database.db;
    const elsewhere = await makeUser(db, { agencyId: (await makeAgency(db, "Kobe Family Court", "court")).id });
    const trainer = await makeUser(db, { agencyId, roles: ["trainer"] });
    const client = await signedIn(trainer);
    const invite = (email: string) =>
      client.post("/admin/users/invite", { email, agencyId, role: "trainee", profession: "police" });
    // Without a mail server both answers show a link to pass on; apart from the address and the
    // link itself, they say the same (the pending list below shows both alike).
    const main = async (res: Response, email: string) =>
      /<section class="alert[\s\S]*?<\/section>/
        .exec(await res.text())![0]
        .replaceAll(email, "EMAIL")
        .replace(/\/invite\/[\w-]{43}/, "/invite/TOKEN");
    const fresh = await invite("brand-new@example.test");
    const taken = await invite(elsewhere.email);
    expect(taken.status).toBe(fresh.status);
    expect(await main(taken, elsewhere.email)).toBe(await main(fresh, "brand-new@example.test"));
    // The pending list shows both alike.
    const list = await (await client.get("/admin/users")).text();
    expect(list).toContain("brand-new@example.test");
    expect(list).toContain(elsewhere.email);
    // The owner of the address is told they have an account, and gets no link that makes another.
    const mail = await db
      .selectFrom("mail_outbox")
      .select("body_text")
      .where("to_address", "=", elsewhere.email)
      .executeTakeFirstOrThrow();
    expect(mail.body_text).toContain(`${server.url}/sign-in`);
    expect(mail.body_text).not.toContain("/invite/");
    // A colleague outside the groups the trainer trains is no more visible to them: the same answer.
    expect((await invite(trainee.email)).status).toBe(fresh.status);
    // Someone of a group the trainer trains is visible to them anyway: that address is plainly taken.
    const unit = await db
      .insertInto("groups")
      .values({ agency_id: agencyId, name: "Invitations unit", kind: "unit" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await db.insertInto("group_members").values({ group_id: unit.id, user_id: trainee.id }).execute();
    await db.insertInto("group_trainers").values({ group_id: unit.id, user_id: trainer.id }).execute();
    expect((await invite(trainee.email)).status).toBe(409);
  });

  it("the account page's current-password check shares the sign-in throttle", async () => {
    const user = await makeUser(server.database.db, { agencyId });
    const client = await signedIn(user);
    const change = (currentPassword: string) =>
      client.post("/account", { intent: "password", currentPassword, newPassword: "a fresh and long passphrase" });
    for (let i = 0; i < 5; i++) expect((await change(`wrong guess ${i}`)).status).toBe(400);
    const locked = await change(PASSWORD);
    expect(locked.status).toBe(429);
    expect(await locked.text()).toContain(en.errors.password.throttled);
    expect((await server.client().signIn(user.email, PASSWORD)).status).toBe(429);
  });
});

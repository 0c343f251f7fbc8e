// Property-based tests of the public and signed-in routes: random and hostile field values (NUL and
// other control characters, lone surrogates, very long strings, several values for one field,
// missing fields, bytes that are not UTF-8, percent-encodings that decode to nothing, bodies of other
// types) and hostile addresses. Whatever arrives: never a 5xx, and a refused request (4xx) changes
// no row. Each property runs a bounded number of times, so that the suite stays quick.
import fc from "fast-check";
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { nextStep, startAttempt } from "../../app/server/learning/attempts.server";
import { engine } from "../support/db";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { rawRequest, startTestServer, type TestClient, type TestServer } from "../support/http";
import { enrol, readyForFinal, syncSample } from "../support/learning";

const RUNS = 60;

let server: TestServer;
let agencyId: string;
let otherAgencyId: string;
let admin: MadeUser;
let trainee: MadeUser;
let attemptId: string;
let served: { id: string; options: string[] }[] = [];
const clients: Record<"visitor" | "admin" | "trainer" | "trainee" | "accountHolder", TestClient> = {} as never;

beforeAll(async () => {
  server = await startTestServer();
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  const db = server.database.db;
  agencyId = (await makeAgency(db, "Hiroshima Child Guidance Centre", "child_guidance")).id;
  otherAgencyId = (await makeAgency(db, "Sendai Family Court", "court")).id;
  admin = await makeUser(db, { agencyId, roles: ["admin"] });
  const trainer = await makeUser(db, { agencyId, roles: ["trainer"] });
  trainee = await makeUser(db, { agencyId, roles: ["trainee"] });
  const accountHolder = await makeUser(db, { agencyId, roles: ["trainee"] });
  await makeUser(db, { agencyId: otherAgencyId, email: "elsewhere@example.test" });

  const mv = (await syncSample(db)).id;
  await enrol(db, trainee.id, "sample-course");
  await readyForFinal(db, trainee.id, mv);
  attemptId = await startAttempt(db, { userId: trainee.id, moduleVersionId: mv, stage: "final" });
  served = (await nextStep(db, trainee.id, attemptId)).attempt.served.map((q) => ({ id: q.id, options: q.options }));

  // Everyone signs in first: the sign-in property below soon locks this address out of signing in.
  clients.visitor = server.client();
  for (const [name, user] of [
    ["admin", admin],
    ["trainer", trainer],
    ["trainee", trainee],
    ["accountHolder", accountHolder],
  ] as const) {
    clients[name] = server.client();
    expect((await clients[name].signIn(user.email, PASSWORD)).status).toBe(302);
  }
});

// Rows a refused request must leave as they were: counts of every table a form can add to, and
// digests of what a form can change in place. Throttle counts and the audit trail are left out:
// recording a failure is what they are for.
async function snapshot(): Promise<Record<string, unknown>> {
  await server.app.tasks.settled();
  const counted = [
    "agencies",
    "groups",
    "group_members",
    "users",
    "user_roles",
    "password_credentials",
    "sessions",
    "invitations",
    "password_resets",
    "mail_outbox",
    "enrollments",
    "lesson_progress",
    "quiz_attempts",
    "completion_records",
    "totp_credentials",
    "recovery_codes",
    "passkeys",
    "mfa_required_roles",
  ];
  const { rows } = await sql<Record<string, unknown>>`
    select ${sql.join(counted.map((t) => sql`(select count(*) from ${sql.table(t)})::int as ${sql.ref(t)}`))},
      (select md5(coalesce(string_agg(display_name || ':' || coalesce(locale::text, '') || ':' || coalesce(disabled_at::text, ''), ',' order by id), '')) from users) as people,
      (select md5(coalesce(string_agg(hash, ',' order by user_id), '')) from password_credentials) as passwords,
      (select count(*)::int from recovery_codes where used_at is null) as unused_recovery_codes,
      (select md5(coalesce(string_agg(answers::text || ':' || coalesce(submitted_at::text, ''), ',' order by id), '')) from quiz_attempts) as answers
  `.execute(server.database.db);
  return rows[0]!;
}

/** One request of a property: never a 5xx; when refused, no row changed. */
async function check(label: string, send: () => Promise<{ status: number }>) {
  const before = await snapshot();
  const { status } = await send();
  expect(status, label).toBeLessThan(500);
  if (status >= 400) expect(await snapshot(), `${label} (refused with ${status}) changed rows`).toEqual(before);
}

// ---- values -----------------------------------------------------------------------------------

const HOSTILE_UNITS = [
  "\u0000",
  "\t",
  "\r",
  "\n",
  "\u0008",
  "\u001b",
  "\u007f",
  "\u0085",
  "\u00a0",
  "\u2028",
  "\u202e",
  "\ufeff",
  "\ufffd",
  "\ud800",
  "\udfff",
  "\uffff",
  "\\",
  "/",
  "//",
  "%",
  "%00",
  "%ff",
  "&",
  "=",
  "+",
  "'",
  '"',
  "<script>",
  "${x}",
  "{{x}}",
  "../",
  "javascript:",
  "evil.example",
  "@",
  "\u{1f431}",
  "田中",
];

/** The characters that have broken things before come up most often; any other may come up too. */
const hostileUnit: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("\u0000", "\r", "\n", "\t", "\ud800", "\\", "%", "田") },
  { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_UNITS) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
);

const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: hostileUnit, minLength: 1, maxLength: 12 }) },
  // Something like a path (what a redirect target or a slug must look like to get far), with the
  // hostile part inside it rather than at an end, where header values get trimmed.
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.constantFrom("/", "/account", "/courses/", "sample-module"),
        fc.string({ unit: hostileUnit, minLength: 1, maxLength: 6 }),
        fc.constantFrom("x", "/y", "?z=1"),
      )
      .map(([start, middle, end]) => start + middle + end),
  },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary-ascii", maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("a".repeat(255), "あ".repeat(2_000), "x".repeat(70_000), " ".repeat(300)),
  },
);

/**
 * A field: a plausible value (so that the fields beside it get looked at), a hostile one, several
 * values, or none at all.
 */
const field = (...plausible: string[]): fc.Arbitrary<string | string[] | undefined> =>
  fc.oneof(
    { weight: plausible.length ? 4 : 0, arbitrary: plausible.length ? fc.constantFrom(...plausible) : fc.constant("") },
    { weight: 4, arbitrary: hostileString },
    {
      weight: 1,
      arbitrary: fc.array(fc.oneof(hostileString, ...plausible.map((p) => fc.constant(p))), {
        minLength: 2,
        maxLength: 4,
      }),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );

type Fields = Record<string, string | string[] | undefined>;

/** Bytes that are not UTF-8 and percent-encodings that decode to nothing. */
const BAD_ESCAPES = ["%", "%%", "%G0", "%E0%A4%A", "%C0%80", "%FF", "%ED%A0%80", "%00", "%F4%90%80%80", "%C3"];

type Body = { label: string; body: string | Uint8Array<ArrayBuffer> | FormData; type: string | null };

/** The fields sent as a browser would, or with broken escapes, or as multipart, or as something else. */
function bodyOf(fields: fc.Arbitrary<Fields>): fc.Arbitrary<Body> {
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fields.map((f) => {
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries(f))
          for (const one of v === undefined ? [] : [v].flat()) params.append(k, one);
        return { label: "urlencoded", body: params.toString(), type: "application/x-www-form-urlencoded" };
      }),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fields, fc.array(fc.constantFrom(...BAD_ESCAPES), { minLength: 1, maxLength: 3 }))
        .map(([f, escapes]) => {
          const parts = Object.entries(f).flatMap(([k, v]) =>
            (v === undefined ? [] : [v].flat()).map(
              (one, i) => `${k}=${escapes[i % escapes.length]}${encodeLoosely(one)}`,
            ),
          );
          return { label: "broken escapes", body: parts.join("&"), type: "application/x-www-form-urlencoded" };
        }),
    },
    {
      weight: 1,
      arbitrary: fields.map((f) => {
        const form = new FormData();
        for (const [k, v] of Object.entries(f))
          for (const one of v === undefined ? [] : [v].flat()) form.append(k, one);
        return { label: "multipart", body: form, type: null };
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.uint8Array({ maxLength: 300 }).map((bytes) => new Uint8Array(bytes)),
          fc.constantFrom("application/x-www-form-urlencoded", "text/plain", "application/json", "multipart/form-data"),
        )
        .map(([bytes, type]) => ({ label: `raw bytes as ${type}`, body: bytes, type })),
    },
    {
      weight: 1,
      arbitrary: fields.map((f) => ({ label: "json", body: JSON.stringify(f), type: "application/json" })),
    },
  );
}

/** Percent-encodes what must be, leaving lone surrogates and the like to the encoder's mercy. */
function encodeLoosely(value: string): string {
  let out = "";
  for (const ch of value) {
    try {
      out += encodeURIComponent(ch);
    } catch {
      out += ch;
    }
  }
  return out;
}

async function post(client: TestClient, path: string, { body, type }: Body) {
  const headers: Record<string, string> = {
    cookie: client.cookieHeaderValue,
    origin: client.base,
    "accept-language": "en",
  };
  if (type) headers["content-type"] = type;
  const response = await fetch(client.base + path, { method: "POST", redirect: "manual", body, headers });
  await response.arrayBuffer();
  return response;
}

const property = <T>(arb: fc.Arbitrary<T>, run: (value: T) => Promise<void>) =>
  fc.assert(fc.asyncProperty(arb, run), { numRuns: RUNS });

// ---- addresses --------------------------------------------------------------------------------

/** A path segment or query value as it may arrive on the wire: printable bytes, Latin-1 and broken escapes. */
const wireText: fc.Arbitrary<string> = fc.string({
  unit: fc.oneof(
    {
      weight: 6,
      arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }).filter((c) => !"/?# ".includes(c)),
    },
    {
      weight: 3,
      arbitrary: fc.constantFrom(...BAD_ESCAPES, "%2F", "%5C", "%2e%2e", "%0A", "%0D", "%09", "%20", "%00"),
    },
    { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...HOSTILE_UNITS.filter((u) => /^[\x21-\x7e]+$/.test(u) && !/[/?#]/.test(u)))
        .map(encodeLoosely),
    },
  ),
  maxLength: 30,
});

const get = (client: TestClient, path: string) =>
  rawRequest(client.base, { path, headers: { cookie: client.cookieHeaderValue, "accept-language": "ja" } });

describe(`every route, whatever arrives (${engine})`, () => {
  it("sign-in", async () => {
    const fields = fc.record({
      email: field(trainee.email, "nobody@example.test", ""),
      password: field(PASSWORD, "wrong password here"),
      next: field("/account", "//evil.example", "/\t/evil.example"),
    });
    await property(bodyOf(fields), (body) =>
      check(`sign-in ${body.label}`, () => post(server.client(), "/sign-in", body)),
    );
  });

  it("forgot-password", async () => {
    const fields = fc.record({ email: field(trainee.email, "nobody@example.test") });
    await property(bodyOf(fields), (body) =>
      check(`forgot-password ${body.label}`, () => post(clients.visitor, "/forgot-password", body)),
    );
  });

  it("the language switch, for a visitor and for a signed-in person", async () => {
    const fields = fc.record({
      locale: field("ja", "en"),
      redirectTo: field("/account", "/courses?x=1", "//evil.example"),
    });
    await property(
      fc.tuple(bodyOf(fields), fc.constantFrom("visitor", "trainee") as fc.Arbitrary<"visitor" | "trainee">),
      ([body, who]) => check(`locale ${who} ${body.label}`, () => post(clients[who], "/locale", body)),
    );
  });

  it("the account page", async () => {
    const fields = fc.record({
      intent: field("profile", "password"),
      displayName: field("佐藤 花子", "Hanako Sato"),
      locale: field("ja", "en"),
      currentPassword: field("not the password at all"),
      newPassword: field("a brand new long passphrase", "short"),
    });
    await property(bodyOf(fields), (body) =>
      check(`account ${body.label}`, () => post(clients.accountHolder, "/account", body)),
    );
  });

  it("the notifications page: marking read", async () => {
    const fields = fc.record({
      intent: field("read", "read-all", "delete"),
      id: field("00000000-0000-4000-8000-000000000000", "1 or 1=1"),
    });
    await property(bodyOf(fields), (body) =>
      check(`notifications ${body.label}`, () => post(clients.trainee, "/notifications", body)),
    );
  });

  it("the account page's sessions", async () => {
    const fields = fc.record({
      intent: field("endSession", "endOtherSessions"),
      session: field("00000000-0000-4000-8000-000000000000", "not-a-uuid"),
    });
    await property(bodyOf(fields), (body) =>
      check(`account sessions ${body.label}`, () => post(clients.accountHolder, "/account", body)),
    );
  });

  it("two-step sign-in: setting it up, the second step, passkeys, confirming it is you, and the roles that require it", async () => {
    const fields = fc.record({
      intent: field(
        "start",
        "cancel",
        "confirm",
        "regenerate",
        "disable",
        "removePasskey",
        "code",
        "options",
        "verify",
      ),
      code: field("123456", "abcd-2345-efgh-6789-jkmn-pqrs", ""),
      password: field(PASSWORD, "wrong"),
      passkey: field("AAAA"),
      token: field("A".repeat(43)),
      name: field("Work laptop"),
      response: field("{}", '{"id":"x","rawId":"x","type":"public-key","response":{},"clientExtensionResults":{}}'),
      roles: field("reviewer", "admin", "superuser"),
      next: field("/account", "//evil.example"),
    });
    const targets = [
      ["accountHolder", "/account/two-factor"],
      ["accountHolder", "/account/passkeys"],
      ["accountHolder", "/account/confirm"],
      ["visitor", "/sign-in/second-factor"],
      ["visitor", "/sign-in/passkey"],
      ["trainer", "/admin/security"],
    ] as const;
    await property(fc.tuple(bodyOf(fields), fc.constantFrom(...targets)), ([body, [who, path]]) =>
      check(`${path} ${who} ${body.label}`, () => post(clients[who], path, body)),
    );
  });

  it("the people search, for an admin and for a trainer", async () => {
    const query = fc.array(
      fc.tuple(
        fc.oneof({ weight: 4, arbitrary: fc.constant("q") }, fc.constantFrom("agency", "page", "x", "q[]")),
        fc.oneof({ weight: 3, arbitrary: wireText }, fc.constantFrom(agencyId, otherAgencyId, "2", "-1", "1e9")),
      ),
      { maxLength: 4 },
    );
    await property(
      fc.tuple(query, fc.constantFrom("admin", "trainer") as fc.Arbitrary<"admin" | "trainer">),
      ([pairs, who]) =>
        check(`people search ${who} ${JSON.stringify(pairs)}`, () =>
          get(clients[who], `/admin/users?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}`),
        ),
    );
  });

  it("the reviewer's lists and downloads, for an admin and for a trainer", async () => {
    const query = fc.array(
      fc.tuple(
        fc.constantFrom(
          "agency",
          "group",
          "course",
          "module",
          "kind",
          "status",
          "from",
          "to",
          "q",
          "after",
          "action",
          "format",
          "profession",
          "window",
        ),
        fc.oneof(
          { weight: 3, arbitrary: wireText },
          fc.constantFrom(
            agencyId,
            "sample-course",
            "module",
            "expired",
            "2026-02-30",
            "2026-01-01",
            "1",
            "-1",
            "xapi",
            "module:sample-module",
            "in_progress",
            "police",
            "366",
          ),
        ),
      ),
      { maxLength: 4 },
    );
    const path = fc.constantFrom(
      "/agency/records",
      "/agency/records/export",
      "/agency/audit",
      "/agency/audit/export",
      "/agency/matrix",
      "/agency/matrix/export",
    );
    await property(
      fc.tuple(path, query, fc.constantFrom("admin", "trainer") as fc.Arbitrary<"admin" | "trainer">),
      ([base, pairs, who]) =>
        check(`${base} ${who} ${JSON.stringify(pairs)}`, () =>
          get(clients[who], `${base}?${pairs.map(([k, v]) => `${k}=${v}`).join("&")}`),
        ),
    );
  });

  it("invitations, by an admin and by a trainer", async () => {
    const fields = fc.record({
      email: field("new.person@example.test", trainee.email, "elsewhere@example.test"),
      agencyId: field(agencyId, otherAgencyId, "00000000-0000-4000-8000-000000000000"),
      role: field("trainee", "admin", "owner"),
      profession: field("police", "judge", "astronaut"),
    });
    await property(
      fc.tuple(bodyOf(fields), fc.constantFrom("admin", "trainer") as fc.Arbitrary<"admin" | "trainer">),
      ([body, who]) => check(`invite ${who} ${body.label}`, () => post(clients[who], "/admin/users/invite", body)),
    );
  });

  it("quiz answers", async () => {
    const questionIds = served.map((q) => q.id);
    const options = [...new Set(served.flatMap((q) => q.options))];
    const fields = fc.record({
      intent: field("answer", "answer", "submit"),
      questionId: field(...questionIds, "../../etc"),
      part: field("choice", "followUp"),
      choice: field(...options, "zz"),
    });
    const target = fc.oneof(
      { weight: 5, arbitrary: fc.constant(attemptId) },
      { weight: 1, arbitrary: fc.constantFrom("00000000-0000-4000-8000-000000000000", "not-an-id", "%00", "%E0%A4%A") },
    );
    await property(fc.tuple(bodyOf(fields), target), ([body, id]) =>
      check(`quiz ${id} ${body.label}`, () => post(clients.trainee, `/attempts/${id}`, body)),
    );
  });

  it("pages reached by address, signed in or not", async () => {
    const pages = fc.oneof(
      wireText.map((v) => `/sign-in?next=${v}`),
      wireText.map((v) => `/courses?profession=${v}`),
      wireText.map((v) => `/courses/${v}`),
      wireText.map((v) => `/modules/${v}`),
      fc.tuple(wireText, wireText).map(([a, b]) => `/learn/${a}/lessons/${b}`),
      wireText.map((v) => `/verify/${v}`),
      wireText.map((v) => `/certificates/${v}`),
      wireText.map((v) => `/invite/${v}`),
      wireText.map((v) => `/reset-password/${v}`),
      wireText.map((v) => `/setup/${v}`),
      wireText.map((v) => `/admin/users/${v}`),
      wireText.map((v) => `/admin/agencies/${v}`),
      wireText.map((v) => `/attempts/${attemptId}?q=${v}`),
      wireText.map((v) => `/attempts/${v}/result`),
      wireText.map((v) => `/${v}`),
    );
    const who = fc.constantFrom("visitor", "trainee", "admin") as fc.Arbitrary<"visitor" | "trainee" | "admin">;
    await property(fc.tuple(pages, who), ([path, as]) => check(`GET ${path} as ${as}`, () => get(clients[as], path)));
  });
});

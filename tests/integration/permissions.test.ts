// The permission matrix, generated from the route list: every page of the build is requested by a
// visitor, by each role of one agency, and by the same roles of another agency, with its address
// naming the first agency's people, groups and records. What each may see is written down below,
// route by route; a route that is not in the table fails the test, so a new page cannot ship
// without its row. Expected answers: 200, 403 or 404, or where a redirect goes.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { assign } from "../../app/server/assignments/assign.server";
import { uploadImport } from "../../app/server/invitations/bulk-import.server";
import { startAttempt, submitAttempt } from "../../app/server/learning/attempts.server";
import { engine } from "../support/db";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { startTestServer, type TestClient, type TestServer } from "../support/http";
import { answerAll, enrol, readyForFinal, syncSample } from "../support/learning";

const ACTORS = [
  "visitor",
  "trainee",
  "trainer",
  "reviewer",
  "admin",
  "otherTrainee",
  "otherTrainer",
  "otherReviewer",
] as const;
type ActorName = (typeof ACTORS)[number];

let server: TestServer;
const params: Record<string, string> = {};
const clients = {} as Record<ActorName, TestClient>;

beforeAll(async () => {
  server = await startTestServer();
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  const db = server.database.db;
  const moduleVersionId = (await syncSample(db)).id;
  const [a, b] = [await makeAgency(db, "Agency A"), await makeAgency(db, "Agency B")];
  const group = async (agencyId: string) =>
    (
      await db
        .insertInto("groups")
        .values({ agency_id: agencyId, name: "Unit", kind: "unit" })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
  const [ga, gb] = [await group(a.id), await group(b.id)];
  const people = {} as Record<Exclude<ActorName, "visitor">, MadeUser>;
  for (const [name, agencyId, role, groupId] of [
    ["trainee", a.id, "trainee", ga],
    ["trainer", a.id, "trainer", ga],
    ["reviewer", a.id, "reviewer", null],
    ["admin", a.id, "admin", null],
    ["otherTrainee", b.id, "trainee", gb],
    ["otherTrainer", b.id, "trainer", gb],
    ["otherReviewer", b.id, "reviewer", null],
  ] as const) {
    people[name] = await makeUser(db, { agencyId, roles: [role] });
    if (groupId && role === "trainee")
      await db.insertInto("group_members").values({ group_id: groupId, user_id: people[name].id }).execute();
    if (groupId && role === "trainer")
      await db.insertInto("group_trainers").values({ group_id: groupId, user_id: people[name].id }).execute();
  }
  // The first agency's trainee completes the course: an attempt, a record, a certificate.
  const trainee = people.trainee.id;
  await enrol(db, trainee, "sample-course");
  await readyForFinal(db, trainee, moduleVersionId);
  const attemptId = await startAttempt(db, { userId: trainee, moduleVersionId, stage: "final" });
  await answerAll(db, trainee, attemptId, true);
  await submitAttempt(db, trainee, attemptId);
  const record = await db
    .selectFrom("completion_records")
    .select("certificate_code")
    .where("user_id", "=", trainee)
    .where("certificate_code", "is not", null)
    .executeTakeFirstOrThrow();
  const trainerActor = { id: people.trainer.id, agencyId: a.id, roles: ["trainer" as const], trainerOf: [ga] };
  const assignmentId = await assign(db, trainerActor, {
    agencyId: a.id,
    moduleSlug: "sample-module",
    audience: "group",
    groupId: ga,
    due: { on: "2099-01-01" },
  });
  const upload = await uploadImport(
    db,
    trainerActor,
    new TextEncoder().encode("name,e-mail,profession,group\nNew Person,new@example.test,police,Unit\n"),
  );
  if (!upload.ok) throw new Error(`upload: ${upload.problem}`);
  Object.assign(params, {
    agencyId: a.id,
    userId: trainee,
    attemptId,
    code: record.certificate_code!,
    slug: "sample-module",
    lessonId: "01-first",
    assignmentId,
    importId: upload.importId,
    token: randomBytes(32).toString("base64url"),
  });
  clients.visitor = server.client();
  for (const [name, person] of Object.entries(people)) {
    const client = server.client();
    expect((await client.signIn(person.email, PASSWORD)).status).toBe(302);
    clients[name as ActorName] = client;
  }
}, 120_000);

/** Every route of the production build with an address of its own, as "/a/$param/b". */
async function routePatterns(): Promise<string[]> {
  const build = await import(pathToFileURL(path.resolve(import.meta.dirname, "../../build/server/index.js")).href);
  const routes = build.routes as Record<string, { path?: string; parentId?: string; index?: boolean }>;
  const full = (id: string): string => {
    const r = routes[id]!;
    const parent = r.parentId ? full(r.parentId) : "";
    return r.path ? `${parent}/${r.path}`.replace(/\/+/g, "/") : parent;
  };
  return [
    ...new Set(
      Object.keys(routes)
        .filter((id) => id !== "root")
        .map((id) => full(id) || "/"),
    ),
  ].sort();
}

const address = (pattern: string) =>
  pattern.replace(/:(\w+)/g, (_, name: string) => {
    // A course's address names a course; every other slug is the module's.
    if (name === "slug" && pattern.startsWith("/courses/")) return "sample-course";
    if (!(name in params)) throw new Error(`no value for :${name} in ${pattern}`);
    return encodeURIComponent(params[name]!);
  });

/** One answer in a word: the status, or where a redirect goes (without its query). */
function outcome(response: Response): string {
  const location = response.headers.get("location");
  if (location) return `→${location.split("?")[0]}`;
  return String(response.status);
}

// Who is asking, in the order of ACTORS: a visitor; the first agency's trainee, trainer (of the
// trainee's group), reviewer and admin (admins are platform-wide); the second agency's trainee,
// trainer and reviewer, asking about the first agency's people and records in the address.
// "S" is a redirect to sign in; "→/x" a redirect elsewhere. 405: an endpoint that only takes POST.
const S = "→/sign-in";
const SIGNED_IN = [S, "200", "200", "200", "200", "200", "200", "200"];
const ADMIN_ONLY = [S, "403", "403", "403", "200", "403", "403", "403"];
const PUBLIC = ["200", "200", "200", "200", "200", "200", "200", "200"];
const POST_ONLY = ["405", "405", "405", "405", "405", "405", "405", "405"];
/** The agency's own trainers and reviewers see it; anyone else's is refused or not found. */
const REVIEWERS = [S, "403", "403", "200", "200", "403", "403", "200"];
const TRAINERS_AND_REVIEWERS = [S, "403", "200", "200", "200", "403", "200", "200"];
const TRAINERS = [S, "403", "200", "403", "200", "403", "200", "403"];
const MATRIX: Record<string, string[]> = {
  "/": SIGNED_IN,
  "/account": SIGNED_IN,
  "/account/confirm": SIGNED_IN,
  "/account/passkeys": POST_ONLY,
  "/account/two-factor": SIGNED_IN,
  "/admin": ADMIN_ONLY,
  "/admin/agencies": ADMIN_ONLY,
  "/admin/agencies/:agencyId": [S, "403", "200", "200", "200", "403", "403", "403"],
  "/admin/outbox": ADMIN_ONLY,
  "/admin/records": ADMIN_ONLY,
  "/admin/security": ADMIN_ONLY,
  "/admin/users": TRAINERS_AND_REVIEWERS,
  "/admin/users/:userId": [S, "403", "200", "200", "200", "403", "403", "403"],
  "/admin/users/invite": TRAINERS,
  "/agency/audit": REVIEWERS,
  "/agency/audit/export": REVIEWERS,
  "/agency/integrity": REVIEWERS,
  "/agency/matrix": TRAINERS_AND_REVIEWERS,
  "/agency/matrix/export": TRAINERS_AND_REVIEWERS,
  "/agency/people/:userId": [S, "403", "200", "200", "200", "403", "404", "404"],
  "/agency/records": TRAINERS_AND_REVIEWERS,
  "/agency/records/export": TRAINERS_AND_REVIEWERS,
  // The trainee's own submitted attempt leads to its result; nobody else's is found.
  "/attempts/:attemptId": [S, "→/attempts/:attemptId/result", "404", "404", "404", "404", "404", "404"],
  "/attempts/:attemptId/result": [S, "200", "404", "404", "404", "404", "404", "404"],
  "/certificates/:code": [S, "200", "200", "200", "200", "404", "404", "404"],
  "/courses": PUBLIC,
  "/courses/:slug": PUBLIC,
  "/forgot-password": PUBLIC,
  "/invite/:token": ["404", "404", "404", "404", "404", "404", "404", "404"],
  "/learn/:slug": SIGNED_IN,
  // Lessons come after the pre-test: whoever has not taken it is sent to the module first.
  "/learn/:slug/lessons/:lessonId": [S, "200", ...Array<string>(6).fill("→/learn/sample-module")],
  "/locale": PUBLIC,
  "/modules/:slug": PUBLIC,
  "/notifications": SIGNED_IN,
  "/reset-password/:token": ["404", "404", "404", "404", "404", "404", "404", "404"],
  "/setup/:token": ["410", "410", "410", "410", "410", "410", "410", "410"],
  "/sign-in": ["200", "→/", "→/", "→/", "→/", "→/", "→/", "→/"],
  "/sign-in/passkey": POST_ONLY,
  "/sign-in/second-factor": [S, "→/", "→/", "→/", "→/", "→/", "→/", "→/"],
  "/sign-out": ["→/", "→/", "→/", "→/", "→/", "→/", "→/", "→/"],
  "/training": TRAINERS_AND_REVIEWERS,
  "/training/assign": TRAINERS,
  "/training/assignments/:assignmentId": [S, "403", "200", "200", "200", "403", "404", "404"],
  "/training/invite": TRAINERS,
  // An upload is its uploader's alone, an admin's included.
  "/training/invite/:importId": [S, "403", "200", "403", "404", "403", "404", "403"],
  "/training/invite/sample.csv": TRAINERS,
  "/verify": PUBLIC,
  "/verify/:code": PUBLIC,
};

describe(`the permission matrix (${engine})`, () => {
  it("has a row for every route of the build, and none for a route that is gone", async () => {
    expect(await routePatterns()).toEqual(Object.keys(MATRIX).sort());
  });

  it("answers each route as its row says, for each kind of reader, own agency and other", async () => {
    const differences: string[] = [];
    for (const [pattern, expected] of Object.entries(MATRIX)) {
      for (const [i, who] of ACTORS.entries()) {
        const got = outcome(await clients[who].get(address(pattern)));
        const want = address(expected[i]!);
        if (got !== want) differences.push(`${pattern} as ${who}: ${got}, expected ${want}`);
      }
    }
    expect(differences).toEqual([]);
  });
});

// The training matrix and its CSV over HTTP, as each kind of reader: nobody signed in, a trainee,
// a trainer of another group, another agency's reviewer, the agency's reviewer, a trainer of the
// group and an admin. A refusal carries none of the data; a trainer sees their groups' rows only;
// the page is an accessible table that says each cell in words and links it to the person.
import { parse } from "csv-parse/sync";
import { beforeAll, describe, expect, it } from "vitest";
import { assign } from "../../app/server/assignments/assign.server";
import { startAttempt, submitAttempt } from "../../app/server/learning/attempts.server";
import { engine } from "../support/db";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { startTestServer, type TestClient, type TestServer } from "../support/http";
import { answerAll, readyForFinal, syncSample } from "../support/learning";

let server: TestServer;
const people: Record<string, MadeUser> = {};
let agencyA: string;
let unit1: string;
let unit2: string;
const FORMULA = "@SUM(A1:A9)";
const NAMES = ["山田 花子", "SUM(A1", "Night Officer Abe", "Court Clerk Kimura"];
const namesIn = (text: string) => NAMES.filter((n) => text.includes(n));

beforeAll(async () => {
  server = await startTestServer();
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  const db = server.database.db;
  agencyA = (await makeAgency(db, "Hokkaido Police")).id;
  const agencyB = (await makeAgency(db, "Sapporo Family Court", "court")).id;
  const group = async (name: string, agencyId: string) =>
    (
      await db
        .insertInto("groups")
        .values({ agency_id: agencyId, name, kind: "unit" })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
  unit1 = await group("Unit One", agencyA);
  unit2 = await group("Unit Two", agencyA);
  const courtUnit = await group("Family division", agencyB);
  const make = async (
    key: string,
    agencyId: string,
    roles: MadeUser["roles"],
    displayName: string,
    inGroup?: string,
  ) => {
    people[key] = await makeUser(db, { agencyId, roles, displayName });
    if (inGroup) await db.insertInto("group_members").values({ group_id: inGroup, user_id: people[key]!.id }).execute();
  };
  await make("hanako", agencyA, ["trainee"], "山田 花子", unit1);
  await make("formula", agencyA, ["trainee"], FORMULA, unit1);
  await make("abe", agencyA, ["trainee"], "Night Officer Abe", unit2);
  await make("court", agencyB, ["trainee"], "Court Clerk Kimura", courtUnit);
  await make("trainee", agencyA, ["trainee"], "Plain Trainee");
  await make("trainer", agencyA, ["trainer"], "Trainer of Unit One");
  await make("otherTrainer", agencyA, ["trainer"], "Trainer of Unit Three");
  await make("reviewer", agencyA, ["reviewer"], "Reviewer A");
  await make("reviewerB", agencyB, ["reviewer"], "Reviewer B");
  await make("admin", agencyA, ["admin"], "Admin");
  await db.insertInto("group_trainers").values({ group_id: unit1, user_id: people.trainer!.id }).execute();
  const unit3 = await group("Unit Three", agencyA);
  await db.insertInto("group_trainers").values({ group_id: unit3, user_id: people.otherTrainer!.id }).execute();
  const mv = (await syncSample(db)).id;
  const admin = { id: people.admin!.id, agencyId: agencyA, roles: people.admin!.roles, trainerOf: [] };
  for (const [agencyId, groupId] of [
    [agencyA, unit1],
    [agencyA, unit2],
    [agencyB, courtUnit],
  ] as const)
    await assign(db, admin, { agencyId, moduleSlug: "sample-module", audience: "group", groupId, due: { days: 30 } });
  // Hanako has passed the module; the others have not begun.
  await readyForFinal(db, people.hanako!.id, mv);
  const attempt = await startAttempt(db, { userId: people.hanako!.id, moduleVersionId: mv, stage: "final" });
  await answerAll(db, people.hanako!.id, attempt, true);
  await submitAttempt(db, people.hanako!.id, attempt);
});

const clients = new Map<string, TestClient>();
async function as(key: string): Promise<TestClient> {
  if (key === "anonymous") return server.client();
  let c = clients.get(key);
  if (!c) {
    c = server.client();
    expect((await c.signIn(people[key]!.email, PASSWORD)).status).toBe(302);
    clients.set(key, c);
  }
  return c;
}

const csvNames = async (key: string, query = "") => {
  const r = await (await as(key)).get(`/agency/matrix/export${query}`);
  expect(r.status).toBe(200);
  return (parse(await r.text(), { bom: true }) as string[][]).slice(1).map((row) => row[0]!);
};

describe(`the training matrix over HTTP, reader by reader (${engine})`, () => {
  it("sends nobody signed in to sign in, and refuses a trainee a 403 page in their language that shows no one", async () => {
    for (const route of ["/agency/matrix", "/agency/matrix/export", `/agency/matrix?group=${unit1}`]) {
      const r = await (await as("anonymous")).get(route);
      expect(r.status, route).toBe(302);
      expect(r.headers.get("location"), route).toMatch(/^\/sign-in\?next=/);
      const refused = await (await as("trainee")).get(route);
      expect(refused.status, route).toBe(403);
      const html = await refused.text();
      expect(html, route).toContain("You do not have access to this page");
      expect(namesIn(html), route).toEqual([]);
    }
    await server.database.db.updateTable("users").set({ locale: "ja" }).where("id", "=", people.trainee!.id).execute();
    const ja = await (await as("trainee")).get("/agency/matrix/export");
    expect(ja.status).toBe(403);
    expect(await ja.text()).toContain("このページを表示する権限がありません");
  });

  it("shows each reader their scope's rows: the agency to its reviewer, a trainer their group, another agency's reviewer and another group's trainer none of these", async () => {
    const seen = async (key: string) => namesIn(await (await (await as(key)).get("/agency/matrix")).text());
    expect(await seen("reviewer")).toEqual(["山田 花子", "SUM(A1", "Night Officer Abe"]);
    expect(await seen("trainer")).toEqual(["山田 花子", "SUM(A1"]);
    expect(await seen("otherTrainer")).toEqual([]);
    expect(await seen("reviewerB")).toEqual(["Court Clerk Kimura"]);
    expect(await seen("admin")).toEqual(NAMES);
    // Neither a group id nor an agency id typed into the address widens the scope.
    const widened = await (await as("reviewerB")).get(`/agency/matrix?agency=${agencyA}&group=${unit1}`);
    expect(widened.status).toBe(200);
    expect(namesIn(await widened.text())).toEqual([]);
    expect(namesIn(await (await (await as("trainer")).get(`/agency/matrix?group=${unit2}`)).text())).toEqual([]);
    // The downloads hold the same rows.
    expect(new Set(await csvNames("trainer"))).toEqual(new Set(["山田 花子", `'${FORMULA}`]));
    expect(await csvNames("otherTrainer")).toEqual([]);
    expect(await csvNames("reviewerB")).toEqual(["Court Clerk Kimura"]);
    expect(new Set(await csvNames("reviewer", `?group=${unit2}`))).toEqual(new Set(["Night Officer Abe"]));
    expect(await csvNames("admin")).toHaveLength(4);
  });

  it("is a data table with a caption and header cells, each cell in words and linked to the person's records", async () => {
    const html = await (await (await as("reviewer")).get(`/agency/matrix?group=${unit1}`)).text();
    expect(html).toMatch(
      /<caption[^>]*>People \(rows\) and the courses and modules required of them \(columns\)<\/caption>/,
    );
    expect(html).toContain('<th scope="col">Sample module</th>');
    const link = `<a [^>]*href="/agency/people/${people.hanako!.id}"[^>]*>`;
    expect(html).toMatch(new RegExp(`<th scope="row">${link}山田 花子</a>`));
    expect(html).toMatch(new RegExp(`<td class="matrix-cell matrix-current">${link}Current until `));
    expect(html).toMatch(/Not started, due /);
    // The counts: one current and one not started in the module's row, two people in all.
    expect(html).toContain("How many of the 2 people matching the filters stand where");
    await server.database.db.updateTable("users").set({ locale: "ja" }).where("id", "=", people.reviewer!.id).execute();
    const inJapanese = await (await (await as("reviewer")).get(`/agency/matrix?group=${unit1}`)).text();
    await server.database.db.updateTable("users").set({ locale: "en" }).where("id", "=", people.reviewer!.id).execute();
    expect(inJapanese).toContain("研修マトリクス");
    expect(inJapanese).toMatch(/有効（[^）]+まで）/);
    expect(inJapanese).toContain("未着手（期限 ");
  });

  it("refuses a malformed filter with a 400 page that changes nothing", async () => {
    const reviewer = await as("reviewer");
    const exportsBefore = await server.database.db
      .selectFrom("audit_events")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("action", "like", "matrix.%")
      .executeTakeFirstOrThrow();
    for (const bad of [
      "status=lost",
      "status=not_required",
      "window=0",
      "window=366",
      "window=ten",
      "course=sample-course",
      "course=quiz:x",
      "group=not-a-uuid",
      "profession=wizard",
      "after=nope",
      "q=a&q=b",
      `q=${"x".repeat(101)}`,
    ]) {
      for (const path of ["/agency/matrix", "/agency/matrix/export"]) {
        const r = await reviewer.get(`${path}?${bad}`);
        expect(r.status, `${path}?${bad}`).toBe(400);
        expect(namesIn(await r.text()), bad).toEqual([]);
      }
    }
    const exportsAfter = await server.database.db
      .selectFrom("audit_events")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("action", "like", "matrix.%")
      .executeTakeFirstOrThrow();
    expect(Number(exportsAfter.n)).toBe(Number(exportsBefore.n));
  });

  it("exports CSV a spreadsheet reads: BOM, headers, a Japanese name, a formula neutralised; the filter and row count audited", async () => {
    const r = await (
      await as("reviewer")
    ).get(`/agency/matrix/export?group=${unit1}&status=current&after=${people.abe!.id}`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/csv; charset=utf-8/);
    expect(r.headers.get("content-disposition")).toMatch(/^attachment; filename="mamoru-matrix-\d{8}T\d{6}Z\.csv"$/);
    const bytes = new Uint8Array(await r.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const [header, ...rows] = parse(new TextDecoder().decode(bytes), { bom: true }) as string[][];
    expect(header).toEqual([
      "Name",
      "E-mail address",
      "Agency",
      "Sample module: status",
      "Sample module: due",
      "Sample module: valid until",
    ]);
    expect(rows).toEqual([["山田 花子", people.hanako!.email, "Hokkaido Police", "Current", "", expect.any(String)]]);
    expect(rows[0]![5]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const all = parse(await (await (await as("reviewer")).get(`/agency/matrix/export?group=${unit1}`)).text(), {
      bom: true,
    }) as string[][];
    expect(all.slice(1).map((row) => [row[0], row[3], row[4]])).toEqual(
      expect.arrayContaining([[`'${FORMULA}`, "Not started", expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/)]]),
    );
    const events = await server.database.db
      .selectFrom("audit_events")
      .select(["action", "agency_id", "details", "subject_id"])
      .where("action", "in", ["matrix.export_started", "matrix.exported"])
      .where("actor_id", "=", people.reviewer!.id)
      .orderBy("at")
      .execute();
    // The filtered export, the first of the two above: its start and its end share a subject.
    const filtered = events.filter((e) => "status" in (e.details as { filter: object }).filter);
    expect(filtered.map((e) => e.action)).toEqual(["matrix.export_started", "matrix.exported"]);
    expect(filtered[0]!.subject_id).toBe(filtered[1]!.subject_id);
    expect(filtered[1]).toMatchObject({
      agency_id: agencyA,
      details: { format: "csv", filter: { group: unit1, status: "current" }, rows: 1, complete: true },
    });
  });
});

// The reviewer's pages over HTTP, as each kind of reader: nobody signed in, a trainee, a trainer of
// another group, another agency's reviewer, the agency's reviewer and an admin. A refusal is a
// 403 or 404 page in the reader's language and carries none of the data; a trainer sees their
// groups' people only. The CSV is parsed as a spreadsheet would read it, and a record changed
// behind the trigger's back shows up in the agency's check and on the person's page.
import { parse } from "csv-parse/sync";
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { startAttempt, submitAttempt } from "../../app/server/learning/attempts.server";
import { engine } from "../support/db";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { startTestServer, type TestClient, type TestServer } from "../support/http";
import { answerAll, enrol, readyForFinal, syncSample } from "../support/learning";

let server: TestServer;
const people: Record<string, MadeUser> = {};
let agencyA: string;
let agencyB: string;
const FORMULA = '=HYPERLINK("http://evil.example","x")';

async function complete(userId: string, mv: string) {
  const db = server.database.db;
  await enrol(db, userId, "sample-course");
  await readyForFinal(db, userId, mv);
  const attempt = await startAttempt(db, { userId, moduleVersionId: mv, stage: "final" });
  await answerAll(db, userId, attempt, true);
  await submitAttempt(db, userId, attempt);
}

beforeAll(async () => {
  server = await startTestServer();
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  const db = server.database.db;
  agencyA = (await makeAgency(db, "Hokkaido Police")).id;
  agencyB = (await makeAgency(db, "Sapporo Family Court", "court")).id;
  const group = async (name: string, agencyId: string) =>
    (
      await db
        .insertInto("groups")
        .values({ agency_id: agencyId, name, kind: "unit" })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
  const unit1 = await group("Unit One", agencyA);
  const unit2 = await group("Unit Two", agencyA);
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
  await make("formula", agencyA, ["trainee"], FORMULA, unit2);
  await make("court", agencyB, ["trainee"], "Court Clerk Kimura");
  await make("trainee", agencyA, ["trainee"], "Plain Trainee");
  await make("trainer", agencyA, ["trainer"], "Trainer of Unit One");
  await make("reviewer", agencyA, ["reviewer"], "Reviewer A");
  await make("reviewerB", agencyB, ["reviewer"], "Reviewer B");
  await make("admin", agencyA, ["admin"], "Admin");
  await db.insertInto("group_trainers").values({ group_id: unit1, user_id: people.trainer!.id }).execute();
  const mv = (await syncSample(db)).id;
  for (const key of ["hanako", "formula", "court"]) await complete(people[key]!.id, mv);
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

const NAMES = ["山田 花子", "HYPERLINK", "Court Clerk Kimura"];
const namesIn = (text: string) => NAMES.filter((n) => text.includes(n));

describe(`the reviewer's pages, reader by reader (${engine})`, () => {
  it("send nobody signed in to sign in, and refuse trainees with a 403 page in their language that shows no one", async () => {
    const routes = [
      "/agency/records",
      "/agency/records/export?format=csv",
      "/agency/records/export?format=xapi",
      `/agency/people/${people.hanako!.id}`,
      "/agency/integrity",
      "/agency/audit",
      "/agency/audit/export",
    ];
    const anonymous = await as("anonymous");
    const trainee = await as("trainee");
    for (const route of routes) {
      const r = await anonymous.get(route);
      expect(r.status, route).toBe(302);
      expect(r.headers.get("location"), route).toMatch(/^\/sign-in\?next=/);
      const refused = await trainee.get(route);
      expect(refused.status, route).toBe(403);
      const html = await refused.text();
      expect(html, route).toContain("You do not have access to this page");
      expect(namesIn(html), route).toEqual([]);
    }
    const ja = await trainee.get("/agency/records/export?format=csv", { "accept-language": "ja" });
    expect(ja.status).toBe(403);
    // The person's language setting is English in the fixtures; the cookie-less Japanese
    // browser still gets the person's own.
    expect(await ja.text()).toContain("You do not have access");
    expect((await trainee.post("/agency/integrity", { agency: agencyA })).status).toBe(403);
  });

  it("list the records of everyone in the scope: the agency for its reviewer, every agency for an admin, a trainer's groups only", async () => {
    const seen = async (key: string) => namesIn(await (await (await as(key)).get("/agency/records")).text());
    expect(await seen("reviewer")).toEqual(["山田 花子", "HYPERLINK"]);
    expect(await seen("reviewerB")).toEqual(["Court Clerk Kimura"]);
    expect(await seen("admin")).toEqual(NAMES);
    expect(await seen("trainer")).toEqual(["山田 花子"]);
    // A reviewer cannot widen the list to another agency by typing its id.
    const widened = await (await as("reviewerB")).get(`/agency/records?agency=${agencyA}`);
    expect(widened.status).toBe(200);
    expect(namesIn(await widened.text())).toEqual(["Court Clerk Kimura"]);
  });

  it("filter the list, and refuse a malformed filter with a 400 page", async () => {
    const reviewer = await as("reviewer");
    const text = async (q: string) => namesIn(await (await reviewer.get(`/agency/records?${q}`)).text());
    expect(await text("q=%E5%B1%B1%E7%94%B0")).toEqual(["山田 花子"]); // 山田
    expect(await text("status=expired")).toEqual([]);
    expect(await text("status=current&kind=course&course=sample-course")).toEqual(["山田 花子", "HYPERLINK"]);
    expect(await text(`from=2000-01-01&to=2000-12-31`)).toEqual([]);
    for (const bad of ["status=lost", "from=2026-02-30", "group=not-a-uuid", "after=-1", "q=a&q=b"]) {
      const r = await reviewer.get(`/agency/records?${bad}`);
      expect(r.status, bad).toBe(400);
    }
    expect((await reviewer.get("/agency/records/export?format=pdf")).status).toBe(400);
  });

  it("open a person's records for those who may see them, and 404 for everyone else, an unknown id included", async () => {
    const path = `/agency/people/${people.formula!.id}`;
    for (const key of ["trainer", "reviewerB"]) {
      const r = await (await as(key)).get(path);
      expect(r.status, key).toBe(404);
      expect(namesIn(await r.text()), key).toEqual([]);
    }
    expect((await (await as("reviewer")).get("/agency/people/00000000-0000-4000-8000-000000000000")).status).toBe(404);
    expect((await (await as("reviewer")).get("/agency/people/nope")).status).toBe(404);
    for (const key of ["reviewer", "admin"]) {
      const r = await (await as(key)).get(path);
      expect(r.status, key).toBe(200);
      const html = await r.text();
      expect(html).toContain("HYPERLINK");
      expect(html).toMatch(/v1/); // the exact module version
      expect(html).toMatch(/href="\/verify\/[0-9A-Z]{4}(-[0-9A-Z]{4}){6}"/);
      expect(html).toContain("Checks out");
    }
    // Someone else opening a person's records is audited (written after the response).
    await server.app.tasks.settled();
    const views = await server.database.db
      .selectFrom("audit_events")
      .select(["actor_id", "agency_id"])
      .where("action", "=", "records.viewed")
      .where("subject_id", "=", people.formula!.id)
      .execute();
    expect(views).toEqual([
      { actor_id: people.reviewer!.id, agency_id: agencyA },
      { actor_id: people.admin!.id, agency_id: agencyA },
    ]);
  });

  it("export the list as CSV a spreadsheet reads: BOM, the reader's headers, a Japanese name, formulas neutralised, audited", async () => {
    const reviewer = await as("reviewer");
    const r = await reviewer.get("/agency/records/export?format=csv&kind=module");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^text\/csv; charset=utf-8/);
    expect(r.headers.get("content-disposition")).toMatch(/^attachment; filename="mamoru-records-\d{8}T\d{6}Z\.csv"$/);
    const bytes = new Uint8Array(await r.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes);
    expect(text).toContain("\r\n");
    const rows: string[][] = parse(text, { bom: true });
    expect(rows[0]!.slice(0, 4)).toEqual(["Record ID", "Kind", "Name", "E-mail address"]);
    const names = rows.slice(1).map((row) => row[2]);
    expect(names.sort()).toEqual([`'${FORMULA}`, "山田 花子"].sort());
    const completed = rows[1]![11]!;
    expect(completed).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    // Japanese headers for a Japanese reader.
    await server.database.db.updateTable("users").set({ locale: "ja" }).where("id", "=", people.reviewer!.id).execute();
    const ja = await (await reviewer.get("/agency/records/export?format=csv")).text();
    expect((parse(ja, { bom: true }) as string[][])[0]!.slice(0, 3)).toEqual(["記録ID", "種類", "氏名"]);
    await server.database.db.updateTable("users").set({ locale: "en" }).where("id", "=", people.reviewer!.id).execute();
    // Who, when, what filter, how many rows.
    const events = await server.database.db
      .selectFrom("audit_events")
      .select(["action", "actor_id", "agency_id", "details", "subject_id"])
      .where("action", "in", ["records.export_started", "records.exported"])
      .where("actor_id", "=", people.reviewer!.id)
      .orderBy("at")
      .execute();
    expect(events.slice(0, 2).map((e) => e.action)).toEqual(["records.export_started", "records.exported"]);
    expect(events[0]!.subject_id).toBe(events[1]!.subject_id);
    expect(events[1]).toMatchObject({
      agency_id: agencyA,
      details: { format: "csv", filter: { kind: "module" }, rows: 2, complete: true },
    });
  });

  it("give a trainer's export their groups' rows only, and another agency's reviewer their own", async () => {
    const csv = async (key: string) =>
      (
        parse(await (await (await as(key)).get("/agency/records/export?format=csv")).text(), {
          bom: true,
        }) as string[][]
      )
        .slice(1)
        .map((row) => row[2]);
    expect(new Set(await csv("trainer"))).toEqual(new Set(["山田 花子"]));
    expect(new Set(await csv("reviewerB"))).toEqual(new Set(["Court Clerk Kimura"]));
  });

  it("export xAPI 1.0.3 statements with the spec's required properties, ids under PUBLIC_URL", async () => {
    const r = await (await as("reviewer")).get("/agency/records/export?format=xapi");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const statements = (await r.text())
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, any>);
    // Per person: a module record, a course record, a pre-test and a final attempt.
    expect(statements).toHaveLength(8);
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const s of statements) {
      expect(s.id).toMatch(uuid);
      expect(s.actor.objectType).toBe("Agent");
      expect(s.actor.account).toEqual({ homePage: server.url, name: expect.stringMatching(uuid) });
      expect(s.actor.mbox).toBeUndefined(); // no e-mail address leaves
      expect(s.verb.id).toMatch(/^http:\/\/adlnet\.gov\/expapi\/verbs\/(completed|passed|failed)$/);
      expect(Object.keys(s.verb.display)).toEqual(["en-US", "ja-JP"]);
      expect(s.object.objectType).toBe("Activity");
      expect(s.object.id.startsWith(`${server.url}/`)).toBe(true);
      expect(new Date(s.timestamp).toISOString()).toBe(s.timestamp);
      if (s.result?.score) {
        expect(s.result.score.scaled).toBeGreaterThanOrEqual(0);
        expect(s.result.score.scaled).toBeLessThanOrEqual(1);
        expect(s.result.score.raw).toBe(Math.round(s.result.score.scaled * 100));
      }
    }
    const verbs = statements.map((s) => s.verb.id.split("/").pop()).sort();
    expect(verbs).toEqual([
      "completed",
      "completed",
      "completed",
      "completed",
      "completed",
      "completed",
      "passed",
      "passed",
    ]);
    const final = statements.find((s) => s.verb.id.endsWith("passed"))!;
    expect(final.object.id).toBe(`${server.url}/modules/sample-module/final`);
    expect(final.result).toMatchObject({
      success: true,
      completion: true,
      duration: expect.stringMatching(/^PT[\d.]+S$/),
    });
    expect(final.context.contextActivities.parent[0].id).toBe(`${server.url}/modules/sample-module`);
  });

  it("show the audit trail of the reader's agency to its reviewer, all of it to an admin, to no trainer", async () => {
    expect((await (await as("trainer")).get("/agency/audit")).status).toBe(403);
    expect((await (await as("trainer")).get("/agency/audit/export")).status).toBe(403);
    expect((await (await as("trainer")).get("/agency/integrity")).status).toBe(403);
    const reviewerB = await (await (await as("reviewerB")).get("/agency/audit?action=auth.signed_in")).text();
    expect(reviewerB).toContain("Reviewer B");
    expect(reviewerB).not.toContain("Reviewer A");
    const reviewer = await (await (await as("reviewer")).get("/agency/audit?action=records.viewed")).text();
    expect(reviewer).toContain("HYPERLINK"); // the person whose records were viewed
    expect(reviewer).not.toContain("Reviewer B");
    const admin = await (await (await as("admin")).get("/agency/audit?action=auth.signed_in")).text();
    expect(admin).toContain("Reviewer B");
    expect(admin).toContain("Reviewer A");
    const csv = parse(await (await (await as("reviewerB")).get("/agency/audit/export")).text(), {
      bom: true,
    }) as string[][];
    expect(csv[0]![0]).toBe("Time");
    expect(csv.slice(1).every((row) => !row.join(",").includes("Reviewer A"))).toBe(true);
    expect(csv.slice(1).some((row) => row[1] === "auth.signed_in")).toBe(true);
  });

  it("page the audit trail by keyset: the next page starts after the last event, none repeated", async () => {
    const admin = await as("admin");
    const db = server.database.db;
    // 60 events in one transaction share one now(): only the id orders them.
    await db
      .insertInto("audit_events")
      .values(
        Array.from({ length: 60 }, (_, i) => ({
          actor_id: people.admin!.id,
          agency_id: agencyA,
          action: "test.paging",
          subject_type: "test",
          subject_id: String(i),
          details: "{}",
        })),
      )
      .execute();
    const first = await (await admin.get("/agency/audit?action=test.paging")).text();
    const next = first.match(/href="\/agency\/audit\?action=test\.paging&amp;after=([0-9a-f-]{36})"/)?.[1];
    expect(next).toBeDefined();
    const second = await (await admin.get(`/agency/audit?action=test.paging&after=${next}`)).text();
    const ids = (html: string) => [...html.matchAll(/test (\d+)<\/td>/g)].map((m) => Number(m[1]));
    expect(ids(first)).toHaveLength(50);
    expect(ids(second)).toHaveLength(10);
    expect(new Set([...ids(first), ...ids(second)]).size).toBe(60);
  });

  it("let a reviewer check their own agency's records, not another's; the run is audited and shown", async () => {
    const reviewerB = await as("reviewerB");
    const refused = await reviewerB.post("/agency/integrity", { agency: agencyA });
    expect(refused.status).toBe(403);
    const reviewer = await as("reviewer");
    expect((await reviewer.get("/agency/integrity")).status).toBe(200);
    expect(await (await reviewer.get("/agency/integrity")).text()).toContain("No check has been run");
    const ran = await reviewer.post("/agency/integrity", { agency: agencyA });
    expect(ran.status).toBe(200);
    const page = await (await reviewer.get("/agency/integrity")).text();
    expect(page).toMatch(/by Reviewer A: all 4 records check out/);
    const checks = await server.database.db
      .selectFrom("audit_events")
      .select(["actor_id", "agency_id", "details"])
      .where("action", "=", "records.agency_checked")
      .execute();
    expect(checks).toEqual([{ actor_id: people.reviewer!.id, agency_id: agencyA, details: { checked: 4 } }]);
    // An admin checks any agency.
    expect((await (await as("admin")).post("/agency/integrity", { agency: agencyB })).status).toBe(200);
    expect((await (await as("admin")).get(`/agency/integrity?agency=${agencyB}`)).status).toBe(200);
  });

  it("find a record changed in the database behind the trigger's back, in the agency's check and on the person's page", async () => {
    const db = server.database.db;
    const target = await db
      .selectFrom("completion_records")
      .select(["id", "seq"])
      .where("user_id", "=", people.hanako!.id)
      .where("kind", "=", "module")
      .executeTakeFirstOrThrow();
    await sql`alter table completion_records disable trigger completion_records_append_only`.execute(db);
    await db.updateTable("completion_records").set({ score: 42 }).where("id", "=", target.id).execute();
    await sql`alter table completion_records enable trigger completion_records_append_only`.execute(db);
    const reviewer = await as("reviewer");
    await reviewer.post("/agency/integrity", { agency: agencyA });
    const page = await (await reviewer.get("/agency/integrity")).text();
    expect(page).toContain(`record #${target.seq} (${target.id}) does not check out: its content was changed`);
    const person = await (await reviewer.get(`/agency/people/${people.hanako!.id}`)).text();
    expect(person).toContain("Does not check out: its content was changed");
    // The other agency's records keep their place: only the changed one is reported.
    await (await as("reviewerB")).post("/agency/integrity", { agency: agencyB });
    expect(await (await (await as("reviewerB")).get("/agency/integrity")).text()).toMatch(/all 2 records check out/);
  });
});

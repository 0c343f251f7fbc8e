// Taking a module over HTTP, as forms post it: tampered and replayed submissions, another
// trainee's attempt, and the admin's verification of the completion records.
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { en } from "../../app/i18n/en";
import { ja } from "../../app/i18n/ja";
import { loadQuestions, nextStep, startAttempt } from "../../app/server/learning/attempts.server";
import { nextStep as homeStep } from "../../app/server/learning/next-step.server";
import { engine } from "../support/db";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { startTestServer, type TestServer, type TestClient } from "../support/http";
import { answerAll, enrol, readyForFinal, syncSample } from "../support/learning";

let server: TestServer;
let trainee: MadeUser;
let other: MadeUser;
let admin: MadeUser;
let mv: string;
let agencyId: string;

beforeAll(async () => {
  server = await startTestServer();
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  const db = server.database.db;
  const agency = await makeAgency(db);
  agencyId = agency.id;
  trainee = await makeUser(db, { agencyId: agency.id });
  other = await makeUser(db, { agencyId: agency.id });
  admin = await makeUser(db, { agencyId: agency.id, roles: ["admin"] });
  mv = (await syncSample(db)).id;
  await enrol(db, trainee.id, "sample-course");
});

async function client(user: MadeUser): Promise<TestClient> {
  const c = server.client();
  expect((await c.signIn(user.email, PASSWORD)).status).toBe(302);
  return c;
}

const attemptRows = (id: string) =>
  server.database.db
    .selectFrom("quiz_attempts")
    .select(["answers", "submitted_at"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();

describe(`lesson pages over HTTP (${engine})`, () => {
  it("tell someone not enrolled yet where to start, without saying their courses are complete", async () => {
    const db = server.database.db;
    const newcomer = await makeUser(db, { agencyId });
    const step = await homeStep(db, { profession: "police", courses: [], last: null, certificates: [] });
    expect(step).toMatchObject({ coursesDone: false });
    const c = await client(newcomer);
    for (const [locale, t] of [
      ["en", en],
      ["ja", ja],
    ] as const) {
      // A signed-in person reads in their own setting.
      await db.updateTable("users").set({ locale }).where("id", "=", newcomer.id).execute();
      const home = await (await c.get("/")).text();
      const hints = step.kind === "professionCourse" ? t.next.professionHint : t.next.catalogueHint;
      expect(home).toContain(hints);
      expect(home).not.toContain(t.next.professionHintDone);
      expect(home).not.toContain(t.next.catalogueHintDone);
    }
    // Someone whose every enrolled course is done is told so.
    const done = {
      slug: "sample-course",
      title: { en: "Sample", ja: "サンプル" },
      modules: [],
      done: 1,
      percent: 100,
      next: null,
    };
    expect(await homeStep(db, { profession: "police", courses: [done], last: null, certificates: [] })).toMatchObject({
      coursesDone: true,
    });
  });

  it("come after the pre-test, in the reader's language, with the sources they cite and links that lead somewhere", async () => {
    const db = server.database.db;
    const reader = await makeUser(db, { agencyId });
    await enrol(db, reader.id, "sample-course");
    const c = await client(reader);
    const first = "/learn/sample-module/lessons/01-first";
    const before = await c.get(first);
    expect(before.status).toBe(302);
    expect(before.headers.get("location")).toBe("/learn/sample-module");

    await readyForFinal(db, reader.id, mv);
    const page = await c.get(first);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("word0110");
    expect(html).toContain('id="source-report"');
    expect(html).not.toContain('id="source-crc"');
    const links = [...html.matchAll(/href="(\/learn\/sample-module\/lessons\/[^"]+)"/g)].map((m) => m[1]!);
    expect(links).toContain("/learn/sample-module/lessons/02-second");
    for (const link of new Set(links)) expect((await c.get(link)).status, link).toBe(200);

    // The reader switches to Japanese.
    expect((await c.post("/locale", { locale: "ja" })).status).toBe(302);
    const japanese = await (await c.get(first)).text();
    expect(japanese).toContain("本文です。");
    expect(japanese).not.toContain("word0110");

    expect((await c.get("/learn/sample-module/lessons/09-none")).status).toBe(404);
    expect((await c.get("/learn/no-such-module/lessons/01-first")).status).toBe(404);
    expect((await c.get("/learn/sample-module/lessons/..%2F..%2Fetc")).status).toBe(404);
  });
});

describe(`quiz submissions over HTTP (${engine})`, () => {
  it("lead back up to the course, without repeating the module's title; the admin lists modules by title", async () => {
    const c = await client(trainee);
    const html = await (await c.get("/learn/sample-module")).text();
    const crumbs = /<ol class="breadcrumb">([\s\S]*?)<\/ol>/.exec(html)![1]!;
    expect(crumbs).toContain('href="/courses"');
    expect(crumbs).toContain('href="/courses/sample-course"');
    expect(crumbs).toContain("Sample course");
    expect(crumbs).not.toContain("Sample module");
    const a = await client(admin);
    const overview = await (await a.get("/admin")).text();
    expect(overview).toMatch(/<a[^>]*href="\/modules\/sample-module"[^>]*><span>Sample module<\/span><\/a>/);
  });

  it("keep answers out of an open attempt's page, and refuse tampered answers without recording them", async () => {
    const db = server.database.db;
    await readyForFinal(db, trainee.id, mv);
    const id = await startAttempt(db, { userId: trainee.id, moduleVersionId: mv, stage: "final" });
    const c = await client(trainee);
    const page = await (await c.get(`/attempts/${id}`)).text();
    expect(page).not.toMatch(/Because [abc]|"correct"|misconception/);
    const { attempt } = await nextStep(db, trainee.id, id);
    const served = attempt.served[0]!;
    const notServed = [...(await loadQuestions(db, mv, "final")).keys()].find(
      (q) => !attempt.served.some((s) => s.id === q),
    )!;

    const posts: Record<string, string>[] = [
      { intent: "answer", questionId: notServed, part: "choice", choice: "a" },
      { intent: "answer", questionId: served.id, part: "choice", choice: "zz" },
      { intent: "answer", questionId: served.id, part: "choice", choice: "<script>" },
      { intent: "answer", questionId: served.id, part: "followUp", choice: served.options[0]! },
      { intent: "answer", questionId: "../../etc", part: "choice", choice: "a" },
      { intent: "answer", questionId: served.id, part: "both", choice: "a" },
      { intent: "grade-myself", score: "100" },
    ];
    for (const body of posts) {
      const res = await c.post(`/attempts/${id}`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await attemptRows(id)).answers).toEqual({});

    // Nothing ticked: the page says so beside the question, in the reader's language, and the
    // form does not leave it to the browser (no `required`, noValidate) so it works without JavaScript.
    for (const [language, text] of [
      ["en", en.errors.quiz.noChoice],
      ["ja", ja.errors.quiz.noChoice],
    ] as const) {
      await server.database.db.updateTable("users").set({ locale: language }).where("id", "=", trainee.id).execute();
      const empty = await c.post(`/attempts/${id}`, { intent: "answer", questionId: served.id, part: "choice" });
      expect(empty.status).toBe(400);
      const html = await empty.text();
      expect(html).toContain(`<p class="field-error" id="choice-error">${text}</p>`);
      expect(html).toMatch(/<fieldset id="choice"[^>]*aria-describedby="choice-error"/);
      expect(html).toContain('<a href="#choice">');
      expect(html).not.toMatch(/<input[^>]*required/);
    }
    await server.database.db.updateTable("users").set({ locale: "en" }).where("id", "=", trainee.id).execute();
    expect((await attemptRows(id)).answers).toEqual({});

    // Another trainee's attempt does not exist for them.
    const intruder = await client(other);
    expect((await intruder.get(`/attempts/${id}`)).status).toBe(404);
    expect(
      (
        await intruder.post(`/attempts/${id}`, {
          intent: "answer",
          questionId: served.id,
          part: "choice",
          choice: served.options[0]!,
        })
      ).status,
    ).toBe(404);
    expect((await intruder.post(`/attempts/${id}`, { intent: "submit" })).status).toBe(404);
    expect((await intruder.get(`/attempts/${id}/result`)).status).toBe(404);
    expect((await c.get(`/attempts/not-an-id`)).status).toBe(404);
    expect((await attemptRows(id)).answers).toEqual({});
  });

  it("record a submission sent 20 times at once exactly once, and show every sender the same result", async () => {
    const db = server.database.db;
    const id = (
      await db
        .selectFrom("quiz_attempts")
        .select("id")
        .where("user_id", "=", trainee.id)
        .where("stage", "=", "final")
        .where("submitted_at", "is", null)
        .executeTakeFirstOrThrow()
    ).id;
    await answerAll(db, trainee.id, id, true);
    const c = await client(trainee);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => c.post(`/attempts/${id}`, { intent: "submit" })),
    );
    expect(new Set(responses.map((r) => `${r.status} ${r.headers.get("location")}`))).toEqual(
      new Set([`302 /attempts/${id}/result`]),
    );
    const records = await db
      .selectFrom("completion_records")
      .select(["kind"])
      .where("user_id", "=", trainee.id)
      .execute();
    expect(records.map((r) => r.kind).sort()).toEqual(["course", "module"]);
    const result = await (await c.get(`/attempts/${id}/result`)).text();
    expect(result).toContain("Score: 100%");
    // A replayed answer after submission changes nothing; the page sends the trainee to the result.
    const { attempt } = await nextStep(db, trainee.id, id);
    const replay = await c.post(`/attempts/${id}`, {
      intent: "answer",
      questionId: attempt.served[0]!.id,
      part: "choice",
      choice: attempt.served[0]!.options[0]!,
    });
    expect(replay.status).toBe(302);
    expect(replay.headers.get("location")).toBe(`/attempts/${id}/result`);
    expect((await attemptRows(id)).answers).toEqual(attempt.answers);
  });

  it("let an admin verify the records, and show where the chain breaks", async () => {
    const trainerSide = await client(trainee);
    expect((await trainerSide.get("/admin/records")).status).toBe(403);
    const a = await client(admin);
    const ok = await (await a.post("/admin/records", {})).text();
    expect(ok).toMatch(/All 2 records match and the chain is unbroken/);
    const db = server.database.db;
    await sql`alter table completion_records disable trigger completion_records_append_only`.execute(db);
    await sql`update completion_records set expires_at = expires_at + interval '10 years' where kind = 'course'`.execute(
      db,
    );
    await sql`alter table completion_records enable trigger completion_records_append_only`.execute(db);
    const broken = await (await a.post("/admin/records", {})).text();
    expect(broken).toMatch(
      /Record #\d+ \([0-9a-f-]+\) does not match: its content was changed. The 1 record before it is intact./,
    );
    // Each check is audited with who ran it and what it found.
    const audited = await db
      .selectFrom("audit_events")
      .select(["actor_id", "details"])
      .where("action", "=", "records.verified")
      .orderBy("at")
      .execute();
    expect(audited).toEqual([
      { actor_id: admin.id, details: expect.objectContaining({ ok: true, checked: 2 }) },
      {
        actor_id: admin.id,
        details: expect.objectContaining({
          ok: false,
          checked: 1,
          firstMismatch: expect.objectContaining({ reason: "content changed" }),
        }),
      },
    ]);
    // The audit trail is checked beside them, and holds.
    expect(broken).toMatch(/All \d+ audit events match and the audit trail is unbroken/);
  });
});

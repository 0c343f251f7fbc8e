// The quiz engine's rules as a browser without JavaScript meets them: a lesson confirmed too early
// comes back with the refusal and the time left, the result page of a failed attempt keeps the key
// until a pass, and the module page says when the next attempt is possible and which lessons to
// read again. The module here has a one-hour cool-down.
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { reviewAttempt, startAttempt, submitAttempt } from "../../app/server/learning/attempts.server";
import { engine, testDatabase } from "../support/db";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { startTestServer, type TestServer } from "../support/http";
import { answerAll, enrol, readyForFinal, syncSample } from "../support/learning";

let server: TestServer;
let agencyId: string;
let mv: string;

beforeAll(async () => {
  const database = await testDatabase();
  mv = (
    await syncSample(database.db, (c) =>
      c.edit("sample-module/module.yaml", "cooldownMinutes: 0", "cooldownMinutes: 60"),
    )
  ).id;
  server = await startTestServer({}, database);
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  agencyId = (await makeAgency(database.db)).id;
});

async function signedIn() {
  const db = server.database.db;
  const user = await makeUser(db, { agencyId });
  await enrol(db, user.id, "sample-course");
  const client = server.client();
  expect((await client.signIn(user.email, PASSWORD)).status).toBe(302);
  return { user, client, db };
}

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);

async function failedAttempt(user: MadeUser, now: Date) {
  const db = server.database.db;
  const id = await startAttempt(db, { userId: user.id, moduleVersionId: mv, stage: "final", now });
  await answerAll(db, user.id, id, false);
  await submitAttempt(db, user.id, id, now);
  return id;
}

describe(`lesson pages and the minimum reading time over HTTP (${engine})`, () => {
  it("refuse a confirmation sent too early, with the time left, in the reader's language, and record nothing", async () => {
    const { user, client, db } = await signedIn();
    const pretest = await startAttempt(db, { userId: user.id, moduleVersionId: mv, stage: "pretest" });
    await answerAll(db, user.id, pretest, false);
    await submitAttempt(db, user.id, pretest);
    const reads = () =>
      db
        .selectFrom("lesson_reads")
        .select(["lesson_id", "served_at", "confirmed_at"])
        .where("user_id", "=", user.id)
        .orderBy("served_at")
        .execute();
    const progress = () =>
      db.selectFrom("lesson_progress").select("lesson_id").where("user_id", "=", user.id).execute();

    const first = "/learn/sample-module/lessons/01-first";
    const page = await client.get(first);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("I have read this lesson");
    expect(await reads()).toMatchObject([{ lesson_id: "01-first", confirmed_at: null }]);

    const early = await client.post(first, {});
    expect(early.status).toBe(409);
    const html = await early.text();
    expect(html).toMatch(
      /role="alert"[^>]*>This lesson takes at least 1 min \d+ s to read, and you opened it \d+ s ago\. You can confirm it in 1 min \d+ s/,
    );
    expect(html).toContain("I have read this lesson");
    expect(await progress()).toEqual([]);
    expect(await reads()).toMatchObject([{ lesson_id: "01-first", confirmed_at: null }]);

    // Time passes (an open reading may be moved back; a confirmed one never changes).
    await sql`update lesson_reads set served_at = served_at - interval '1 hour' where user_id = ${user.id}`.execute(db);
    const done = await client.post(first, {});
    expect(done.status).toBe(302);
    expect(done.headers.get("location")).toBe("/learn/sample-module/lessons/02-second");
    expect(await progress()).toEqual([{ lesson_id: "01-first" }]);

    // The second lesson's content note comes first: its text, and its clock, come after it.
    expect((await client.post("/locale", { locale: "ja" })).status).toBe(302);
    const second = "/learn/sample-module/lessons/02-second";
    expect(await (await client.get(second)).text()).toContain("お読みになる前に");
    expect((await reads()).map((r) => r.lesson_id)).toEqual(["01-first"]);
    expect(await (await client.get(`${second}?continue=1`)).text()).toContain("このレッスンを読み終えました");
    expect((await reads()).map((r) => r.lesson_id)).toEqual(["01-first", "02-second"]);
    const refused = await client.post(`${second}?continue=1`, {});
    expect(refused.status).toBe(409);
    expect(await refused.text()).toMatch(
      /このレッスンを読むには少なくとも\d+秒かかります。開いてから\d+秒です。あと\d+秒で確認できます。/,
    );
    expect(await progress()).toEqual([{ lesson_id: "01-first" }]);
  });
});

describe(`results and the module page after a failure over HTTP (${engine})`, () => {
  it("keep the key of a failed attempt until a pass, and say when the next attempt is possible", async () => {
    const { user, client, db } = await signedIn();
    await readyForFinal(db, user.id, mv);
    const failed = await failedAttempt(user, new Date());
    const chosen = (await reviewAttempt(db, user.id, failed)).items.flatMap((i) =>
      [...i.options, ...(i.followUp?.options ?? [])].filter((o) => o.chosen),
    );

    const result = await (await client.get(`/attempts/${failed}/result`)).text();
    expect(result).toContain("Not passed this time.");
    expect(result).toContain("The correct answers are shown once you pass.");
    expect(result).not.toContain(">correct answer<");
    expect(result).not.toContain("is-correct");
    // Feedback on each of the trainee's (wrong) choices, and on nothing else.
    expect(result.match(/class="feedback"/g)).toHaveLength(chosen.length);
    expect(result).toMatch(/Taught in the lesson:.*href="\/learn\/sample-module\/lessons\/0[12]-/);

    // The module page says from when the next attempt is possible, and starting is refused with the same.
    const modulePage = await (await client.get("/learn/sample-module")).text();
    expect(modulePage).toMatch(/You can try the final quiz again from \d+ \w+ \d{4}, \d\d:\d\d\./);
    expect(modulePage).not.toContain("Start the final quiz");
    const start = await client.post("/learn/sample-module", { stage: "final" });
    expect(start.status).toBe(409);
    expect(await start.text()).toMatch(/role="alert"[^>]*>You can try the final quiz again from/);

    // An hour later (the server function's clock) the trainee passes; the key is then shown.
    const later = new Date(Date.now() + 61 * 60_000);
    const passing = await startAttempt(db, { userId: user.id, moduleVersionId: mv, stage: "final", now: later });
    await answerAll(db, user.id, passing, true);
    expect(await submitAttempt(db, user.id, passing, later)).toMatchObject({ passed: true });
    const after = await (await client.get(`/attempts/${failed}/result`)).text();
    expect(after).toContain(">correct answer<");
    expect(after).not.toContain("The correct answers are shown once you pass.");
  });

  it("list the lessons to read again after the second failure, in both languages", async () => {
    const { user, client, db } = await signedIn();
    await readyForFinal(db, user.id, mv, hoursAgo(5));
    await failedAttempt(user, hoursAgo(4));
    await failedAttempt(user, hoursAgo(2));
    const page = await (await client.get("/learn/sample-module")).text();
    expect(page).toContain("Read again before your next attempt");
    expect(page).toContain('href="/learn/sample-module/lessons/01-first"');
    expect(page).toContain("Read again the lessons listed above; then you can start your next attempt.");
    expect(page).not.toContain("Start the final quiz");
    // Starting anyway is refused with the same reason.
    const start = await client.post("/learn/sample-module", { stage: "final" });
    expect(start.status).toBe(409);
    expect(await start.text()).toContain("Before your next attempt, read again the lessons listed on the module page");
    // The lesson page asks for the reading again.
    expect(await (await client.get("/learn/sample-module/lessons/01-first")).text()).toContain(
      "I have read this lesson again",
    );
    expect((await client.post("/locale", { locale: "ja" })).status).toBe(302);
    const ja = await (await client.get("/learn/sample-module")).text();
    expect(ja).toContain("次の受験の前にもう一度読むレッスン");
    expect(ja).toContain("所要時間");
    // The history is a table: the score in a cell of its own, never read as part of the time.
    expect(ja).toContain('<th scope="col">提出日時</th>');
    expect(ja).toMatch(
      /<td class="nowrap">\d{4}\/\d{2}\/\d{2} \d{1,2}:\d{2}<\/td><td class="nowrap">\d+%<\/td><td>不合格<\/td>/,
    );
    expect(ja).not.toMatch(/\d:\d+%/);
  });
});

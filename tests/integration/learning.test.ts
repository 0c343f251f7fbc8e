import { readFileSync } from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  loadQuestions,
  nextStep,
  reviewAttempt,
  saveAnswer,
  startAttempt,
  submitAttempt,
} from "../../app/server/learning/attempts.server";
import { lessonForTrainee, moduleState } from "../../app/server/learning/progress.server";
import { traineeDashboard } from "../../app/server/learning/dashboard.server";
import { verifyChain } from "../../app/server/learning/records.server";
import type { DatabaseHandle } from "../../db/connect.server";
import { engine, freshDatabase, testDatabase } from "../support/db";
import { makeAgency, makeUser, type MadeUser } from "../support/fixtures";
import { answerAll, enrol, readyForFinal, syncSample } from "../support/learning";
import { sampleCopy } from "../support/content-fixture";
import { syncContentFrom } from "../../app/server/catalog/content-sync.server";
import { createLogger } from "../../app/server/shared/log.server";

// One database for the file and two new people for each test; a test that changes the content or
// breaks the chain gets a database of its own (isolated()).
let shared: DatabaseHandle;
let database: DatabaseHandle;
let trainee: MadeUser;
let other: MadeUser;
let mv: string;

beforeAll(async () => {
  shared = await testDatabase();
  await syncSample(shared.db);
});

async function arrange(handle: DatabaseHandle) {
  database = handle;
  const agency = await makeAgency(database.db);
  trainee = await makeUser(database.db, { agencyId: agency.id });
  other = await makeUser(database.db, { agencyId: agency.id });
  mv = (await syncSample(database.db)).id;
  await enrol(database.db, trainee.id, "sample-course");
}

beforeEach(() => arrange(shared));

/** Moves the current test onto a fresh database of its own, with the same arrangement. */
async function isolated() {
  await arrange((await freshDatabase()).handle);
}

/** The trainee's completion records, in chain order. */
const records = () =>
  database.db.selectFrom("completion_records").selectAll().where("user_id", "=", trainee.id).orderBy("seq").execute();

describe(`taking a module (${engine})`, () => {
  it("goes pre-test, lessons, final quiz; the pre-test is taken once and ungraded", async () => {
    expect((await moduleState(database.db, trainee.id, mv)).step).toBe("pretest");
    await expect(
      startAttempt(database.db, { userId: trainee.id, moduleVersionId: mv, stage: "final" }),
    ).rejects.toMatchObject({ messageKey: "errors.quiz.notReady" });
    const pretest = await startAttempt(database.db, { userId: trainee.id, moduleVersionId: mv, stage: "pretest" });
    expect(await startAttempt(database.db, { userId: trainee.id, moduleVersionId: mv, stage: "pretest" })).toBe(
      pretest,
    );
    await answerAll(database.db, trainee.id, pretest, false);
    const result = await submitAttempt(database.db, trainee.id, pretest);
    expect(result).toMatchObject({ score: 0, passed: false });
    await expect(
      startAttempt(database.db, { userId: trainee.id, moduleVersionId: mv, stage: "pretest" }),
    ).rejects.toMatchObject({ messageKey: "errors.quiz.pretestTaken" });
    const state = await moduleState(database.db, trainee.id, mv);
    expect(state.step).toBe("lessons");
    expect(state.nextLesson).toBe("01-first");
    expect(state.percent).toBe(25); // 1 of 4 steps
  });

  it("serves 4 of the 12 questions, with shuffled options, and shows no answer before submission", async () => {
    await readyForFinal(database.db, trainee.id, mv);
    const id = await startAttempt(database.db, { userId: trainee.id, moduleVersionId: mv, stage: "final" });
    const { attempt, step } = await nextStep(database.db, trainee.id, id);
    expect(attempt.served).toHaveLength(4);
    expect(new Set(attempt.served.map((s) => s.id)).size).toBe(4);
    const text = JSON.stringify(step);
    expect(text).not.toMatch(/correct|feedback|misconception|Because/);
  });

  it("refuses answers naming questions or options not served, and another trainee's attempt", async () => {
    await readyForFinal(database.db, trainee.id, mv);
    const id = await startAttempt(database.db, { userId: trainee.id, moduleVersionId: mv, stage: "final" });
    const { attempt } = await nextStep(database.db, trainee.id, id);
    const servedIds = new Set(attempt.served.map((s) => s.id));
    const notServed = [...(await loadQuestions(database.db, mv, "final")).keys()].find((q) => !servedIds.has(q))!;
    const first = attempt.served[0]!;
    await expect(saveAnswer(database.db, trainee.id, id, notServed, { choice: ["a"] })).rejects.toMatchObject({
      code: "invalid",
    });
    await expect(saveAnswer(database.db, trainee.id, id, "pre-1", { choice: ["a"] })).rejects.toMatchObject({
      code: "invalid",
    });
    await expect(saveAnswer(database.db, trainee.id, id, first.id, { choice: ["zz"] })).rejects.toMatchObject({
      code: "invalid",
    });
    await expect(
      saveAnswer(database.db, other.id, id, first.id, { choice: [first.options[0]!] }),
    ).rejects.toMatchObject({ code: "not_found" });
    await expect(submitAttempt(database.db, other.id, id)).rejects.toMatchObject({ code: "not_found" });
    const after = await database.db
      .selectFrom("quiz_attempts")
      .select("answers")
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(after.answers).toEqual({});
  });

  it("refuses submitting with unanswered questions", async () => {
    await readyForFinal(database.db, trainee.id, mv);
    const id = await startAttempt(database.db, { userId: trainee.id, moduleVersionId: mv, stage: "final" });
    await expect(submitAttempt(database.db, trainee.id, id)).rejects.toMatchObject({
      messageKey: "errors.quiz.unanswered",
    });
  });

  it("a failed attempt records no completion; a passing one writes module and course records in its transaction", async () => {
    await readyForFinal(database.db, trainee.id, mv);
    const failing = await startAttempt(database.db, { userId: trainee.id, moduleVersionId: mv, stage: "final" });
    await answerAll(database.db, trainee.id, failing, false);
    expect(await submitAttempt(database.db, trainee.id, failing)).toMatchObject({ passed: false, score: 0 });
    expect(await records()).toEqual([]);

    const passing = await startAttempt(database.db, { userId: trainee.id, moduleVersionId: mv, stage: "final" });
    expect(passing).not.toBe(failing);
    await answerAll(database.db, trainee.id, passing, true);
    expect(await submitAttempt(database.db, trainee.id, passing)).toMatchObject({
      passed: true,
      score: 100,
      firstSubmission: true,
    });
    const [moduleRecord, courseRecord] = await records();
    expect(moduleRecord).toMatchObject({
      kind: "module",
      user_id: trainee.id,
      module_version_id: mv,
      attempt_id: passing,
      score: 100,
      pretest_score: 0,
    });
    const months =
      (moduleRecord!.expires_at.getTime() - moduleRecord!.completed_at.getTime()) / (30.4 * 24 * 3_600_000);
    expect(Math.round(months)).toBe(24);
    expect(courseRecord).toMatchObject({ kind: "course", course_slug: "sample-course", user_id: trainee.id });
    // 28 characters of Crockford's base 32 (140 bits), in seven groups of four.
    expect(courseRecord!.certificate_code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){6}$/);
    expect(courseRecord!.details).toMatchObject({
      modules: [{ module: "sample-module", version: 1, record: moduleRecord!.id }],
    });
    expect((await moduleState(database.db, trainee.id, mv)).step).toBe("done");
    expect((await traineeDashboard(database.db, trainee.id)).courses).toMatchObject([
      { slug: "sample-course", done: 1, percent: 100, next: null },
    ]);
  });

  it("completes a course at enrolment when its modules are already done, valid no longer than they are", async () => {
    await isolated();
    await readyForFinal(database.db, trainee.id, mv);
    const id = await startAttempt(database.db, { userId: trainee.id, moduleVersionId: mv, stage: "final" });
    await answerAll(database.db, trainee.id, id, true);
    await submitAttempt(database.db, trainee.id, id);
    // Two more courses built on the same module, one with a shorter period and one with a longer.
    const copy = sampleCopy();
    copy.write(
      "catalog.yaml",
      readFileSync(path.join(copy.dir, "catalog.yaml"), "utf8") +
        ["refresher", "long"]
          .map(
            (slug, i) =>
              `- slug: ${slug}\n  title: { en: "${slug}" }\n  summary: { en: "The same module again." }\n  professions: [police]\n  recertificationMonths: ${[12, 36][i]}\n  modules: [sample-module]\n`,
          )
          .join(""),
    );
    expect((await syncContentFrom(database.db, copy.dir, createLogger("silent"))).ok).toBe(true);

    await enrol(database.db, other.id, "refresher");
    await enrol(database.db, trainee.id, "refresher");
    await enrol(database.db, trainee.id, "long");
    const all = await records();
    expect(all.map((r) => `${r.kind}:${r.course_slug ?? ""}`)).toEqual([
      "module:",
      "course:sample-course",
      "course:refresher",
      "course:long",
    ]);
    const [moduleRecord, , refresher, long] = all;
    // The longer course is valid only as long as the module record it rests on.
    expect(long!.expires_at).toEqual(moduleRecord!.expires_at);
    expect(refresher).toMatchObject({
      user_id: trainee.id,
      details: { modules: [{ module: "sample-module", record: moduleRecord!.id }] },
    });
    const months = (refresher!.expires_at.getTime() - refresher!.completed_at.getTime()) / (30.4 * 24 * 3_600_000);
    expect(Math.round(months)).toBe(12);
    expect((await verifyChain(database.db)).ok).toBe(true);
  });

  it("records a submission once when it is sent 20 times at once", async () => {
    await readyForFinal(database.db, trainee.id, mv);
    const id = await startAttempt(database.db, { userId: trainee.id, moduleVersionId: mv, stage: "final" });
    await answerAll(database.db, trainee.id, id, true);
    const results = await Promise.all(Array.from({ length: 20 }, () => submitAttempt(database.db, trainee.id, id)));
    expect(results.filter((r) => r.firstSubmission)).toHaveLength(1);
    expect(new Set(results.map((r) => `${r.score}/${r.passed}`))).toEqual(new Set(["100/true"]));
    expect((await records()).map((r) => r.kind)).toEqual(["module", "course"]);
    expect((await verifyChain(database.db)).ok).toBe(true);
  });

  it("never changes a submitted attempt, in the database itself", async () => {
    await readyForFinal(database.db, trainee.id, mv);
    const id = await startAttempt(database.db, { userId: trainee.id, moduleVersionId: mv, stage: "final" });
    await answerAll(database.db, trainee.id, id, true);
    await submitAttempt(database.db, trainee.id, id);
    await expect(sql`update quiz_attempts set score = 0 where id = ${id}`.execute(database.db)).rejects.toThrow(
      /cannot be changed/,
    );
    await expect(sql`delete from quiz_attempts where id = ${id}`.execute(database.db)).rejects.toThrow(
      /cannot be changed/,
    );
    const q = (await nextStep(database.db, trainee.id, id)).attempt.served[0]!;
    await expect(saveAnswer(database.db, trainee.id, id, q.id, { choice: [q.options[0]!] })).rejects.toMatchObject({
      messageKey: "errors.quiz.submitted",
    });
  });

  it("reviews a past attempt exactly as served, with the lesson that teaches each question", async () => {
    await readyForFinal(database.db, trainee.id, mv);
    const id = await startAttempt(database.db, { userId: trainee.id, moduleVersionId: mv, stage: "final" });
    await answerAll(database.db, trainee.id, id, false);
    await submitAttempt(database.db, trainee.id, id);
    const { attempt, items } = await reviewAttempt(database.db, trainee.id, id);
    expect(items.map((i) => i.id)).toEqual(attempt.served.map((s) => s.id));
    expect(items.map((i) => i.options.map((o) => o.id))).toEqual(attempt.served.map((s) => s.options));
    for (const item of items) {
      expect(item.right).toBe(false);
      expect(item.lesson?.id).toMatch(/^0[12]-/);
      expect(item.options.some((o) => o.chosen)).toBe(true);
      expect(item.options.filter((o) => o.chosen).every((o) => o.feedback?.en.startsWith("Because"))).toBe(true);
    }
  });

  it("enforces a module's attempt limit and cool-down", async () => {
    const { handle, drop } = await freshDatabase();
    try {
      const agency = await makeAgency(handle.db);
      const user = await makeUser(handle.db, { agencyId: agency.id });
      const version = await syncSample(handle.db, (c) =>
        c.edit(
          "sample-module/module.yaml",
          "maxAttempts: null, cooldownMinutes: 0",
          "maxAttempts: 2, cooldownMinutes: 60",
        ),
      );
      await readyForFinal(handle.db, user.id, version.id);
      const first = await startAttempt(handle.db, { userId: user.id, moduleVersionId: version.id, stage: "final" });
      await answerAll(handle.db, user.id, first, false);
      await submitAttempt(handle.db, user.id, first);
      await expect(
        startAttempt(handle.db, { userId: user.id, moduleVersionId: version.id, stage: "final" }),
      ).rejects.toMatchObject({ messageKey: "errors.quiz.coolingDown" });
      await sql`alter table quiz_attempts disable trigger quiz_attempts_frozen`.execute(handle.db);
      await sql`update quiz_attempts set submitted_at = submitted_at - interval '2 hours'`.execute(handle.db);
      await sql`alter table quiz_attempts enable trigger quiz_attempts_frozen`.execute(handle.db);
      const second = await startAttempt(handle.db, { userId: user.id, moduleVersionId: version.id, stage: "final" });
      await answerAll(handle.db, user.id, second, false);
      await submitAttempt(handle.db, user.id, second);
      await expect(
        startAttempt(handle.db, { userId: user.id, moduleVersionId: version.id, stage: "final" }),
      ).rejects.toMatchObject({ messageKey: "errors.quiz.noAttemptsLeft" });
    } finally {
      await drop();
    }
  });
});

describe(`what a trainee reads (${engine})`, () => {
  it("a lesson comes with its place, its neighbours, and the trainee's own progress", async () => {
    const read = (userId: string, lessonId: string) =>
      lessonForTrainee(database.db, userId, "sample-module", lessonId, "en");
    expect(await read(trainee.id, "02-second")).toMatchObject({
      version: { id: mv, module_slug: "sample-module", title: { en: "Sample module" } },
      lesson: {
        lesson_id: "02-second",
        title: { en: "Second lesson" },
        lang: "en",
        content_note: { en: "Describes exploitation without detail." },
      },
      index: 1,
      total: 2,
      previous: "01-first",
      next: null,
      done: false,
      pretestDone: false,
    });
    const first = await read(trainee.id, "01-first");
    expect(first).toMatchObject({ index: 0, previous: null, next: "02-second" });
    // Only the sources the lesson cites, which its citations link to.
    expect(first!.sources.map((s) => s.id)).toEqual(["report"]);
    await readyForFinal(database.db, trainee.id, mv);
    expect(await read(trainee.id, "02-second")).toMatchObject({ done: true, pretestDone: true });
    // Another trainee's progress is theirs alone.
    expect(await read(other.id, "02-second")).toMatchObject({ done: false, pretestDone: false });
    expect(await read(trainee.id, "03-missing")).toBeUndefined();
    expect(await lessonForTrainee(database.db, trainee.id, "no-such-module", "01-first", "en")).toBeUndefined();
  });

  it("a lesson is in the trainee's language, and in English (marked so) where it has no edition in it yet", async () => {
    await isolated();
    const ja = await lessonForTrainee(database.db, trainee.id, "sample-module", "01-first", "ja");
    expect(ja!.lesson).toMatchObject({ lang: "ja" });
    expect(ja!.lesson.html).toContain("本文です。");
    expect(ja!.lesson.html).not.toContain("word0110");

    const copy = sampleCopy();
    copy.edit("sample-module/module.yaml", /^version: 1$/m, "version: 2");
    copy.edit("sample-module/module.yaml", "locales: [en, ja]", "locales: [en]");
    copy.remove("sample-module/lessons/01-first.ja.md");
    copy.remove("sample-module/lessons/02-second.ja.md");
    const outcome = await syncContentFrom(database.db, copy.dir, createLogger("silent"));
    expect(outcome.ok).toBe(true);
    const fallback = await lessonForTrainee(database.db, trainee.id, "sample-module", "01-first", "ja");
    expect(fallback!.version.id).not.toBe(mv);
    expect(fallback!.lesson.lang).toBe("en");
    expect(fallback!.lesson.html).toContain("word0110");
  });

  it("the home page shows each course's progress and next module, where the trainee left off, and their certificates", async () => {
    expect(await traineeDashboard(database.db, trainee.id)).toEqual({
      courses: [
        {
          slug: "sample-course",
          title: expect.objectContaining({ en: expect.any(String) }),
          modules: [{ slug: "sample-module", title: expect.objectContaining({ en: "Sample module" }), done: false }],
          done: 0,
          percent: 0,
          next: { slug: "sample-module", title: expect.objectContaining({ en: "Sample module" }), done: false },
        },
      ],
      last: null,
      certificates: [],
    });
    await readyForFinal(database.db, trainee.id, mv);
    const id = await startAttempt(database.db, { userId: trainee.id, moduleVersionId: mv, stage: "final" });
    await answerAll(database.db, trainee.id, id, true);
    await submitAttempt(database.db, trainee.id, id);
    const after = await traineeDashboard(database.db, trainee.id);
    expect(after.courses).toMatchObject([{ done: 1, percent: 100, next: null }]);
    expect(after.last).toEqual({
      module_slug: "sample-module",
      title: expect.objectContaining({ en: "Sample module" }),
    });
    const [course] = await records().then((all) => all.filter((r) => r.kind === "course"));
    expect(after.certificates).toEqual([
      {
        certificate_code: course!.certificate_code,
        course_slug: "sample-course",
        title: expect.objectContaining({ en: expect.any(String) }),
        completed_at: course!.completed_at,
        expires_at: course!.expires_at,
      },
    ]);
    // Someone else's home shows none of it.
    expect(await traineeDashboard(database.db, other.id)).toEqual({ courses: [], last: null, certificates: [] });
    // An expired completion no longer counts as done.
    const later = new Date(course!.expires_at.getTime() + 1000);
    expect((await traineeDashboard(database.db, trainee.id, later)).courses).toMatchObject([
      { done: 0, next: { slug: "sample-module" } },
    ]);
  });
});

describe(`completion records (${engine})`, () => {
  it("are append-only, and verification finds the first record that was edited behind the database's back", async () => {
    await isolated();
    await readyForFinal(database.db, trainee.id, mv);
    const id = await startAttempt(database.db, { userId: trainee.id, moduleVersionId: mv, stage: "final" });
    await answerAll(database.db, trainee.id, id, true);
    await submitAttempt(database.db, trainee.id, id);
    expect(await verifyChain(database.db)).toMatchObject({ ok: true, checked: 2, legacy: 0 });
    await expect(sql`update completion_records set score = 99`.execute(database.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from completion_records`.execute(database.db)).rejects.toThrow(/append-only/);

    // Someone with the power to switch the guard off edits the first record's score.
    await sql`alter table completion_records disable trigger completion_records_append_only`.execute(database.db);
    await sql`update completion_records set score = 100 - score + 1 where kind = 'module'`.execute(database.db);
    const [first] = await records();
    expect(await verifyChain(database.db)).toMatchObject({
      ok: false,
      checked: 0,
      firstMismatch: { seq: first!.seq, id: first!.id, reason: "content changed" },
    });
  });
});

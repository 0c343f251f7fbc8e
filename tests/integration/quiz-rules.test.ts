// The rules between a trainee and the final quiz, at the level of the server modules: the key of
// a failed attempt stays hidden until a pass, the cool-down after a failure and the daily limit
// hold under concurrent starts, a lesson confirmed before its minimum reading time is refused,
// lessons come after the pre-test, and the lessons behind missed questions are read again after
// the second failure. Time comes from the functions' injectable clocks.
import { sql, type Kysely } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import {
  loadQuestions,
  nextStep,
  reviewAttempt,
  saveAnswer,
  startAttempt,
  submitAttempt,
} from "../../app/server/learning/attempts.server";
import { completeLesson, moduleState } from "../../app/server/learning/progress.server";
import { minimumReadingSeconds, openLesson, readingUnits } from "../../app/server/learning/reading.server";
import { tokyoDay } from "../../app/server/learning/rules.server";
import { DomainError } from "../../app/server/shared/errors.server";
import type { DatabaseHandle } from "../../db/connect.server";
import { engine, freshDatabase, testDatabase } from "../support/db";
import { makeAgency, makeUser } from "../support/fixtures";
import { answerAll, readLesson, readyForFinal, syncSample } from "../support/learning";
import type { sampleCopy } from "../support/content-fixture";
import type { Database } from "../../db/schema";

type Copy = ReturnType<typeof sampleCopy>;

// 10:00 on 1 April 2026 in Japan.
const T0 = new Date("2026-04-01T01:00:00Z");
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

let shared: DatabaseHandle;
let sharedVersion: string;

beforeAll(async () => {
  shared = await testDatabase();
  sharedVersion = (await syncSample(shared.db)).id;
});

/** A trainee on the shared database (the sample's own settings), or on one with changed settings. */
async function trainee(change?: (copy: Copy) => void): Promise<{ db: Kysely<Database>; userId: string; mv: string }> {
  const db = change ? (await freshDatabase()).handle.db : shared.db;
  const mv = change ? (await syncSample(db, change)).id : sharedVersion;
  const agency = await makeAgency(db);
  const user = await makeUser(db, { agencyId: agency.id });
  return { db, userId: user.id, mv };
}

/** Replaces the sample module's quiz settings. */
const settings = (quiz: string) => (copy: Copy) =>
  copy.edit(
    "sample-module/module.yaml",
    "quiz: { questions: 4, maxAttempts: null, cooldownMinutes: 0 }",
    `quiz: ${quiz}`,
  );

async function attempt(db: Kysely<Database>, userId: string, mv: string, right: boolean, now: Date) {
  const id = await startAttempt(db, { userId, moduleVersionId: mv, stage: "final", now });
  await answerAll(db, userId, id, right);
  await submitAttempt(db, userId, id, now);
  return id;
}

/** The refusal a call ends with, or null when it succeeds. */
async function refusal(call: Promise<unknown>): Promise<DomainError | null> {
  try {
    await call;
    return null;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
}

const finalCount = async (db: Kysely<Database>, userId: string) =>
  Number(
    (
      await db
        .selectFrom("quiz_attempts")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("user_id", "=", userId)
        .where("stage", "=", "final")
        .executeTakeFirstOrThrow()
    ).n,
  );

describe(`reviewing a final attempt (${engine})`, () => {
  it("hides the key after a failure, not even returning it, and shows it once the module is passed", async () => {
    const { db, userId, mv } = await trainee();
    await readyForFinal(db, userId, mv, T0);
    const failed = await attempt(db, userId, mv, false, at(1));

    const hidden = await reviewAttempt(db, userId, failed);
    expect(hidden.keyShown).toBe(false);
    // Not in the data at all: no option says whether it is right.
    expect(JSON.stringify(hidden.items)).not.toMatch(/"correct"/);
    for (const item of hidden.items) {
      expect(item.right).toBe(false);
      // The lesson that teaches the question, with its title for the link.
      expect(item.lesson).toMatchObject({ id: expect.stringMatching(/^0[12]-/), title: { en: expect.any(String) } });
      for (const step of [item.options, item.followUp?.options ?? []])
        for (const option of step) {
          // Feedback only on what the trainee chose (every choice here is wrong): why the idea is wrong.
          if (option.chosen) {
            expect(option.feedback?.en).toMatch(/^(Because|Leading)/);
            expect(option.misconception).not.toBeNull();
          } else expect(option).toMatchObject({ feedback: null, misconception: null });
          expect(option).not.toHaveProperty("correct");
        }
    }

    await attempt(db, userId, mv, true, at(2));
    const shown = await reviewAttempt(db, userId, failed);
    expect(shown.keyShown).toBe(true);
    if (!shown.keyShown) throw new Error("unreachable");
    for (const item of shown.items) {
      expect(item.options.some((o) => o.correct)).toBe(true);
      expect(item.options.every((o) => o.feedback.en.length > 0)).toBe(true);
    }
  });

  it("shows a question answered right with the feedback on the trainee's own choice only", async () => {
    const { db, userId, mv } = await trainee();
    await readyForFinal(db, userId, mv, T0);
    const id = await startAttempt(db, { userId, moduleVersionId: mv, stage: "final", now: at(1) });
    await answerAll(db, userId, id, true);
    // One answer changed to a wrong one: the attempt fails with the other questions right.
    const first = (await nextStep(db, userId, id)).attempt.served[0]!;
    const q = (await loadQuestions(db, mv, [first.id])).get(first.id)!;
    await saveAnswer(db, userId, id, q.id, { choice: [q.options.find((o) => !o.correct)!.id] });
    await answerAll(db, userId, id, false);
    await submitAttempt(db, userId, id, at(2));

    const review = await reviewAttempt(db, userId, id);
    expect(review.keyShown).toBe(false);
    const rightOnes = review.items.filter((i) => i.right);
    expect(rightOnes.length).toBeGreaterThan(0);
    for (const item of rightOnes)
      for (const option of [...item.options, ...(item.followUp?.options ?? [])])
        expect(option.feedback === null).toBe(!option.chosen);
  });

  it("shows the key after every attempt when the module says review: always", async () => {
    const { db, userId, mv } = await trainee(
      settings('{ questions: 4, maxAttempts: null, cooldownMinutes: 0, review: "always" }'),
    );
    await readyForFinal(db, userId, mv, T0);
    const failed = await attempt(db, userId, mv, false, at(1));
    const review = await reviewAttempt(db, userId, failed);
    expect(review.keyShown).toBe(true);
    expect(JSON.stringify(review.items)).toMatch(/"correct":true/);
  });
});

describe(`starting a final attempt (${engine})`, () => {
  it("waits the cool-down after a failure only, however many starts arrive at once", async () => {
    const { db, userId, mv } = await trainee(settings("{ questions: 4, maxAttempts: null, cooldownMinutes: 60 }"));
    await readyForFinal(db, userId, mv, T0);
    // No cool-down before a first attempt, nor while one is open.
    const first = await startAttempt(db, { userId, moduleVersionId: mv, stage: "final", now: at(1) });
    expect(await startAttempt(db, { userId, moduleVersionId: mv, stage: "final", now: at(2) })).toBe(first);
    await answerAll(db, userId, first, false);
    await submitAttempt(db, userId, first, at(10));

    const tooSoon = await Promise.all(
      Array.from({ length: 10 }, () =>
        refusal(startAttempt(db, { userId, moduleVersionId: mv, stage: "final", now: at(30) })),
      ),
    );
    for (const error of tooSoon) {
      expect(error).toMatchObject({ messageKey: "errors.quiz.coolingDown", params: { at: at(70) } });
    }
    expect(await finalCount(db, userId)).toBe(1);
    const state = await moduleState(db, userId, mv, at(30));
    expect(state.gate).toEqual({
      open: false,
      reason: "coolingDown",
      messageKey: "errors.quiz.coolingDown",
      at: at(70),
    });

    // Once it has passed, ten starts at once open one attempt, and all ten get it.
    const started = await Promise.all(
      Array.from({ length: 10 }, () => startAttempt(db, { userId, moduleVersionId: mv, stage: "final", now: at(70) })),
    );
    expect(new Set(started).size).toBe(1);
    expect(await finalCount(db, userId)).toBe(2);

    // A pass starts no cool-down (and the module is then done).
    await answerAll(db, userId, started[0]!, true);
    expect(await submitAttempt(db, userId, started[0]!, at(80))).toMatchObject({ passed: true });
    expect((await moduleState(db, userId, mv, at(81))).step).toBe("done");
  });

  it("holds the daily limit, counted in Japan's day, against ten workers starting attempts at once", async () => {
    const { db, userId, mv } = await trainee(
      settings(
        "{ questions: 4, maxAttempts: null, cooldownMinutes: 0, maxAttemptsPerDay: 3, revisitAfterFailures: 99 }",
      ),
    );
    await readyForFinal(db, userId, mv, T0);
    // Ten workers at once, each starting, failing and submitting attempts until refused.
    const now = at(60);
    const refusals: DomainError[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let guard = 0; guard < 30; guard++) {
          const error = await refusal(
            (async () => {
              const id = await startAttempt(db, { userId, moduleVersionId: mv, stage: "final", now });
              await answerAll(db, userId, id, false);
              await submitAttempt(db, userId, id, now);
            })(),
          );
          if (error?.messageKey === "errors.quiz.dailyLimit") return void refusals.push(error);
          // Another worker answered or submitted the same attempt first: try again.
          if (error && !["errors.quiz.submitted", "errors.quiz.unanswered"].includes(error.messageKey)) throw error;
        }
        throw new Error("never refused");
      }),
    );
    expect(await finalCount(db, userId)).toBe(3);
    expect(refusals).toHaveLength(10);
    // The next day starts at midnight in Japan: 15:00 UTC.
    const midnight = new Date("2026-04-01T15:00:00Z");
    expect(tokyoDay(now)).toEqual({ start: new Date("2026-03-31T15:00:00Z"), next: midnight });
    for (const error of refusals) expect(error.params).toEqual({ at: midnight });

    expect(
      await refusal(
        startAttempt(db, { userId, moduleVersionId: mv, stage: "final", now: new Date(midnight.getTime() - 1) }),
      ),
    ).toMatchObject({ messageKey: "errors.quiz.dailyLimit" });
    await startAttempt(db, { userId, moduleVersionId: mv, stage: "final", now: midnight });
    expect(await finalCount(db, userId)).toBe(4);
  });

  it("keeps the module's limit on attempts in all", async () => {
    const { db, userId, mv } = await trainee(settings("{ questions: 4, maxAttempts: 1, cooldownMinutes: 0 }"));
    await readyForFinal(db, userId, mv, T0);
    await attempt(db, userId, mv, false, at(1));
    expect(await refusal(startAttempt(db, { userId, moduleVersionId: mv, stage: "final", now: at(2) }))).toMatchObject({
      messageKey: "errors.quiz.noAttemptsLeft",
    });
  });

  it("asks, from the second failure on, to read again the lessons behind the missed questions", async () => {
    const { db, userId, mv } = await trainee();
    await readyForFinal(db, userId, mv, T0);
    await attempt(db, userId, mv, false, at(1));
    // One failure: no lessons to read again.
    expect((await moduleState(db, userId, mv, at(2))).revisit).toEqual([]);
    await attempt(db, userId, mv, false, at(3));

    const refused = await refusal(startAttempt(db, { userId, moduleVersionId: mv, stage: "final", now: at(4) }));
    expect(refused).toMatchObject({ messageKey: "errors.quiz.revisitFirst" });
    const state = await moduleState(db, userId, mv, at(4));
    // Every draw tests both objectives, taught by the two lessons, and every answer was wrong.
    expect(state.revisit.map((l) => l.lesson_id)).toEqual(["01-first", "02-second"]);
    expect(state.gate).toMatchObject({ open: false, reason: "revisit" });

    // Reading again takes the minimum reading time too.
    const again = await openLesson(db, { userId, moduleVersionId: mv, lessonId: "01-first", locale: "en", now: at(5) });
    expect(again).toMatchObject({ needed: true, again: true, servedAt: at(5) });
    expect(await refusal(completeLesson(db, userId, mv, "01-first", at(5.5)))).toMatchObject({
      messageKey: "errors.lesson.tooEarly",
    });
    expect(await completeLesson(db, userId, mv, "01-first", at(30))).toBe("readAgain");
    expect((await moduleState(db, userId, mv, at(31))).revisit.map((l) => l.lesson_id)).toEqual(["02-second"]);
    expect(await refusal(startAttempt(db, { userId, moduleVersionId: mv, stage: "final", now: at(31) }))).toMatchObject(
      { messageKey: "errors.quiz.revisitFirst" },
    );
    // A lesson not to be read again needs nothing more.
    expect(await completeLesson(db, userId, mv, "01-first", at(32))).toBe("nothing");

    expect(await readLesson(db, userId, mv, "02-second", at(100))).toBe("readAgain");
    expect((await moduleState(db, userId, mv, at(101))).gate).toEqual({ open: true });
    const third = await startAttempt(db, { userId, moduleVersionId: mv, stage: "final", now: at(101) });
    await answerAll(db, userId, third, false);
    await submitAttempt(db, userId, third, at(102));
    // After the third failure its own missed questions' lessons are read again.
    expect((await moduleState(db, userId, mv, at(103))).revisit).toHaveLength(2);

    const reads = await db
      .selectFrom("lesson_reads")
      .select(["lesson_id", "confirmed_at"])
      .where("user_id", "=", userId)
      .where("confirmed_at", "is not", null)
      .orderBy("confirmed_at")
      .orderBy("lesson_id")
      .execute();
    expect(reads.map((r) => r.lesson_id)).toEqual(["01-first", "02-second", "01-first", "02-second"]);
  });
});

describe(`reading a lesson (${engine})`, () => {
  async function afterPretest() {
    const t = await trainee();
    const pretest = await startAttempt(t.db, { userId: t.userId, moduleVersionId: t.mv, stage: "pretest", now: T0 });
    await answerAll(t.db, t.userId, pretest, false);
    await submitAttempt(t.db, t.userId, pretest, T0);
    return t;
  }
  const recorded = (db: Kysely<Database>, userId: string) =>
    Promise.all([
      db.selectFrom("lesson_progress").selectAll().where("user_id", "=", userId).execute(),
      db.selectFrom("lesson_reads").selectAll().where("user_id", "=", userId).orderBy("served_at").execute(),
    ]);

  it("refuses a confirmation before the minimum reading time, with the time left, and records nothing", async () => {
    const { db, userId, mv } = await afterPretest();
    const served = at(1);
    const reading = await openLesson(db, {
      userId,
      moduleVersionId: mv,
      lessonId: "01-first",
      locale: "en",
      now: served,
    });
    const html = (
      await db
        .selectFrom("lessons")
        .select("html")
        .where("module_version_id", "=", mv)
        .where("lesson_id", "=", "01-first")
        .executeTakeFirstOrThrow()
    ).html.en;
    // About 600 words: 40% of four minutes at 150 words a minute.
    expect(readingUnits(html).words).toBeGreaterThan(590);
    const minimum = minimumReadingSeconds(html);
    expect(minimum).toBeGreaterThan(90);
    expect(reading).toEqual({ needed: true, again: false, servedAt: served, minSeconds: minimum });
    // Seeing the page again does not restart the clock.
    await openLesson(db, { userId, moduleVersionId: mv, lessonId: "01-first", locale: "en", now: at(1.5) });

    const early = new Date(served.getTime() + 30_000);
    const error = await refusal(completeLesson(db, userId, mv, "01-first", early));
    expect(error).toMatchObject({
      code: "conflict",
      messageKey: "errors.lesson.tooEarly",
      params: { minimum: { seconds: minimum }, elapsed: { seconds: 30 }, left: { seconds: minimum - 30 } },
    });
    const [progress, reads] = await recorded(db, userId);
    expect(progress).toEqual([]);
    expect(reads).toMatchObject([{ lesson_id: "01-first", served_at: served, confirmed_at: null }]);
    // Nor can the database be made to record it.
    await expect(
      sql`update lesson_reads set confirmed_at = served_at + interval '30 seconds' where user_id = ${userId}`.execute(
        db,
      ),
    ).rejects.toThrow(/check constraint/);

    const onTime = new Date(served.getTime() + minimum * 1000);
    expect(await completeLesson(db, userId, mv, "01-first", onTime)).toBe("read");
    const [after, afterReads] = await recorded(db, userId);
    expect(after).toMatchObject([{ lesson_id: "01-first", completed_at: onTime }]);
    expect(afterReads).toMatchObject([{ served_at: served, confirmed_at: onTime, min_seconds: minimum, locale: "en" }]);
    // Confirmed readings are records.
    await expect(sql`delete from lesson_reads where user_id = ${userId}`.execute(db)).rejects.toThrow(
      /cannot be changed/,
    );
    // Confirming again is harmless.
    expect(await completeLesson(db, userId, mv, "01-first", at(60))).toBe("nothing");
  });

  it("refuses a lesson whose text was never served, and counts Japanese by characters", async () => {
    const { db, userId, mv } = await afterPretest();
    expect(await refusal(completeLesson(db, userId, mv, "02-second", at(60)))).toMatchObject({
      messageKey: "errors.lesson.notOpened",
    });
    expect((await recorded(db, userId)).flat()).toEqual([]);

    expect(readingUnits("<h1>第1課</h1><p>子どもは被害者です。See the report.</p>")).toEqual({
      words: 4,
      japanese: 11,
    });
    // 375 characters a minute: 40% of a minute for 375 characters.
    expect(minimumReadingSeconds(`<p>${"あ".repeat(375)}</p>`)).toBe(24);
    expect(minimumReadingSeconds(`<p>${"word ".repeat(150)}</p>`)).toBe(24);
  });

  it("comes after the pre-test, in the server module itself", async () => {
    const { db, userId, mv } = await trainee();
    expect(await refusal(completeLesson(db, userId, mv, "01-first", at(60)))).toMatchObject({
      code: "conflict",
      messageKey: "errors.lesson.pretestFirst",
    });
    expect(
      await refusal(openLesson(db, { userId, moduleVersionId: mv, lessonId: "01-first", locale: "en", now: at(1) })),
    ).toMatchObject({ messageKey: "errors.lesson.pretestFirst" });
    expect((await recorded(db, userId)).flat()).toEqual([]);
    // An unknown lesson does not exist.
    expect(await refusal(completeLesson(db, userId, mv, "09-none", at(60)))).toMatchObject({ code: "not_found" });
  });

  it("shows the time on each lesson and each attempt's duration on the module page", async () => {
    const { db, userId, mv } = await trainee();
    await readyForFinal(db, userId, mv, T0);
    const id = await startAttempt(db, { userId, moduleVersionId: mv, stage: "final", now: at(1) });
    await answerAll(db, userId, id, false);
    await submitAttempt(db, userId, id, at(13));
    const state = await moduleState(db, userId, mv, at(14));
    // readyForFinal serves each lesson an hour before confirming it.
    expect(state.lessons.map((l) => l.readSeconds)).toEqual([3600, 3600]);
    expect(state.finals).toMatchObject([{ id, seconds: 12 * 60 }]);
  });
});

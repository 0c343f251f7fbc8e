// A trainee with the sample content synced, and helpers to answer quizzes right or wrong by
// reading the stored questions (as only the server can).
import type { Kysely } from "kysely";
import { syncContentFrom } from "../../app/server/catalog/content-sync.server";
import { startAttempt, submitAttempt } from "../../app/server/learning/attempts.server";
import { answerAll } from "./quiz-answers";
import { completeLesson, currentVersion, enrol } from "../../app/server/learning/progress.server";
import { openLesson } from "../../app/server/learning/reading.server";
import { createLogger } from "../../app/server/shared/log.server";
import type { Database } from "../../db/schema";
import { sampleCopy } from "./content-fixture";

export async function syncSample(db: Kysely<Database>, change?: (copy: ReturnType<typeof sampleCopy>) => void) {
  const copy = sampleCopy();
  change?.(copy);
  const outcome = await syncContentFrom(db, copy.dir, createLogger("silent"));
  if (!outcome.ok) throw new Error(outcome.problems.join("\n"));
  return (await currentVersion(db, "sample-module"))!;
}

/**
 * Reads a lesson as the lesson page does, without waiting for its minimum reading time: the text is
 * served (the reading's clock starts) an hour before `now`, through the same injectable clock the
 * server functions take, then confirmed at `now`. Returns what completeLesson recorded.
 */
export async function readLesson(
  db: Kysely<Database>,
  userId: string,
  moduleVersionId: string,
  lessonId: string,
  now = new Date(),
) {
  const servedAt = new Date(now.getTime() - 3_600_000);
  await openLesson(db, { userId, moduleVersionId, lessonId, locale: "en", now: servedAt });
  return completeLesson(db, userId, moduleVersionId, lessonId, now);
}

/** Takes the pre-test and reads every lesson: the trainee is then ready for the final quiz. */
export async function readyForFinal(db: Kysely<Database>, userId: string, moduleVersionId: string, now = new Date()) {
  const pretest = await startAttempt(db, { userId, moduleVersionId, stage: "pretest", now });
  await answerAll(db, userId, pretest, false);
  await submitAttempt(db, userId, pretest, now);
  for (const lesson of ["01-first", "02-second"]) await readLesson(db, userId, moduleVersionId, lesson, now);
}

export { answerAll, enrol };

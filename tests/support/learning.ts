// A trainee with the sample content synced, and helpers to answer quizzes right or wrong by
// reading the stored questions (as only the server can).
import type { Kysely } from "kysely";
import { syncContentFrom } from "../../app/server/catalog/content-sync";
import { loadQuestions, nextStep, saveAnswer, startAttempt, submitAttempt } from "../../app/server/learning/attempts";
import { completeLesson, currentVersion, enrol } from "../../app/server/learning/progress";
import { createLogger } from "../../app/server/shared/log";
import type { Database } from "../../db/schema";
import { sampleCopy } from "./content-fixture";

export async function syncSample(db: Kysely<Database>, change?: (copy: ReturnType<typeof sampleCopy>) => void) {
  const copy = sampleCopy();
  change?.(copy);
  const outcome = await syncContentFrom(db, copy.dir, createLogger("silent"));
  if (!outcome.ok) throw new Error(outcome.problems.join("\n"));
  return (await currentVersion(db, "sample-module"))!;
}

/** Answers every step of an open attempt, rightly or wrongly, through the same calls as the pages. */
export async function answerAll(db: Kysely<Database>, userId: string, attemptId: string, right: boolean) {
  for (;;) {
    const { attempt, step } = await nextStep(db, userId, attemptId);
    if (!step) return;
    const q = (await loadQuestions(db, attempt.module_version_id)).get(step.question.id)!;
    const pick = (options: typeof q.options) => {
      const ids = options.filter((o) => Boolean(o.correct) === right).map((o) => o.id);
      return q.kind === "multiple" && right ? ids : ids.slice(0, 1);
    };
    if (!step.followUpStage) {
      await saveAnswer(db, userId, attemptId, q.id, { choice: pick(q.options) });
    } else {
      await saveAnswer(db, userId, attemptId, q.id, { followUp: pick(q.followUp!.options) });
    }
  }
}

/** Takes the pre-test and reads every lesson: the trainee is then ready for the final quiz. */
export async function readyForFinal(db: Kysely<Database>, userId: string, moduleVersionId: string) {
  const pretest = await startAttempt(db, { userId, moduleVersionId, stage: "pretest" });
  await answerAll(db, userId, pretest, false);
  await submitAttempt(db, userId, pretest);
  for (const lesson of ["01-first", "02-second"]) await completeLesson(db, userId, moduleVersionId, lesson);
}

export { enrol };

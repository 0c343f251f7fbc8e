// Answering a quiz as a trainee would, right or wrong, by reading the stored questions (as only
// the server can). Free of test-runner imports, so the benchmark can use it too.
import type { Kysely } from "kysely";
import { loadQuestions, nextStep, saveAnswer } from "../../app/server/learning/attempts.server";
import type { Database } from "../../db/schema";

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

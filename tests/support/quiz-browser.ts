// A trainee's quiz and readings in Chromium, as the browser journeys need them: answers read from
// the server's store (as only the server can), readings moved back past their minimum time.
import { sql, type Kysely } from "kysely";
import type { Page } from "playwright-core";
import { loadQuestions } from "../../app/server/learning/attempts.server";
import type { Database } from "../../db/schema";

/** Moves the person's readings in progress an hour back: their minimum reading time has passed. */
export async function letTimePass(db: Kysely<Database>, userId: string) {
  await sql`update lesson_reads set served_at = served_at - interval '1 hour' where user_id = ${userId} and confirmed_at is null`.execute(
    db,
  );
}

/** Answers the open attempt page by page; `right` picks the correct options. */
export async function answerQuiz(
  page: Page,
  db: Kysely<Database>,
  moduleVersionId: string,
  right: boolean,
  js: boolean,
) {
  const questions = await loadQuestions(db, moduleVersionId);
  for (let guard = 0; guard < 40; guard++) {
    const form = page.locator("form.question");
    if ((await form.count()) === 0) return;
    const id = await form.locator('input[name="questionId"]').inputValue();
    const part = await form.locator('input[name="part"]').inputValue();
    const q = questions.get(id)!;
    const options = part === "followUp" ? q.followUp!.options : q.options;
    const wanted = options.filter((o) => Boolean(o.correct) === right).map((o) => o.id);
    const picks = q.kind === "multiple" && part === "choice" && right ? wanted : wanted.slice(0, 1);
    for (const value of picks) await form.locator(`input[name="choice"][value="${value}"]`).check();
    await form.locator('button[type="submit"]').click();
    // With JavaScript the page changes in place: wait until it shows another step.
    if (js) {
      await page.waitForFunction(
        ([before, beforePart]) => {
          const q = document.querySelector<HTMLInputElement>('form.question input[name="questionId"]');
          const p = document.querySelector<HTMLInputElement>('form.question input[name="part"]');
          return !q || q.value !== before || p?.value !== beforePart;
        },
        [id, part],
      );
    } else await page.waitForLoadState();
  }
  throw new Error("the quiz did not end");
}

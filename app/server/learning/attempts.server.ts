// Quiz attempts: starting one (pre-test or final), saving answers step by step, and submitting it
// once. Grading happens here only; until an attempt is submitted, what leaves this module for
// the page carries no correct answer and no feedback.
import { sql, type Kysely } from "kysely";
import type { Database, LocalisedText } from "../../../db/schema";
import { DomainError, isUniqueViolation } from "../shared/errors.server";
import { recordCompletions } from "./completions.server";
import { pretestSubmitted } from "./progress.server";
import {
  answerFits,
  followUpApplies,
  grade,
  isCorrect,
  serve,
  type Answer,
  type Random,
  type ServedQuestion,
  type StoredQuestion,
} from "./quiz-engine.server";

export type Stage = "pretest" | "final";

/** A module version's questions: a stage's, or only those with the given ids (what an attempt served). */
export async function loadQuestions(
  db: Kysely<Database>,
  moduleVersionId: string,
  only?: Stage | readonly string[],
): Promise<Map<string, StoredQuestion>> {
  let q = db
    .selectFrom("questions")
    .select(["question_id", "kind", "content"])
    .where("module_version_id", "=", moduleVersionId)
    .orderBy("position");
  if (typeof only === "string") q = q.where("stage", "=", only);
  else if (only) q = q.where("question_id", "in", only.length ? [...only] : [""]);
  const rows = await q.execute();
  return new Map(
    rows.map((r) => [
      r.question_id,
      { id: r.question_id, kind: r.kind, ...(r.content as Omit<StoredQuestion, "id" | "kind">) },
    ]),
  );
}

/** Starts (or returns the open) attempt. The pre-test is taken once per module version. */
export async function startAttempt(
  db: Kysely<Database>,
  input: { userId: string; moduleVersionId: string; stage: Stage },
  random?: Random,
): Promise<string> {
  const { userId, moduleVersionId, stage } = input;
  const version = await db
    .selectFrom("module_versions")
    .select(["quiz_settings"])
    .where("id", "=", moduleVersionId)
    .executeTakeFirst();
  if (!version) throw new DomainError("not_found", "errors.notFound");
  const mine = db
    .selectFrom("quiz_attempts")
    .where("user_id", "=", userId)
    .where("module_version_id", "=", moduleVersionId)
    .where("stage", "=", stage);
  const open = await mine.select("id").where("submitted_at", "is", null).executeTakeFirst();
  if (open) return open.id;

  if (stage === "pretest") {
    if (await mine.select("id").executeTakeFirst()) throw new DomainError("conflict", "errors.quiz.pretestTaken");
  } else {
    await assertReadyForFinal(db, userId, moduleVersionId);
    const settings = version.quiz_settings;
    const submitted = await mine
      .select(["submitted_at"])
      .where("submitted_at", "is not", null)
      .orderBy("submitted_at", "desc")
      .execute();
    if (settings.maxAttempts !== null && submitted.length >= settings.maxAttempts)
      throw new DomainError("conflict", "errors.quiz.noAttemptsLeft");
    const last = submitted[0]?.submitted_at;
    if (last && settings.cooldownMinutes > 0 && Date.now() - last.getTime() < settings.cooldownMinutes * 60_000) {
      throw new DomainError("conflict", "errors.quiz.coolingDown");
    }
  }

  const pool = [...(await loadQuestions(db, moduleVersionId, stage)).values()];
  const served = serve(pool, stage === "pretest" ? null : version.quiz_settings.questions, random);
  try {
    const row = await db
      .insertInto("quiz_attempts")
      .values({ user_id: userId, module_version_id: moduleVersionId, stage, served: JSON.stringify(served) })
      .returning("id")
      .executeTakeFirstOrThrow();
    return row.id;
  } catch (error) {
    // Two starts at once: the index allows one open attempt, and both get it.
    if (!isUniqueViolation(error)) throw error;
    const again = await mine.select("id").where("submitted_at", "is", null).executeTakeFirst();
    if (!again) throw new DomainError("conflict", "errors.quiz.pretestTaken");
    return again.id;
  }
}

async function assertReadyForFinal(db: Kysely<Database>, userId: string, moduleVersionId: string) {
  const row = await db
    .selectFrom("lessons as l")
    .leftJoin("lesson_progress as p", (j) =>
      j
        .onRef("p.module_version_id", "=", "l.module_version_id")
        .onRef("p.lesson_id", "=", "l.lesson_id")
        .on("p.user_id", "=", userId),
    )
    .select((eb) => [eb.fn.count<number>("l.lesson_id").as("lessons"), eb.fn.count<number>("p.lesson_id").as("done")])
    .where("l.module_version_id", "=", moduleVersionId)
    .executeTakeFirstOrThrow();
  const pretest = await pretestSubmitted(db, userId, moduleVersionId);
  if (!pretest || Number(row.done) < Number(row.lessons)) throw new DomainError("conflict", "errors.quiz.notReady");
}

/** The attempt, if it is this person's; another person's attempt does not exist for them. */
export async function ownAttempt(db: Kysely<Database>, userId: string, attemptId: string) {
  const attempt = await db
    .selectFrom("quiz_attempts as a")
    .innerJoin("module_versions as v", "v.id", "a.module_version_id")
    .select([
      "a.id",
      "a.user_id",
      "a.module_version_id",
      "a.stage",
      "a.served",
      "a.answers",
      "a.started_at",
      "a.submitted_at",
      "a.correct",
      "a.total",
      "a.score",
      "a.passed",
      "v.module_slug",
      "v.title as module_title",
      "v.pass_mark",
    ])
    .where("a.id", "=", attemptId)
    .executeTakeFirst();
  if (!attempt || attempt.user_id !== userId) throw new DomainError("not_found", "errors.notFound");
  return attempt;
}

/** What the page shows of an open question: texts and option ids, never which is right. */
export interface QuestionView {
  id: string;
  kind: StoredQuestion["kind"];
  case?: LocalisedText;
  prompt: LocalisedText;
  options: { id: string; text: LocalisedText }[];
  followUp?: { prompt: LocalisedText; options: { id: string; text: LocalisedText }[] };
}

function viewOf(q: StoredQuestion, served: ServedQuestion, withFollowUp: boolean): QuestionView {
  const text = (options: StoredQuestion["options"], order: string[]) =>
    order.map((id) => ({ id, text: options.find((o) => o.id === id)!.text }));
  return {
    id: q.id,
    kind: q.kind,
    ...(q.case ? { case: q.case } : {}),
    prompt: q.prompt,
    options: text(q.options, served.options),
    ...(withFollowUp && q.followUp && served.followUp
      ? { followUp: { prompt: q.followUp.prompt, options: text(q.followUp.options, served.followUp) } }
      : {}),
  };
}

/**
 * The next step of an open attempt: a question (its first step, or its follow-up once the first is
 * answered), or null when every step is answered and the attempt can be submitted.
 */
export async function nextStep(db: Kysely<Database>, userId: string, attemptId: string, index?: number) {
  const attempt = await ownAttempt(db, userId, attemptId);
  if (attempt.submitted_at) return { attempt, step: null, position: attempt.served.length };
  const questions = await loadQuestions(
    db,
    attempt.module_version_id,
    attempt.served.map((s) => s.id),
  );
  const pending = (s: ServedQuestion) => {
    const answer = attempt.answers[s.id];
    const q = questions.get(s.id)!;
    return !answer || (followUpApplies(q, answer.choice) && !answer.followUp);
  };
  const at =
    index !== undefined && index >= 0 && index < attempt.served.length ? index : attempt.served.findIndex(pending);
  if (at === -1) return { attempt, step: null, position: attempt.served.length };
  const served = attempt.served[at]!;
  const q = questions.get(served.id)!;
  const answer = attempt.answers[served.id];
  // Going back to a question (an explicit index) shows its first step, so the answer can be changed.
  const showFollowUp = index === undefined && Boolean(answer && followUpApplies(q, answer.choice) && !answer.followUp);
  return {
    attempt,
    step: { question: viewOf(q, served, showFollowUp), answer: answer ?? null, followUpStage: showFollowUp },
    position: at,
  };
}

/** Saves the answer to one step of an open attempt. Anything not served in it is refused. */
export async function saveAnswer(
  db: Kysely<Database>,
  userId: string,
  attemptId: string,
  questionId: string,
  part: { choice?: string[]; followUp?: string[] },
) {
  const attempt = await ownAttempt(db, userId, attemptId);
  if (attempt.submitted_at) throw new DomainError("conflict", "errors.quiz.submitted");
  const served = attempt.served.find((s) => s.id === questionId);
  if (!served) throw new DomainError("invalid", "errors.quiz.notServed");
  const q = (await loadQuestions(db, attempt.module_version_id, [questionId])).get(questionId)!;
  const previous = attempt.answers[questionId];
  // A new first answer replaces the follow-up given after the old one.
  const answer: Answer = part.choice
    ? { choice: part.choice }
    : { choice: previous?.choice ?? [], ...(part.followUp ? { followUp: part.followUp } : {}) };
  if (!answerFits(q, served, answer)) throw new DomainError("invalid", "errors.quiz.invalidAnswer");
  const result = await db
    .updateTable("quiz_attempts")
    .set({ answers: sql`answers || ${JSON.stringify({ [questionId]: answer })}::jsonb` })
    .where("id", "=", attemptId)
    .where("submitted_at", "is", null)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new DomainError("conflict", "errors.quiz.submitted");
}

export interface Submission {
  attemptId: string;
  score: number;
  passed: boolean;
  /** False when this call found the attempt already submitted (a retry or double click). */
  firstSubmission: boolean;
}

/**
 * Grades and closes an attempt, once. A retried or concurrent submission finds it submitted and
 * gets the same result. A passing final attempt writes the completion records in the same transaction.
 */
export async function submitAttempt(db: Kysely<Database>, userId: string, attemptId: string): Promise<Submission> {
  return db.transaction().execute(async (trx) => {
    const locked = await trx
      .selectFrom("quiz_attempts")
      .select(["id", "user_id"])
      .where("id", "=", attemptId)
      .forUpdate()
      .executeTakeFirst();
    if (!locked || locked.user_id !== userId) throw new DomainError("not_found", "errors.notFound");
    const attempt = await ownAttempt(trx, userId, attemptId);
    if (attempt.submitted_at)
      return { attemptId, score: attempt.score!, passed: attempt.passed!, firstSubmission: false };
    const questions = await loadQuestions(
      trx,
      attempt.module_version_id,
      attempt.served.map((s) => s.id),
    );
    const served = attempt.served.map((s) => questions.get(s.id)!);
    const unanswered = attempt.served.some((s) => {
      const a = attempt.answers[s.id];
      return !a || (followUpApplies(questions.get(s.id)!, a.choice) && !a.followUp);
    });
    if (unanswered) throw new DomainError("invalid", "errors.quiz.unanswered");
    const result = grade(served, attempt.answers);
    const passed = attempt.stage === "final" && result.score >= attempt.pass_mark;
    const submittedAt = new Date();
    await trx
      .updateTable("quiz_attempts")
      .set({ submitted_at: submittedAt, correct: result.correct, total: result.total, score: result.score, passed })
      .where("id", "=", attemptId)
      .execute();
    if (passed)
      await recordCompletions(trx, {
        userId,
        moduleVersionId: attempt.module_version_id,
        attemptId,
        score: result.score,
        completedAt: submittedAt,
      });
    return { attemptId, score: result.score, passed, firstSubmission: true };
  });
}

/** A submitted attempt as it was served, with the trainee's answers, the right ones and all feedback. */
export async function reviewAttempt(db: Kysely<Database>, userId: string, attemptId: string) {
  const attempt = await ownAttempt(db, userId, attemptId);
  if (!attempt.submitted_at) throw new DomainError("conflict", "errors.quiz.notSubmitted");
  const questions = await loadQuestions(
    db,
    attempt.module_version_id,
    attempt.served.map((s) => s.id),
  );
  const items = attempt.served.map((s) => {
    const q = questions.get(s.id)!;
    const answer = attempt.answers[s.id];
    const options = (list: StoredQuestion["options"], order: string[], chosen: string[] = []) =>
      order.map((id) => {
        const o = list.find((x) => x.id === id)!;
        return {
          id,
          text: o.text,
          correct: Boolean(o.correct),
          chosen: chosen.includes(id),
          feedback: o.feedback,
          misconception: o.misconception ?? null,
        };
      });
    return {
      id: q.id,
      kind: q.kind,
      case: q.case ?? null,
      prompt: q.prompt,
      right: isCorrect(q, answer),
      options: options(q.options, s.options, answer?.choice),
      followUp:
        q.followUp && s.followUp && answer && followUpApplies(q, answer.choice)
          ? { prompt: q.followUp.prompt, options: options(q.followUp.options, s.followUp, answer.followUp) }
          : null,
    };
  });
  return { attempt, items };
}

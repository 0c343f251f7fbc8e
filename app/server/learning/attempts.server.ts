// Quiz attempts: starting one (pre-test or final), saving answers step by step, and submitting it
// once. Grading happens here only; until an attempt is submitted, what leaves this module for
// the page carries no correct answer and no feedback.
import { sql, type Kysely } from "kysely";
import type { Database, LocalisedText } from "../../../db/schema";
import { spendAllowance } from "../auth/throttle.server";
import { DomainError } from "../shared/errors.server";
import { recordCompletions } from "./completions.server";
import { loadQuestions, type Stage } from "./questions.server";
import { finalGate, lockLearner, quizSettings } from "./rules.server";
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

export { loadQuestions, type Stage };

/**
 * Starts (or returns the open) attempt. The pre-test is taken once per module version. A new final
 * attempt must pass the module's rules (rules.server.ts finalGate): a refusal says why and, for
 * the cool-down and the daily limit, from when. The rules are checked and the attempt written
 * under the learner's lock, so that concurrent starts cannot together exceed a limit.
 */
export async function startAttempt(
  db: Kysely<Database>,
  input: { userId: string; moduleVersionId: string; stage: Stage; now?: Date },
  random?: Random,
): Promise<string> {
  const { userId, moduleVersionId, stage } = input;
  const now = input.now ?? new Date();
  return db.transaction().execute(async (trx) => {
    await lockLearner(trx, userId, moduleVersionId);
    const version = await trx
      .selectFrom("module_versions")
      .select(["quiz_settings"])
      .where("id", "=", moduleVersionId)
      .executeTakeFirst();
    if (!version) throw new DomainError("not_found", "errors.notFound");
    const settings = quizSettings(version.quiz_settings);
    const mine = trx
      .selectFrom("quiz_attempts")
      .where("user_id", "=", userId)
      .where("module_version_id", "=", moduleVersionId)
      .where("stage", "=", stage);
    const open = await mine.select("id").where("submitted_at", "is", null).executeTakeFirst();
    if (open) return open.id;

    if (stage === "pretest") {
      if (await mine.select("id").executeTakeFirst()) throw new DomainError("conflict", "errors.quiz.pretestTaken");
    } else {
      const gate = await finalGate(trx, userId, moduleVersionId, settings, now);
      if (!gate.open)
        throw new DomainError("conflict", gate.messageKey, undefined, gate.at ? { at: gate.at } : undefined);
    }

    // Only a new attempt counts, in its own transaction (LIMITS.quizAttempts).
    await spendAllowance(trx, "quizAttempts", `user:${userId}`, 1, now);
    const pool = [...(await loadQuestions(trx, moduleVersionId, stage)).values()];
    const served = serve(pool, stage === "pretest" ? null : settings.questions, random);
    const row = await trx
      .insertInto("quiz_attempts")
      .values({
        user_id: userId,
        module_version_id: moduleVersionId,
        stage,
        served: JSON.stringify(served),
        started_at: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return row.id;
  });
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
      "v.quiz_settings",
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
export async function submitAttempt(
  db: Kysely<Database>,
  userId: string,
  attemptId: string,
  now: Date = new Date(),
): Promise<Submission> {
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
    const submittedAt = now;
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

/** An option of a reviewed question, with the key: which options are right, and every option's feedback. */
export interface KeyedOption {
  id: string;
  text: LocalisedText;
  chosen: boolean;
  correct: boolean;
  feedback: LocalisedText;
  misconception: string | null;
}

/**
 * An option of a reviewed question without the key: its text and whether the trainee chose it;
 * feedback only on a chosen option that is wrong (why the idea is wrong), or on the chosen options
 * of a question answered right. Nothing says which option is right.
 */
export interface UnkeyedOption {
  id: string;
  text: LocalisedText;
  chosen: boolean;
  feedback: LocalisedText | null;
  misconception: string | null;
}

export interface ReviewItem<O> {
  id: string;
  kind: StoredQuestion["kind"];
  case: LocalisedText | null;
  prompt: LocalisedText;
  right: boolean;
  /** The lesson that teaches the question (final-quiz questions). */
  lesson: { id: string; title: LocalisedText } | null;
  options: O[];
  followUp: { prompt: LocalisedText; options: O[] } | null;
}

type Attempt = Awaited<ReturnType<typeof ownAttempt>>;
export type Review =
  | { attempt: Attempt; keyShown: true; items: ReviewItem<KeyedOption>[] }
  | { attempt: Attempt; keyShown: false; items: ReviewItem<UnkeyedOption>[] };

/**
 * A submitted attempt as it was served, with the trainee's answers, whether each was right and the
 * lesson that teaches it. The key (the right options, every option's feedback) comes with it for
 * the pre-test, and for a final attempt once the person has passed the module version or when the
 * module shows it always (`review: always`); before that, only the feedback on what they chose
 * wrongly: the function never returns the key it does not show.
 */
export async function reviewAttempt(db: Kysely<Database>, userId: string, attemptId: string): Promise<Review> {
  const attempt = await ownAttempt(db, userId, attemptId);
  if (!attempt.submitted_at) throw new DomainError("conflict", "errors.quiz.notSubmitted");
  const [questions, lessons, passed] = await Promise.all([
    loadQuestions(
      db,
      attempt.module_version_id,
      attempt.served.map((s) => s.id),
    ),
    db
      .selectFrom("lessons")
      .select(["lesson_id", "title"])
      .where("module_version_id", "=", attempt.module_version_id)
      .execute(),
    db
      .selectFrom("quiz_attempts")
      .select("id")
      .where("user_id", "=", userId)
      .where("module_version_id", "=", attempt.module_version_id)
      .where("stage", "=", "final")
      .where("passed", "=", true)
      .executeTakeFirst(),
  ]);
  const keyShown =
    attempt.stage === "pretest" || Boolean(passed) || quizSettings(attempt.quiz_settings).review === "always";
  const titles = new Map(lessons.map((l) => [l.lesson_id, l.title]));

  function items<O>(option: (o: StoredQuestion["options"][number], chosen: boolean, right: boolean) => O) {
    return attempt.served.map((s): ReviewItem<O> => {
      const q = questions.get(s.id)!;
      const answer = attempt.answers[s.id];
      const right = isCorrect(q, answer);
      const options = (list: StoredQuestion["options"], order: string[], chosen: string[] = []) =>
        order.map((id) =>
          option(
            list.find((x) => x.id === id)!,
            chosen.includes(id),
            right,
          ),
        );
      return {
        id: q.id,
        kind: q.kind,
        case: q.case ?? null,
        prompt: q.prompt,
        right,
        lesson: q.lesson && titles.has(q.lesson) ? { id: q.lesson, title: titles.get(q.lesson)! } : null,
        options: options(q.options, s.options, answer?.choice),
        followUp:
          q.followUp && s.followUp && answer && followUpApplies(q, answer.choice)
            ? { prompt: q.followUp.prompt, options: options(q.followUp.options, s.followUp, answer.followUp) }
            : null,
      };
    });
  }

  if (keyShown) {
    return {
      attempt,
      keyShown,
      items: items<KeyedOption>((o, chosen) => ({
        id: o.id,
        text: o.text,
        chosen,
        correct: Boolean(o.correct),
        feedback: o.feedback,
        misconception: o.misconception ?? null,
      })),
    };
  }
  return {
    attempt,
    keyShown,
    items: items<UnkeyedOption>((o, chosen, right) => {
      // A chosen option's feedback says whether it is right: shown for a wrong choice, or when the
      // whole question was answered right (which the trainee is told anyway).
      const explain = chosen && (right || !o.correct);
      return {
        id: o.id,
        text: o.text,
        chosen,
        feedback: explain ? o.feedback : null,
        misconception: explain ? (o.misconception ?? null) : null,
      };
    }),
  };
}

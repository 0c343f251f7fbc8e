// The rules between a trainee and the next step of a module, in one place, so that the page that
// shows a step and the function that takes it decide alike: the pre-test before the lessons, the
// lessons to read again after failed attempts, and whether a final attempt may start now (attempt
// limits, the cool-down after a failure, the daily limit in Japan time). Writers that depend on
// these rules hold the learner's lock (lockLearner) while they check and write.
import { sql, type Kysely } from "kysely";
import type { Database, QuizSettings } from "../../../db/schema";
import { ModuleMeta } from "../catalog/content-schema.server";
import { loadQuestions } from "./questions.server";
import { isCorrect } from "./quiz-engine.server";

export type FullQuizSettings = Required<QuizSettings>;

const QuizSettingsSchema = ModuleMeta.shape.quiz;

/**
 * A version's quiz settings with every default filled in: versions synced before a setting existed
 * lack it, and take the content format's default (docs/content-format.md).
 */
export function quizSettings(stored: QuizSettings): FullQuizSettings {
  return QuizSettingsSchema.parse(stored);
}

// The class of the two-key advisory locks taken per learner; the second key is a hash of the
// person and module version. Two-key locks never collide with the one-key locks used elsewhere.
const LEARNER_LOCK_CLASS = 72_130_421;

/**
 * Serialises, until the transaction ends, everything one person does to one module version that a
 * rule depends on (starting an attempt, confirming a lesson), on every instance: concurrent
 * requests then check and write one after another and cannot together exceed a limit.
 */
export async function lockLearner(trx: Kysely<Database>, userId: string, moduleVersionId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(${LEARNER_LOCK_CLASS}::int, hashtext(${`${userId}/${moduleVersionId}`}))`.execute(
    trx,
  );
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Japan has kept UTC+9 all year since 1951.
const TOKYO_OFFSET = 9 * HOUR;

/** The day in Japan (Asia/Tokyo) that `now` falls in: its first moment, and the next day's. */
export function tokyoDay(now: Date): { start: Date; next: Date } {
  const start = Math.floor((now.getTime() + TOKYO_OFFSET) / DAY) * DAY - TOKYO_OFFSET;
  return { start: new Date(start), next: new Date(start + DAY) };
}

/** Whether the person has submitted the module version's pre-test (it comes before the lessons). */
export async function pretestSubmitted(
  db: Kysely<Database>,
  userId: string,
  moduleVersionId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom("quiz_attempts")
    .select("id")
    .where("user_id", "=", userId)
    .where("module_version_id", "=", moduleVersionId)
    .where("stage", "=", "pretest")
    .where("submitted_at", "is not", null)
    .executeTakeFirst();
  return Boolean(row);
}

export interface Revisit {
  /** When the failed attempt that asks for the re-reading was submitted: readings count from then. */
  since: Date;
  /** The lessons that teach the questions missed in that attempt, in teaching order. */
  lessons: string[];
  /** Those not yet read again since. */
  pending: string[];
}

/**
 * The lessons to read again before the next final attempt: from `revisitAfterFailures` failed
 * attempts on (and until the module is passed), the lessons named by the questions missed in the
 * latest failed attempt, each confirmed again (with its minimum reading time) after that attempt.
 */
export async function lessonsToRevisit(
  db: Kysely<Database>,
  userId: string,
  moduleVersionId: string,
  settings: FullQuizSettings,
): Promise<Revisit | null> {
  const finals = await db
    .selectFrom("quiz_attempts")
    .select(["served", "answers", "submitted_at", "passed"])
    .where("user_id", "=", userId)
    .where("module_version_id", "=", moduleVersionId)
    .where("stage", "=", "final")
    .where("submitted_at", "is not", null)
    .orderBy("submitted_at")
    .execute();
  if (finals.some((a) => a.passed)) return null;
  if (finals.length < settings.revisitAfterFailures) return null;
  const last = finals.at(-1)!;
  const questions = await loadQuestions(
    db,
    moduleVersionId,
    last.served.map((s) => s.id),
  );
  const missed = new Set<string>();
  for (const s of last.served) {
    const q = questions.get(s.id);
    if (q?.lesson && !isCorrect(q, last.answers[s.id])) missed.add(q.lesson);
  }
  if (missed.size === 0) return null;
  const since = last.submitted_at!;
  const lessons = await db
    .selectFrom("lessons")
    .select("lesson_id")
    .where("module_version_id", "=", moduleVersionId)
    .where("lesson_id", "in", [...missed])
    .orderBy("position")
    .execute();
  const reread = await db
    .selectFrom("lesson_reads")
    .select("lesson_id")
    .where("user_id", "=", userId)
    .where("module_version_id", "=", moduleVersionId)
    .where("served_at", ">=", since)
    .where("confirmed_at", "is not", null)
    .execute();
  const done = new Set(reread.map((r) => r.lesson_id));
  const ids = lessons.map((l) => l.lesson_id);
  return { since, lessons: ids, pending: ids.filter((id) => !done.has(id)) };
}

export type GateReason = "notReady" | "noAttemptsLeft" | "revisit" | "coolingDown" | "dailyLimit";

/** The message (errors.quiz.*) that explains each refusal; `at` fills it where there is a time. */
export const GATE_MESSAGES: Record<GateReason, string> = {
  notReady: "errors.quiz.notReady",
  noAttemptsLeft: "errors.quiz.noAttemptsLeft",
  revisit: "errors.quiz.revisitFirst",
  coolingDown: "errors.quiz.coolingDown",
  dailyLimit: "errors.quiz.dailyLimit",
};

/** Whether a new final attempt may start now, and if not, why and from when. */
export type FinalGate = { open: true } | { open: false; reason: GateReason; messageKey: string; at?: Date };

function closed(reason: GateReason, at?: Date): FinalGate {
  return { open: false, reason, messageKey: GATE_MESSAGES[reason], ...(at ? { at } : {}) };
}

/**
 * Decides whether the person may start a new final attempt at `now` (an open attempt is simply
 * continued, whatever this says). In order: the pre-test and every lesson first; the module's
 * attempt limit; the lessons to read again; then the later of the cool-down after a failed attempt
 * and the daily limit (attempts started since midnight in Japan), with the time it ends.
 */
export async function finalGate(
  db: Kysely<Database>,
  userId: string,
  moduleVersionId: string,
  settings: FullQuizSettings,
  now: Date,
): Promise<FinalGate> {
  const unread = await db
    .selectFrom("lessons as l")
    .select("l.lesson_id")
    .where("l.module_version_id", "=", moduleVersionId)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("lesson_progress as p")
            .select("p.lesson_id")
            .where("p.user_id", "=", userId)
            .whereRef("p.module_version_id", "=", "l.module_version_id")
            .whereRef("p.lesson_id", "=", "l.lesson_id"),
        ),
      ),
    )
    .limit(1)
    .executeTakeFirst();
  if (unread || !(await pretestSubmitted(db, userId, moduleVersionId))) return closed("notReady");

  const finals = await db
    .selectFrom("quiz_attempts")
    .select(["started_at", "submitted_at", "passed"])
    .where("user_id", "=", userId)
    .where("module_version_id", "=", moduleVersionId)
    .where("stage", "=", "final")
    .orderBy("started_at")
    .execute();
  if (settings.maxAttempts !== null && finals.length >= settings.maxAttempts) return closed("noAttemptsLeft");
  if ((await lessonsToRevisit(db, userId, moduleVersionId, settings))?.pending.length) return closed("revisit");

  const waits: { reason: GateReason; at: Date }[] = [];
  const last = finals
    .filter((a) => a.submitted_at)
    .sort((a, b) => a.submitted_at!.getTime() - b.submitted_at!.getTime())
    .at(-1);
  if (last && last.passed === false && settings.cooldownMinutes > 0) {
    const at = new Date(last.submitted_at!.getTime() + settings.cooldownMinutes * 60_000);
    if (at > now) waits.push({ reason: "coolingDown", at });
  }
  const day = tokyoDay(now);
  const today = finals.filter((a) => a.started_at >= day.start && a.started_at < day.next).length;
  if (today >= settings.maxAttemptsPerDay) waits.push({ reason: "dailyLimit", at: day.next });
  const longest = waits.sort((a, b) => b.at.getTime() - a.at.getTime())[0];
  return longest ? closed(longest.reason, longest.at) : { open: true };
}

// Reading a lesson: when its text was first served to the person (for this reading), and the
// minimum time that must pass before they can confirm it. The rule and its reasons are in
// docs/decisions/011-minimum-reading-time.md; the confirmation itself is completeLesson
// (progress.server.ts).
import type { Kysely } from "kysely";
import { compiledQuery } from "../../../db/compiled-query.server";
import type { Database, Locale } from "../../../db/schema";
import { DomainError } from "../shared/errors.server";
import { lessonsToRevisit, quizSettings } from "./rules.server";

/** A slow reading pace for English: words per minute. */
export const ENGLISH_WORDS_PER_MINUTE = 150;
/**
 * The same slow pace for Japanese, in characters (kanji and kana) per minute: the platform's
 * Japanese editions run to about 2.5 characters per English word, so both editions of a lesson
 * get about the same minimum.
 */
export const JAPANESE_CHARACTERS_PER_MINUTE = 375;
/** The share of that slow reading time a person must let pass before confirming the lesson. */
export const MINIMUM_SHARE = 0.4;

const JAPANESE_CHARACTER = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u30fc\u3005]/gu;
const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu;

/** The words (any Latin-script or other spaced script) and Japanese characters of a lesson's HTML. */
export function readingUnits(html: string): { words: number; japanese: number } {
  const text = html
    .replace(/<[^>]*>/g, " ")
    .replace(/&(?:#\d+|#x[\da-f]+|[a-z]+);/gi, " ")
    .normalize("NFC");
  const japanese = text.match(JAPANESE_CHARACTER)?.length ?? 0;
  const words = text.replace(JAPANESE_CHARACTER, " ").match(WORD)?.length ?? 0;
  return { words, japanese };
}

/** The minimum reading time of a lesson's text, in whole seconds: 40% of a slow reader's time. */
export function minimumReadingSeconds(html: string): number {
  const { words, japanese } = readingUnits(html);
  const minutes = words / ENGLISH_WORDS_PER_MINUTE + japanese / JAPANESE_CHARACTERS_PER_MINUTE;
  return Math.ceil(minutes * 60 * MINIMUM_SHARE);
}

// Lessons never change once synced (the database refuses it), so neither does their minimum.
const minimums = new Map<string, number>();

async function minimumFor(db: Kysely<Database>, moduleVersionId: string, lessonId: string, locale: Locale) {
  const key = `${moduleVersionId}/${lessonId}/${locale}`;
  let seconds = minimums.get(key);
  if (seconds === undefined) {
    const row = await db
      .selectFrom("lessons")
      .select((eb) => eb.ref("html", "->>").key(locale).as("html"))
      .where("module_version_id", "=", moduleVersionId)
      .where("lesson_id", "=", lessonId)
      .executeTakeFirst();
    if (!row?.html) throw new DomainError("not_found", "errors.notFound");
    seconds = minimumReadingSeconds(row.html);
    if (minimums.size > 10_000) minimums.clear();
    minimums.set(key, seconds);
  }
  return seconds;
}

export interface Reading {
  /** Whether the lesson is to be confirmed now: not read yet, or to be read again after failures. */
  needed: boolean;
  /** Read before, and now to be read again. */
  again: boolean;
  /** The reading in progress: when its text was first served, and its minimum in seconds. */
  servedAt: Date | null;
  minSeconds: number | null;
}

const NOT_NEEDED: Reading = { needed: false, again: false, servedAt: null, minSeconds: null };

/**
 * Whether the lesson is to be read (for the first time, or again after failed attempts), and if
 * so the reading in progress. Called when the lesson's text is served to the person: the first
 * time it is served for a reading starts the clock, in the edition served (`locale`: the language
 * of the text actually sent). Viewing it again does not restart the clock.
 */
export async function openLesson(
  db: Kysely<Database>,
  input: { userId: string; moduleVersionId: string; lessonId: string; locale: Locale; now?: Date },
): Promise<Reading> {
  const { userId, moduleVersionId, lessonId, locale } = input;
  const now = input.now ?? new Date();
  const state = await lessonState(db, userId, moduleVersionId, lessonId);
  if (!state.pretest) throw new DomainError("conflict", "errors.lesson.pretestFirst");
  if (state.done && !state.revisitSince) return NOT_NEEDED;
  const since = state.revisitSince;
  if (state.open && (!since || state.open.served_at >= since)) return reading(state.done, state.open);

  const minSeconds = await minimumFor(db, moduleVersionId, lessonId, locale);
  await db
    .insertInto("lesson_reads")
    .values({
      user_id: userId,
      module_version_id: moduleVersionId,
      lesson_id: lessonId,
      locale,
      served_at: now,
      min_seconds: minSeconds,
    })
    .onConflict((oc) => {
      const target = oc.columns(["user_id", "module_version_id", "lesson_id"]).where("confirmed_at", "is", null);
      // A reading left unconfirmed from before the failure that asks for this one starts again.
      return since
        ? target
            .doUpdateSet({ served_at: now, locale, min_seconds: minSeconds })
            .where("lesson_reads.served_at", "<", since)
        : target.doNothing();
    })
    .execute();
  const open = await openReading(db, userId, moduleVersionId, lessonId);
  return open ? reading(state.done, open) : NOT_NEEDED;
}

function reading(done: boolean, open: { served_at: Date; min_seconds: number }): Reading {
  return { needed: true, again: done, servedAt: open.served_at, minSeconds: open.min_seconds };
}

function openReading(db: Kysely<Database>, userId: string, moduleVersionId: string, lessonId: string) {
  return db
    .selectFrom("lesson_reads")
    .select(["id", "served_at", "min_seconds"])
    .where("user_id", "=", userId)
    .where("module_version_id", "=", moduleVersionId)
    .where("lesson_id", "=", lessonId)
    .where("confirmed_at", "is", null)
    .executeTakeFirst();
}

const lessonStateQuery = compiledQuery(
  ["userId", "moduleVersionId", "lessonId"],
  (db, { userId, moduleVersionId, lessonId }: { userId: string; moduleVersionId: string; lessonId: string }) =>
    db
      .selectFrom("module_versions as v")
      .innerJoin("lessons as l", (j) => j.onRef("l.module_version_id", "=", "v.id").on("l.lesson_id", "=", lessonId))
      // At most one reading in progress (a unique index).
      .leftJoin("lesson_reads as r", (j) =>
        j
          .onRef("r.module_version_id", "=", "v.id")
          .onRef("r.lesson_id", "=", "l.lesson_id")
          .on("r.user_id", "=", userId)
          .on("r.confirmed_at", "is", null),
      )
      .select((eb) => [
        "v.quiz_settings",
        "r.id as open_id",
        "r.served_at as open_served_at",
        "r.min_seconds as open_min_seconds",
        eb
          .exists(
            eb
              .selectFrom("quiz_attempts as a")
              .select("a.id")
              .where("a.user_id", "=", userId)
              .whereRef("a.module_version_id", "=", "v.id")
              .where("a.stage", "=", "pretest")
              .where("a.submitted_at", "is not", null),
          )
          .as("pretest"),
        eb
          .exists(
            eb
              .selectFrom("lesson_progress as p")
              .select("p.lesson_id")
              .where("p.user_id", "=", userId)
              .whereRef("p.module_version_id", "=", "v.id")
              .whereRef("p.lesson_id", "=", "l.lesson_id"),
          )
          .as("done"),
        eb
          .exists(
            eb
              .selectFrom("quiz_attempts as a")
              .select("a.id")
              .where("a.user_id", "=", userId)
              .whereRef("a.module_version_id", "=", "v.id")
              .where("a.stage", "=", "final")
              .where("a.passed", "=", false),
          )
          .as("failed"),
      ])
      .where("v.id", "=", moduleVersionId),
);

/**
 * Where a person stands with one lesson: whether the pre-test is done, whether the lesson is,
 * the reading in progress, and, when the lesson is to be read again, since when. One statement,
 * compiled once (the lesson page asks on every view), unless failed attempts may ask for a
 * reading again.
 */
export async function lessonState(db: Kysely<Database>, userId: string, moduleVersionId: string, lessonId: string) {
  const [row] = await lessonStateQuery(db, { userId, moduleVersionId, lessonId });
  if (!row) throw new DomainError("not_found", "errors.notFound");
  let revisitSince: Date | null = null;
  // Only a failed attempt can send a person back to a lesson they have read.
  if (row.done && row.failed) {
    const revisit = await lessonsToRevisit(db, userId, moduleVersionId, quizSettings(row.quiz_settings));
    if (revisit?.pending.includes(lessonId)) revisitSince = revisit.since;
  }
  const open =
    row.open_id && row.open_served_at && row.open_min_seconds !== null
      ? { id: row.open_id, served_at: row.open_served_at, min_seconds: row.open_min_seconds }
      : null;
  return { pretest: Boolean(row.pretest), done: Boolean(row.done), open, revisitSince };
}

// Where a trainee stands in a module (pre-test, lessons, final quiz, completion) and what they
// read in it. Progress is saved on the server at every step.
import { sql, type Kysely } from "kysely";
import { compiledQuery } from "../../../db/compiled-query.server";
import type { Database, Locale } from "../../../db/schema";
import { citedSources } from "../catalog/render-markdown.server";
import { completeCourseIfDone } from "./completions.server";
import { DomainError } from "../shared/errors.server";
import { lessonState } from "./reading.server";
import { finalGate, lessonsToRevisit, lockLearner, quizSettings } from "./rules.server";

export { pretestSubmitted } from "./rules.server";

/** The version of a module that trainees take now: the latest one. */
export async function currentVersion(db: Kysely<Database>, slug: string) {
  return db
    .selectFrom("modules as m")
    .innerJoin("module_versions as v", (j) =>
      j.onRef("v.module_slug", "=", "m.slug").onRef("v.version", "=", "m.latest_version"),
    )
    .select(["v.id", "v.module_slug", "v.version", "v.title", "v.pass_mark", "v.quiz_settings"])
    .where("m.slug", "=", slug)
    .executeTakeFirst();
}

export type ModuleStep = "pretest" | "lessons" | "quiz" | "done";

/**
 * Where the person stands in a module version: each lesson (done, and how long the first reading
 * took), the pre-test, the final attempts (with how long each took), the completion, the lessons
 * to read again after failed attempts, and whether a new final attempt may start at `now` (and if
 * not, why and from when).
 */
export async function moduleState(db: Kysely<Database>, userId: string, moduleVersionId: string, now = new Date()) {
  const [version, lessons, done, reads, attempts, completion] = await Promise.all([
    db
      .selectFrom("module_versions")
      .select("quiz_settings")
      .where("id", "=", moduleVersionId)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom("lessons")
      .select(["lesson_id", "title", "minutes", "content_note"])
      .where("module_version_id", "=", moduleVersionId)
      .orderBy("position")
      .execute(),
    db
      .selectFrom("lesson_progress")
      .select("lesson_id")
      .where("user_id", "=", userId)
      .where("module_version_id", "=", moduleVersionId)
      .execute(),
    db
      .selectFrom("lesson_reads")
      .select(["lesson_id", "served_at", "confirmed_at"])
      .where("user_id", "=", userId)
      .where("module_version_id", "=", moduleVersionId)
      .where("confirmed_at", "is not", null)
      .orderBy("confirmed_at")
      .execute(),
    db
      .selectFrom("quiz_attempts")
      .select(["id", "stage", "started_at", "submitted_at", "score", "passed"])
      .where("user_id", "=", userId)
      .where("module_version_id", "=", moduleVersionId)
      .orderBy("started_at", "desc")
      .execute(),
    db
      .selectFrom("completion_records")
      .select(["id", "score", "completed_at", "expires_at"])
      .where("user_id", "=", userId)
      .where("module_version_id", "=", moduleVersionId)
      .where("kind", "=", "module")
      .orderBy("seq", "desc")
      .limit(1)
      .executeTakeFirst(),
  ]);
  const settings = quizSettings(version.quiz_settings);
  const doneIds = new Set(done.map((d) => d.lesson_id));
  // The first confirmed reading of each lesson: from its text first served to the confirmation.
  const readSeconds = new Map<string, number>();
  for (const r of reads)
    if (!readSeconds.has(r.lesson_id))
      readSeconds.set(r.lesson_id, Math.round((r.confirmed_at!.getTime() - r.served_at.getTime()) / 1000));
  const pretest = attempts.find((a) => a.stage === "pretest");
  const finals = attempts.filter((a) => a.stage === "final");
  const openFinal = finals.find((a) => !a.submitted_at) ?? null;
  const lessonsDone = lessons.every((l) => doneIds.has(l.lesson_id));
  const step: ModuleStep = completion ? "done" : !pretest?.submitted_at ? "pretest" : !lessonsDone ? "lessons" : "quiz";
  const nextLesson = lessons.find((l) => !doneIds.has(l.lesson_id))?.lesson_id ?? null;
  const revisit = step === "quiz" ? await lessonsToRevisit(db, userId, moduleVersionId, settings) : null;
  const gate = step === "quiz" && !openFinal ? await finalGate(db, userId, moduleVersionId, settings, now) : null;
  // Steps: the pre-test, each lesson, the final quiz.
  const totalSteps = lessons.length + 2;
  const stepsDone = (pretest?.submitted_at ? 1 : 0) + doneIds.size + (completion ? 1 : 0);
  return {
    settings,
    lessons: lessons.map((l) => ({
      ...l,
      done: doneIds.has(l.lesson_id),
      readSeconds: readSeconds.get(l.lesson_id) ?? null,
    })),
    pretest: pretest ?? null,
    openFinal,
    finals: finals
      .filter((a) => a.submitted_at)
      .map((a) => ({ ...a, seconds: Math.round((a.submitted_at!.getTime() - a.started_at.getTime()) / 1000) })),
    completion: completion ?? null,
    step,
    nextLesson,
    /** The lessons still to read again before the next attempt, in teaching order. */
    revisit: revisit?.pending.length
      ? lessons
          .filter((l) => revisit.pending.includes(l.lesson_id))
          .map((l) => ({ lesson_id: l.lesson_id, title: l.title }))
      : [],
    gate,
    percent: Math.round((stepsDone * 100) / totalSteps),
  };
}

/**
 * Confirms that the person has read a lesson: its first reading (the lesson is then done), or a
 * reading again that failed attempts asked for. Refused before the pre-test, before the lesson's
 * text was served for this reading, and before its minimum reading time has passed since (with the
 * time left); a refusal records nothing. Confirming a lesson that needs no reading is harmless.
 * Returns what was recorded.
 */
export async function completeLesson(
  db: Kysely<Database>,
  userId: string,
  moduleVersionId: string,
  lessonId: string,
  now: Date = new Date(),
): Promise<"read" | "readAgain" | "nothing"> {
  return db.transaction().execute(async (trx) => {
    await lockLearner(trx, userId, moduleVersionId);
    const state = await lessonState(trx, userId, moduleVersionId, lessonId);
    if (!state.pretest) throw new DomainError("conflict", "errors.lesson.pretestFirst");
    if (state.done && !state.revisitSince) return "nothing";
    const open = state.open;
    if (!open || (state.revisitSince && open.served_at < state.revisitSince))
      throw new DomainError("conflict", "errors.lesson.notOpened");
    const elapsed = (now.getTime() - open.served_at.getTime()) / 1000;
    if (elapsed < open.min_seconds) {
      throw new DomainError("conflict", "errors.lesson.tooEarly", undefined, {
        minimum: { seconds: open.min_seconds },
        elapsed: { seconds: Math.floor(elapsed) },
        left: { seconds: Math.ceil(open.min_seconds - elapsed) },
      });
    }
    await trx.updateTable("lesson_reads").set({ confirmed_at: now }).where("id", "=", open.id).execute();
    if (state.done) return "readAgain";
    await trx
      .insertInto("lesson_progress")
      .values({ user_id: userId, module_version_id: moduleVersionId, lesson_id: lessonId, completed_at: now })
      .onConflict((oc) => oc.doNothing())
      .execute();
    return "read";
  });
}

/** Enrols the person in a course; a course whose modules they have all done is complete at once. */
export async function enrol(db: Kysely<Database>, userId: string, courseSlug: string) {
  await db.transaction().execute(async (trx) => {
    const course = await trx
      .selectFrom("courses")
      .select(["slug", "recertification_months"])
      .where("slug", "=", courseSlug)
      .where("archived_at", "is", null)
      .executeTakeFirst();
    if (!course) throw new DomainError("not_found", "errors.notFound");
    const added = await trx
      .insertInto("enrollments")
      .values({ user_id: userId, course_slug: courseSlug })
      .onConflict((oc) => oc.doNothing())
      .returning("user_id")
      .executeTakeFirst();
    if (added) await completeCourseIfDone(trx, userId, course, new Date());
  });
}

const lessonQuery = compiledQuery(
  ["userId", "slug", "lessonId", "locale"],
  (db, { userId, slug, lessonId, locale }: { userId: string; slug: string; lessonId: string; locale: Locale }) =>
    db
      .with("v", (q) =>
        q
          .selectFrom("modules as m")
          .innerJoin("module_versions as v", (j) =>
            j.onRef("v.module_slug", "=", "m.slug").onRef("v.version", "=", "m.latest_version"),
          )
          .select(["v.id", "v.module_slug", "v.title", "v.sources"])
          .where("m.slug", "=", slug),
      )
      .with("sequence", (q) =>
        q
          .selectFrom("lessons as l")
          .innerJoin("v", "v.id", "l.module_version_id")
          .select((eb) => [
            "l.lesson_id",
            sql<number>`row_number() over (order by l.position) - 1`.as("index"),
            eb.fn.countAll<number>().over().as("total"),
            eb.fn
              .agg<string | null>("lag", ["l.lesson_id"])
              .over((o) => o.orderBy("l.position"))
              .as("previous"),
            eb.fn
              .agg<string | null>("lead", ["l.lesson_id"])
              .over((o) => o.orderBy("l.position"))
              .as("next"),
          ]),
      )
      .selectFrom("v")
      .innerJoin("sequence as s", (j) => j.on("s.lesson_id", "=", lessonId))
      .innerJoin("lessons as l", (j) =>
        j.onRef("l.module_version_id", "=", "v.id").onRef("l.lesson_id", "=", "s.lesson_id"),
      )
      .select((eb) => [
        "v.id as version_id",
        "v.module_slug",
        "v.title as module_title",
        "v.sources",
        "l.lesson_id",
        "l.title",
        "l.minutes",
        "l.content_note",
        // Only the edition shown: the HTML travels to the browser twice (page and its data).
        sql<string>`coalesce(l.html->>${locale}, l.html->>'en')`.as("html"),
        sql<boolean>`l.html ? ${locale}`.as("in_locale"),
        "s.index",
        "s.total",
        "s.previous",
        "s.next",
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
              .where("a.stage", "=", "pretest")
              .where("a.submitted_at", "is not", null),
          )
          .as("pretest_done"),
      ]),
);

/**
 * One lesson of a module's current version as the trainee reads it, in their language (English
 * where the lesson has no edition in it yet), with its place among the lessons, its neighbours,
 * whether it is done and whether the pre-test is. One statement: the page is read often.
 */
export async function lessonForTrainee(
  db: Kysely<Database>,
  userId: string,
  slug: string,
  lessonId: string,
  locale: Locale,
) {
  const [row] = await lessonQuery(db, { userId, slug, lessonId, locale });
  if (!row) return undefined;
  const {
    version_id,
    module_slug,
    module_title,
    sources,
    index,
    total,
    previous,
    next,
    done,
    pretest_done,
    in_locale,
    ...lesson
  } = row;
  return {
    version: { id: version_id, module_slug, title: module_title },
    // The lesson's own citations, which its links point to; the module page lists them all.
    sources: citedSources(lesson.html, sources),
    lesson: { ...lesson, lang: in_locale ? locale : ("en" as const) },
    index: Number(index),
    total: Number(total),
    previous,
    next,
    done,
    pretestDone: pretest_done,
  };
}

export async function isEnrolled(db: Kysely<Database>, userId: string, courseSlug: string): Promise<boolean> {
  const row = await db
    .selectFrom("enrollments")
    .select("user_id")
    .where("user_id", "=", userId)
    .where("course_slug", "=", courseSlug)
    .executeTakeFirst();
  return Boolean(row);
}

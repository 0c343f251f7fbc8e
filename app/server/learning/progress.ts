// Where a trainee stands in a module (pre-test, lessons, final quiz, completion) and in the
// courses they are enrolled in. Progress is saved on the server at every step.
import type { Kysely } from "kysely";
import type { Database } from "../../../db/schema";
import { DomainError } from "../shared/errors";

/** The version of a module that trainees take now: the latest one. */
export async function currentVersion(db: Kysely<Database>, slug: string) {
  return db
    .selectFrom("modules as m")
    .innerJoin("module_versions as v", (j) => j.onRef("v.module_slug", "=", "m.slug").onRef("v.version", "=", "m.latest_version"))
    .select(["v.id", "v.module_slug", "v.version", "v.title", "v.summary", "v.pass_mark", "v.quiz_settings", "v.sources", "v.locales", "v.minutes"])
    .where("m.slug", "=", slug)
    .executeTakeFirst();
}

export type ModuleStep = "pretest" | "lessons" | "quiz" | "done";

export async function moduleState(db: Kysely<Database>, userId: string, moduleVersionId: string) {
  const [lessons, done, attempts, completion] = await Promise.all([
    db.selectFrom("lessons").select(["lesson_id", "title", "minutes", "content_note"]).where("module_version_id", "=", moduleVersionId).orderBy("position").execute(),
    db.selectFrom("lesson_progress").select("lesson_id").where("user_id", "=", userId).where("module_version_id", "=", moduleVersionId).execute(),
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
  const doneIds = new Set(done.map((d) => d.lesson_id));
  const pretest = attempts.find((a) => a.stage === "pretest");
  const finals = attempts.filter((a) => a.stage === "final");
  const lessonsDone = lessons.every((l) => doneIds.has(l.lesson_id));
  const step: ModuleStep = completion ? "done" : !pretest?.submitted_at ? "pretest" : !lessonsDone ? "lessons" : "quiz";
  const nextLesson = lessons.find((l) => !doneIds.has(l.lesson_id))?.lesson_id ?? null;
  // Steps: the pre-test, each lesson, the final quiz.
  const totalSteps = lessons.length + 2;
  const stepsDone = (pretest?.submitted_at ? 1 : 0) + doneIds.size + (completion ? 1 : 0);
  return {
    lessons: lessons.map((l) => ({ ...l, done: doneIds.has(l.lesson_id) })),
    pretest: pretest ?? null,
    openFinal: finals.find((a) => !a.submitted_at) ?? null,
    finals: finals.filter((a) => a.submitted_at),
    completion: completion ?? null,
    step,
    nextLesson,
    percent: Math.round((stepsDone * 100) / totalSteps),
  };
}

/** Marks a lesson done (once; again is harmless). Lessons come after the pre-test. */
export async function completeLesson(db: Kysely<Database>, userId: string, moduleVersionId: string, lessonId: string) {
  const lesson = await db.selectFrom("lessons").select("lesson_id").where("module_version_id", "=", moduleVersionId).where("lesson_id", "=", lessonId).executeTakeFirst();
  if (!lesson) throw new DomainError("not_found", "errors.notFound");
  await db
    .insertInto("lesson_progress")
    .values({ user_id: userId, module_version_id: moduleVersionId, lesson_id: lessonId })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function enrol(db: Kysely<Database>, userId: string, courseSlug: string) {
  const course = await db.selectFrom("courses").select("slug").where("slug", "=", courseSlug).where("archived_at", "is", null).executeTakeFirst();
  if (!course) throw new DomainError("not_found", "errors.notFound");
  await db.insertInto("enrollments").values({ user_id: userId, course_slug: courseSlug }).onConflict((oc) => oc.doNothing()).execute();
}

/** The trainee's courses, each with its modules done (valid completion of any version) and the next one. */
export async function myCourses(db: Kysely<Database>, userId: string) {
  // Two plain queries joined here: cheaper than a correlated subquery per module row.
  const [rows, done] = await Promise.all([
    db
      .selectFrom("enrollments as e")
      .innerJoin("courses as c", "c.slug", "e.course_slug")
      .innerJoin("course_modules as cm", "cm.course_slug", "c.slug")
      .innerJoin("modules as m", "m.slug", "cm.module_slug")
      .innerJoin("module_versions as v", (j) => j.onRef("v.module_slug", "=", "m.slug").onRef("v.version", "=", "m.latest_version"))
      .select(["c.slug as course_slug", "c.title as course_title", "m.slug as module_slug", "v.title as module_title"])
      .where("e.user_id", "=", userId)
      .where("c.archived_at", "is", null)
      .orderBy("e.enrolled_at")
      .orderBy("cm.position")
      .execute(),
    validModuleCompletions(db, userId),
  ]);
  const courses = new Map<string, { slug: string; title: (typeof rows)[number]["course_title"]; modules: { slug: string; title: (typeof rows)[number]["module_title"]; done: boolean }[] }>();
  for (const r of rows) {
    const course = courses.get(r.course_slug) ?? { slug: r.course_slug, title: r.course_title, modules: [] };
    course.modules.push({ slug: r.module_slug, title: r.module_title, done: done.has(r.module_slug) });
    courses.set(r.course_slug, course);
  }
  return [...courses.values()].map((c) => {
    const n = c.modules.filter((m) => m.done).length;
    return { ...c, done: n, percent: Math.round((n * 100) / c.modules.length), next: c.modules.find((m) => !m.done) ?? null };
  });
}

/** Slugs of the modules the person has a completion for that has not expired (any version). */
export async function validModuleCompletions(db: Kysely<Database>, userId: string, at = new Date()): Promise<Set<string>> {
  const rows = await db
    .selectFrom("completion_records as r")
    .innerJoin("module_versions as v", "v.id", "r.module_version_id")
    .select("v.module_slug")
    .distinct()
    .where("r.user_id", "=", userId)
    .where("r.kind", "=", "module")
    .where("r.expires_at", ">", at)
    .execute();
  return new Set(rows.map((r) => r.module_slug));
}

/** The module the trainee last worked on, for "continue where I left off". */
export async function lastActivity(db: Kysely<Database>, userId: string) {
  const row = await db
    .selectFrom(
      db
        .selectFrom("lesson_progress")
        .select(["module_version_id", "completed_at as at"])
        .where("user_id", "=", userId)
        .unionAll(db.selectFrom("quiz_attempts").select(["module_version_id", "started_at as at"]).where("user_id", "=", userId))
        .as("activity"),
    )
    .innerJoin("module_versions as v", "v.id", "activity.module_version_id")
    .select(["v.module_slug", "v.title", "activity.at"])
    .orderBy("activity.at", "desc")
    .limit(1)
    .executeTakeFirst();
  return row ?? null;
}

/** One lesson as the trainee reads it, with its neighbours and whether it is done. */
export async function lessonForTrainee(db: Kysely<Database>, userId: string, moduleVersionId: string, lessonId: string) {
  // Only ids for the neighbours; the (large) HTML only for the lesson being read.
  const ids = await db.selectFrom("lessons").select("lesson_id").where("module_version_id", "=", moduleVersionId).orderBy("position").execute();
  const index = ids.findIndex((l) => l.lesson_id === lessonId);
  if (index === -1) return undefined;
  const [lesson, done, pretest] = await Promise.all([
    db
      .selectFrom("lessons")
      .select(["lesson_id", "title", "minutes", "content_note", "html"])
      .where("module_version_id", "=", moduleVersionId)
      .where("lesson_id", "=", lessonId)
      .executeTakeFirstOrThrow(),
    db.selectFrom("lesson_progress").select("lesson_id").where("user_id", "=", userId).where("module_version_id", "=", moduleVersionId).where("lesson_id", "=", lessonId).executeTakeFirst(),
    pretestSubmitted(db, userId, moduleVersionId),
  ]);
  return {
    lesson,
    index,
    total: ids.length,
    previous: ids[index - 1]?.lesson_id ?? null,
    next: ids[index + 1]?.lesson_id ?? null,
    done: Boolean(done),
    pretestDone: pretest,
  };
}

export async function isEnrolled(db: Kysely<Database>, userId: string, courseSlug: string): Promise<boolean> {
  const row = await db.selectFrom("enrollments").select("user_id").where("user_id", "=", userId).where("course_slug", "=", courseSlug).executeTakeFirst();
  return Boolean(row);
}

/** Whether the person has submitted the module version's pre-test (it comes before the lessons). */
export async function pretestSubmitted(db: Kysely<Database>, userId: string, moduleVersionId: string): Promise<boolean> {
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

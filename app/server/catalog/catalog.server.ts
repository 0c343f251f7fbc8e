// Reading the catalogue: courses, their modules (latest versions), what each addresses in the
// report, and the state of the last content sync.
import { sql, type Kysely } from "kysely";
import type { Database, Profession } from "../../../db/schema";

export async function listCourses(db: Kysely<Database>, profession?: Profession) {
  const courses = await db
    .selectFrom("courses as c")
    .select((eb) => [
      "c.slug",
      "c.title",
      "c.summary",
      "c.professions",
      "c.recertification_months",
      eb
        .selectFrom("course_modules as cm")
        .whereRef("cm.course_slug", "=", "c.slug")
        .select((e) => e.fn.countAll<number>().as("n"))
        .as("module_count"),
      eb
        .selectFrom("course_modules as cm")
        .innerJoin("modules as m", "m.slug", "cm.module_slug")
        .innerJoin("module_versions as v", (j) =>
          j.onRef("v.module_slug", "=", "m.slug").onRef("v.version", "=", "m.latest_version"),
        )
        .whereRef("cm.course_slug", "=", "c.slug")
        .select(sql<number>`coalesce(sum(v.minutes), 0)::int`.as("n"))
        .as("minutes"),
    ])
    .where("c.archived_at", "is", null)
    .orderBy("c.position")
    .execute();
  const rows = courses.map((c) => ({
    ...c,
    module_count: Number(c.module_count ?? 0),
    minutes: Number(c.minutes ?? 0),
  }));
  return profession ? rows.filter((c) => c.professions.includes(profession)) : rows;
}

/**
 * The catalogue as a signed-in reader sees it: the courses written for their profession first,
 * marked, then the rest in the catalogue's order.
 */
export function professionFirst<C extends { professions: readonly string[] }>(courses: C[], profession: Profession) {
  const marked = courses.map((c) => ({ ...c, forProfession: c.professions.includes(profession) }));
  return [...marked.filter((c) => c.forProfession), ...marked.filter((c) => !c.forProfession)];
}

/** The latest version of each module of a course, in the course's order. */
export async function getCourse(db: Kysely<Database>, slug: string) {
  const course = await db
    .selectFrom("courses")
    .selectAll()
    .where("slug", "=", slug)
    .where("archived_at", "is", null)
    .executeTakeFirst();
  if (!course) return undefined;
  const modules = await db
    .selectFrom("course_modules as cm")
    .innerJoin("modules as m", "m.slug", "cm.module_slug")
    .innerJoin("module_versions as v", (j) =>
      j.onRef("v.module_slug", "=", "m.slug").onRef("v.version", "=", "m.latest_version"),
    )
    .select(["m.slug", "v.version", "v.title", "v.summary", "v.minutes", "v.recommendation_ids", "v.locales"])
    .where("cm.course_slug", "=", slug)
    .orderBy("cm.position")
    .execute();
  const recommendations = await recommendationsById(db);
  return {
    course,
    minutes: modules.reduce((sum, m) => sum + m.minutes, 0),
    modules: modules.map((m) => ({
      ...m,
      recommendations: m.recommendation_ids.map((id) => recommendations.get(id)).filter((r) => r !== undefined),
    })),
  };
}

export async function getModule(db: Kysely<Database>, slug: string) {
  const module = await db
    .selectFrom("modules as m")
    .innerJoin("module_versions as v", (j) =>
      j.onRef("v.module_slug", "=", "m.slug").onRef("v.version", "=", "m.latest_version"),
    )
    .select([
      "m.slug",
      "v.id",
      "v.version",
      "v.title",
      "v.summary",
      "v.minutes",
      "v.pass_mark",
      "v.professions",
      "v.sources",
      "v.recommendation_ids",
      "v.locales",
      "v.created_at",
      "v.quiz_settings",
    ])
    .where("m.slug", "=", slug)
    .executeTakeFirst();
  if (!module) return undefined;
  const [lessons, courses, recommendations, pool] = await Promise.all([
    db
      .selectFrom("lessons")
      .select(["lesson_id", "title", "minutes", "content_note"])
      .where("module_version_id", "=", module.id)
      .orderBy("position")
      .execute(),
    db
      .selectFrom("course_modules as cm")
      .innerJoin("courses as c", "c.slug", "cm.course_slug")
      .select(["c.slug", "c.title"])
      .where("cm.module_slug", "=", slug)
      .where("c.archived_at", "is", null)
      .orderBy("c.position")
      .execute(),
    recommendationsById(db),
    db
      .selectFrom("questions")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("module_version_id", "=", module.id)
      .where("stage", "=", "final")
      .executeTakeFirstOrThrow(),
  ]);
  return {
    module,
    lessons,
    courses,
    poolSize: Number(pool.n),
    recommendations: module.recommendation_ids.map((id) => recommendations.get(id)).filter((r) => r !== undefined),
  };
}

async function recommendationsById(db: Kysely<Database>) {
  const rows = await db.selectFrom("recommendations").select(["id", "section", "text"]).orderBy("position").execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** The newest sync and, when that one failed, the last one that succeeded. */
export async function contentStatus(db: Kysely<Database>) {
  const latest = await db.selectFrom("content_syncs").selectAll().orderBy("at", "desc").limit(1).executeTakeFirst();
  const lastGood = latest?.ok
    ? latest
    : await db
        .selectFrom("content_syncs")
        .selectAll()
        .where("ok", "=", true)
        .orderBy("at", "desc")
        .limit(1)
        .executeTakeFirst();
  // Each module by its title (the latest version's), the slug kept for the link.
  const versions = await db
    .selectFrom("modules as m")
    .innerJoin("module_versions as v", (j) =>
      j.onRef("v.module_slug", "=", "m.slug").onRef("v.version", "=", "m.latest_version"),
    )
    .select(["m.slug", "m.latest_version", "v.title"])
    .orderBy("m.slug")
    .execute();
  return { latest, lastGood, versions };
}

/**
 * The course a module page leads back to: the reader's own enrolled course that holds the module
 * (the earliest enrolled), else the first course of the catalogue that does; null when none does.
 */
export async function courseOfModule(db: Kysely<Database>, userId: string, moduleSlug: string) {
  const row = await db
    .selectFrom("course_modules as cm")
    .innerJoin("courses as c", "c.slug", "cm.course_slug")
    .leftJoin("enrollments as e", (j) => j.onRef("e.course_slug", "=", "c.slug").on("e.user_id", "=", userId))
    .select(["c.slug", "c.title"])
    .where("cm.module_slug", "=", moduleSlug)
    .where("c.archived_at", "is", null)
    .orderBy(sql`e.enrolled_at is null`)
    .orderBy("e.enrolled_at")
    .orderBy("c.position")
    .limit(1)
    .executeTakeFirst();
  return row ?? null;
}

/** The misconception vocabulary, by id, for feedback pages. */
export async function misconceptionLabels(db: Kysely<Database>) {
  const rows = await db.selectFrom("misconceptions").select(["id", "label"]).execute();
  return Object.fromEntries(rows.map((r) => [r.id, r.label]));
}

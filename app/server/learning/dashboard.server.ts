// A trainee's home page: their courses with progress and next module, where they left off, and
// their recent certificates. Read in one statement: the page is the one everybody opens first,
// and each round trip costs the server more than the query itself.
import type { Kysely } from "kysely";
import { jsonArrayFrom, jsonObjectFrom } from "kysely/helpers/postgres";
import { compiledQuery } from "../../../db/compiled-query.server";
import type { Database, LocalisedText } from "../../../db/schema";

export interface CourseProgress {
  slug: string;
  title: LocalisedText;
  modules: { slug: string; title: LocalisedText; done: boolean }[];
  /** Modules with a valid (unexpired) completion of any version. */
  done: number;
  percent: number;
  next: { slug: string; title: LocalisedText } | null;
}

const dashboardQuery = compiledQuery(
  ["userId", "at", "certificates"],
  (db, { userId, at, certificates }: { userId: string; at: Date; certificates: number }) =>
    db.selectNoFrom((eb) => [
      jsonArrayFrom(
        eb
          .selectFrom("enrollments as e")
          .innerJoin("courses as c", "c.slug", "e.course_slug")
          .innerJoin("course_modules as cm", "cm.course_slug", "c.slug")
          .innerJoin("modules as m", "m.slug", "cm.module_slug")
          .innerJoin("module_versions as v", (j) =>
            j.onRef("v.module_slug", "=", "m.slug").onRef("v.version", "=", "m.latest_version"),
          )
          .select([
            "c.slug as course_slug",
            "c.title as course_title",
            "m.slug as module_slug",
            "v.title as module_title",
          ])
          .where("e.user_id", "=", userId)
          .where("c.archived_at", "is", null)
          .orderBy("e.enrolled_at")
          .orderBy("cm.position"),
      ).as("modules"),
      jsonArrayFrom(
        eb
          .selectFrom("completion_records as r")
          .innerJoin("module_versions as v", "v.id", "r.module_version_id")
          .select("v.module_slug")
          .distinct()
          .where("r.user_id", "=", userId)
          .where("r.kind", "=", "module")
          .where("r.expires_at", ">", at),
      ).as("done"),
      jsonObjectFrom(
        eb
          .selectFrom(
            eb
              .selectFrom("lesson_progress")
              .select(["module_version_id", "completed_at as at"])
              .where("user_id", "=", userId)
              .unionAll(
                eb
                  .selectFrom("quiz_attempts")
                  .select(["module_version_id", "started_at as at"])
                  .where("user_id", "=", userId),
              )
              .as("activity"),
          )
          .innerJoin("module_versions as v", "v.id", "activity.module_version_id")
          .select(["v.module_slug", "v.title"])
          .orderBy("activity.at", "desc")
          .limit(1),
      ).as("last"),
      jsonArrayFrom(
        eb
          .selectFrom("completion_records as r")
          .innerJoin("courses as c", "c.slug", "r.course_slug")
          .select(["r.certificate_code", "r.course_slug", "c.title", "r.completed_at", "r.expires_at"])
          .where("r.user_id", "=", userId)
          .where("r.kind", "=", "course")
          .orderBy("r.seq", "desc")
          .limit(certificates),
      ).as("certificates"),
    ]),
);

export async function traineeDashboard(db: Kysely<Database>, userId: string, at = new Date(), certificates = 5) {
  const [row] = await dashboardQuery(db, { userId, at, certificates });
  if (!row) throw new Error("the dashboard query returns one row");

  const done = new Set(row.done.map((d) => d.module_slug));
  const courses = new Map<string, Omit<CourseProgress, "done" | "percent" | "next">>();
  for (const r of row.modules) {
    const course = courses.get(r.course_slug) ?? { slug: r.course_slug, title: r.course_title, modules: [] };
    course.modules.push({ slug: r.module_slug, title: r.module_title, done: done.has(r.module_slug) });
    courses.set(r.course_slug, course);
  }
  return {
    courses: [...courses.values()].map((c): CourseProgress => {
      const n = c.modules.filter((m) => m.done).length;
      return {
        ...c,
        done: n,
        percent: Math.round((n * 100) / c.modules.length),
        next: c.modules.find((m) => !m.done) ?? null,
      };
    }),
    last: row.last,
    // JSON carries timestamps as text.
    certificates: row.certificates.map((c) => ({
      ...c,
      completed_at: new Date(c.completed_at),
      expires_at: new Date(c.expires_at),
    })),
  };
}

// Certificates: the course completion records seen from outside. The public verification says
// who, which course, when and whether it is still valid — nothing more.
import type { Kysely } from "kysely";
import type { Database } from "../../../db/schema";

export const CERTIFICATE_CODE = /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/;

/** The certificate a passing attempt earned, if it completed a course. */
export async function certificateFor(db: Kysely<Database>, userId: string, attemptId: string) {
  const moduleRecord = await db
    .selectFrom("completion_records")
    .select(["completed_at"])
    .where("attempt_id", "=", attemptId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  if (!moduleRecord) return null;
  const course = await db
    .selectFrom("completion_records")
    .select(["certificate_code", "course_slug"])
    .where("user_id", "=", userId)
    .where("kind", "=", "course")
    .where("completed_at", "=", moduleRecord.completed_at)
    .executeTakeFirst();
  return course?.certificate_code ? { code: course.certificate_code, course: course.course_slug! } : null;
}

export async function verifyCertificate(db: Kysely<Database>, code: string) {
  if (!CERTIFICATE_CODE.test(code)) return null;
  const row = await db
    .selectFrom("completion_records as r")
    .innerJoin("users as u", "u.id", "r.user_id")
    .innerJoin("courses as c", "c.slug", "r.course_slug")
    .select(["u.display_name", "c.title", "r.completed_at", "r.expires_at"])
    .where("r.kind", "=", "course")
    .where("r.certificate_code", "=", code)
    .executeTakeFirst();
  if (!row) return null;
  return {
    name: row.display_name,
    course: row.title,
    completedAt: row.completed_at,
    expiresAt: row.expires_at,
    valid: row.expires_at > new Date(),
  };
}

/** Everything the PDF shows, for the holder or for someone allowed to see their records. */
export async function certificateDetails(db: Kysely<Database>, code: string) {
  if (!CERTIFICATE_CODE.test(code)) return null;
  const row = await db
    .selectFrom("completion_records as r")
    .innerJoin("users as u", "u.id", "r.user_id")
    .innerJoin("courses as c", "c.slug", "r.course_slug")
    .select([
      "r.user_id",
      "u.agency_id",
      "u.display_name",
      "c.title",
      "r.completed_at",
      "r.expires_at",
      "r.details",
      "r.certificate_code",
    ])
    .where("r.kind", "=", "course")
    .where("r.certificate_code", "=", code)
    .executeTakeFirst();
  if (!row) return null;
  const listed = (row.details.modules ?? []) as { module: string; version: number; completedAt: string }[];
  const titles = await db
    .selectFrom("module_versions")
    .select(["module_slug", "version", "title"])
    .where((eb) => eb.or(listed.map((m) => eb.and([eb("module_slug", "=", m.module), eb("version", "=", m.version)]))))
    .execute();
  const title = (slug: string, version: number) =>
    titles.find((t) => t.module_slug === slug && t.version === version)?.title ?? { en: slug };
  return {
    userId: row.user_id,
    agencyId: row.agency_id,
    data: {
      name: row.display_name,
      course: row.title,
      modules: listed.map((m) => ({
        title: title(m.module, m.version),
        version: m.version,
        completedAt: new Date(m.completedAt),
      })),
      completedAt: row.completed_at,
      expiresAt: row.expires_at,
      code: row.certificate_code!,
    },
  };
}

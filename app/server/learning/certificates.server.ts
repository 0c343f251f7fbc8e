// Certificates: the course completion records seen from outside. The public verification says
// who, of which agency, which course, when and whether it is still valid — nothing more.
import { sql, type Kysely } from "kysely";
import type { Database } from "../../../db/schema";

/**
 * A certificate code as stored: 28 characters in seven groups of four (140 bits), or 12 in three
 * groups (60 bits) on certificates issued before; both verify, as they are on paper.
 */
export const CERTIFICATE_CODE = /^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){2}((-[0-9A-HJKMNP-TV-Z]{4}){4})?$/;

/**
 * A code as a person types it from paper: any case, with or without dashes or spaces, and the
 * letters Crockford's alphabet reads as digits (O as 0, I and L as 1). Null when it cannot be one.
 */
export function normaliseCertificateCode(input: string): string | null {
  const plain = input
    .normalize("NFKC") // full-width letters and digits, as a Japanese keyboard may type them
    .toUpperCase()
    .replace(/[\s\-‐-―ー－.]/g, "")
    .replace(/O/g, "0")
    .replace(/[IL]/g, "1");
  if (!/^([0-9A-HJKMNP-TV-Z]{12}|[0-9A-HJKMNP-TV-Z]{28})$/.test(plain)) return null;
  return plain.replace(/(.{4})(?!$)/g, "$1-");
}

/**
 * The certificate a passing attempt earned, if it completed a course: the course record that names
 * the attempt's module record among the records it rests on.
 */
export async function certificateFor(db: Kysely<Database>, userId: string, attemptId: string) {
  const course = await db
    .selectFrom("completion_records as m")
    .innerJoin("completion_records as c", (j) =>
      j
        .onRef("c.user_id", "=", "m.user_id")
        .on("c.kind", "=", "course")
        .on(
          sql<boolean>`c.details @> jsonb_build_object('modules', jsonb_build_array(jsonb_build_object('record', m.id)))`,
        ),
    )
    .select(["c.certificate_code", "c.course_slug"])
    .where("m.attempt_id", "=", attemptId)
    .where("m.user_id", "=", userId)
    .where("m.kind", "=", "module")
    .orderBy("c.seq")
    .executeTakeFirst();
  return course?.certificate_code ? { code: course.certificate_code, course: course.course_slug! } : null;
}

/** The name fixed in the record at issue; records issued before names were fixed fall back to today's. */
const issuedTo = (row: { details: Record<string, unknown>; display_name: string }) =>
  typeof row.details.holderName === "string" ? row.details.holderName : row.display_name;

/** The agency fixed in the record at issue; older records fall back to the holder's agency today. */
const issuedAt = (row: { details: Record<string, unknown>; agency_name: string }) =>
  typeof row.details.holderAgency === "string" ? row.details.holderAgency : row.agency_name;

export async function verifyCertificate(db: Kysely<Database>, code: string) {
  if (!CERTIFICATE_CODE.test(code)) return null;
  const row = await db
    .selectFrom("completion_records as r")
    .innerJoin("users as u", "u.id", "r.user_id")
    .innerJoin("agencies as a", "a.id", "u.agency_id")
    .innerJoin("courses as c", "c.slug", "r.course_slug")
    .select(["u.display_name", "a.name as agency_name", "c.title", "r.completed_at", "r.expires_at", "r.details"])
    .where("r.kind", "=", "course")
    .where("r.certificate_code", "=", code)
    .executeTakeFirst();
  if (!row) return null;
  return {
    name: issuedTo(row),
    agency: issuedAt(row),
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
    .innerJoin("agencies as a", "a.id", "u.agency_id")
    .innerJoin("courses as c", "c.slug", "r.course_slug")
    .select([
      "r.user_id",
      "u.agency_id",
      "a.name as agency_name",
      "u.display_name",
      "c.title",
      "r.completed_at",
      "r.expires_at",
      "r.details",
      "r.certificate_code",
      sql<string[]>`array(select m.group_id from group_members m where m.user_id = r.user_id)`.as("group_ids"),
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
    /** The holder's groups: their trainers may see the certificate. */
    groupIds: row.group_ids,
    data: {
      name: issuedTo(row),
      agency: issuedAt(row),
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

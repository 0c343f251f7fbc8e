// One person's record page: who they are (enough for the policy to decide), and every module and
// course record they hold with the exact version taken and whether its place in the chain checks out.
import { sql, type Kysely } from "kysely";
import { compiledQuery } from "../../../db/compiled-query.server";
import type { Database, LocalisedText } from "../../../db/schema";
import type { AuditEntry } from "../audit.server";
import { placeOf, recordsWithNeighbours } from "./integrity.server";

// Both statements are compiled once (ADR 003): the page is opened from every cell of the matrix
// and every row of the records list, and building them cost more than running them.
const personQuery = compiledQuery(["userId"], (db, { userId }: { userId: string }) =>
  db
    .selectFrom("users as u")
    .innerJoin("agencies as a", "a.id", "u.agency_id")
    .select([
      "u.id",
      "u.display_name",
      "u.email",
      "u.profession",
      "u.agency_id",
      "u.disabled_at",
      "a.name as agency_name",
      sql<
        { id: string; name: string }[]
      >`coalesce((select json_agg(json_build_object('id', g.id, 'name', g.name) order by g.name)
        from group_members m join groups g on g.id = m.group_id where m.user_id = u.id), '[]')`.as("groups"),
    ])
    .where("u.id", "=", userId),
);

/** The person, their agency and groups; undefined when there is no such person. */
export async function personForReview(db: Kysely<Database>, userId: string) {
  return (await personQuery(db, { userId }))[0];
}

const recordsQuery = compiledQuery(["userId"], (db, { userId }: { userId: string }) =>
  recordsWithNeighbours(db)
    .leftJoin("module_versions as mv", "mv.id", "r.module_version_id")
    .leftJoin("courses as c", "c.slug", "r.course_slug")
    .select(["mv.module_slug", "mv.version as module_version", "mv.title as module_title", "c.title as course_title"])
    .where("r.user_id", "=", userId)
    .orderBy("r.seq", "desc"),
);

/** The statement behind personRecords: the person's records with their chain neighbours, newest first. */
export function personRecordRows(db: Kysely<Database>, userId: string) {
  return recordsQuery(db, { userId });
}

/**
 * Every record the person holds, newest first, each with its place in the chain checked; one
 * statement. The page audits someone else opening them (recordsViewed).
 */
export async function personRecords(db: Kysely<Database>, userId: string) {
  const rows = await personRecordRows(db, userId);
  return rows.map((r) => ({
    id: r.id,
    seq: r.seq,
    kind: r.kind,
    moduleSlug: r.module_slug,
    moduleVersion: r.module_version,
    moduleTitle: r.module_title as LocalisedText | null,
    courseSlug: r.course_slug,
    courseTitle: r.course_title as LocalisedText | null,
    score: r.score,
    pretestScore: r.pretest_score,
    startedAt: r.started_at,
    completedAt: r.completed_at,
    expiresAt: r.expires_at,
    certificateCode: r.certificate_code,
    holderName: typeof r.details.holderName === "string" ? r.details.holderName : null,
    place: placeOf(r),
  }));
}

/**
 * The audit event of someone else opening a person's records (record views by others): who, whose,
 * the person's agency, when, how many records were shown. Undefined when people open their own.
 */
export function recordsViewed(input: {
  actorId: string;
  userId: string;
  agencyId: string;
  records: number;
  at: Date;
}): AuditEntry | undefined {
  if (input.actorId === input.userId) return undefined;
  return {
    actorId: input.actorId,
    agencyId: input.agencyId,
    action: "records.viewed",
    subjectType: "user",
    subjectId: input.userId,
    details: { records: input.records },
    at: input.at,
  };
}

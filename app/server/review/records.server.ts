// An agency's completion records as a reviewer reads them: filtered, newest first, a page at a time
// by keyset (the chain's sequence number), always through the reader's scope. The page and the
// exports read the same query, so an export holds exactly what the page lists.
import { sql, type Kysely } from "kysely";
import type { Database, LocalisedText } from "../../../db/schema";
import { groupInScope, personInScope, type Scope } from "../auth/scope.server";
import { dayEnd, dayStart, type RecordFilter } from "./filters.server";

export const PAGE_SIZE = 50;

export interface RecordRow {
  seq: number;
  id: string;
  kind: "module" | "course";
  user_id: string;
  display_name: string;
  email: string;
  agency_name: string;
  module_slug: string | null;
  module_version: number | null;
  module_title: LocalisedText | null;
  course_slug: string | null;
  course_title: LocalisedText | null;
  score: number | null;
  pretest_score: number | null;
  started_at: Date | null;
  completed_at: Date;
  expires_at: Date;
  certificate_code: string | null;
}

/** Up to `limit` records of the scope that pass the filter, after the cursor, newest first: one statement. */
export async function recordRows(
  db: Kysely<Database>,
  scope: Scope,
  filter: RecordFilter,
  limit: number,
  now = new Date(),
): Promise<RecordRow[]> {
  let q = db
    .selectFrom("completion_records as r")
    .innerJoin("users as u", "u.id", "r.user_id")
    .innerJoin("agencies as a", "a.id", "u.agency_id")
    .leftJoin("module_versions as mv", "mv.id", "r.module_version_id")
    .leftJoin("courses as c", "c.slug", "r.course_slug")
    .select([
      "r.seq",
      "r.id",
      "r.kind",
      "r.user_id",
      "u.display_name",
      "u.email",
      "a.name as agency_name",
      "mv.module_slug",
      "mv.version as module_version",
      "mv.title as module_title",
      "r.course_slug",
      "c.title as course_title",
      "r.score",
      "r.pretest_score",
      "r.started_at",
      "r.completed_at",
      "r.expires_at",
      "r.certificate_code",
    ])
    .where(personInScope(scope));
  const f = filter;
  if (f.agency) q = q.where("u.agency_id", "=", f.agency);
  if (f.group)
    q = q.where(({ exists, selectFrom }) =>
      exists(
        selectFrom("group_members as gm")
          .select("gm.user_id")
          .whereRef("gm.user_id", "=", "u.id")
          .where("gm.group_id", "=", f.group!),
      ),
    );
  if (f.course)
    // A course's certificate and the records of the modules it is made of.
    q = q.where((eb) =>
      eb.or([
        eb("r.course_slug", "=", f.course!),
        eb(
          "mv.module_slug",
          "in",
          eb.selectFrom("course_modules as cm").select("cm.module_slug").where("cm.course_slug", "=", f.course!),
        ),
      ]),
    );
  if (f.module) q = q.where("mv.module_slug", "=", f.module);
  if (f.kind) q = q.where("r.kind", "=", f.kind);
  if (f.status === "current") q = q.where("r.expires_at", ">", now);
  if (f.status === "expired") q = q.where("r.expires_at", "<=", now);
  if (f.from) q = q.where("r.completed_at", ">=", dayStart(f.from));
  if (f.to) q = q.where("r.completed_at", "<", dayEnd(f.to));
  if (f.q) {
    const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) => eb.or([eb("u.display_name", "ilike", like), eb("u.email", "ilike", like)]));
  }
  if (f.after) q = q.where("r.seq", "<", f.after);
  return (await q.orderBy("r.seq", "desc").limit(limit).execute()) as RecordRow[];
}

export interface FilterOptions {
  agencies: { id: string; name: string }[];
  groups: { id: string; name: string; agency_name: string }[];
  courses: { slug: string; title: LocalisedText }[];
  modules: { slug: string; title: LocalisedText }[];
}

/** What the filter's menus offer: the groups of the scope, the catalogue, agencies for an admin. One statement. */
export async function filterOptions(db: Kysely<Database>, scope: Scope): Promise<FilterOptions> {
  const row = await db
    .selectNoFrom((eb) => [
      eb
        .selectFrom("groups as g")
        .innerJoin("agencies as a", "a.id", "g.agency_id")
        .where(groupInScope(scope))
        .select(
          sql<
            FilterOptions["groups"]
          >`coalesce(json_agg(json_build_object('id', g.id, 'name', g.name, 'agency_name', a.name) order by a.name, g.name), '[]')`.as(
            "x",
          ),
        )
        .as("groups"),
      eb
        .selectFrom("courses as c")
        .select(
          sql<
            FilterOptions["courses"]
          >`coalesce(json_agg(json_build_object('slug', c.slug, 'title', c.title) order by c.position), '[]')`.as("x"),
        )
        .as("courses"),
      eb
        .selectFrom("modules as m")
        .innerJoin("module_versions as mv", (j) =>
          j.onRef("mv.module_slug", "=", "m.slug").onRef("mv.version", "=", "m.latest_version"),
        )
        .select(
          sql<
            FilterOptions["modules"]
          >`coalesce(json_agg(json_build_object('slug', m.slug, 'title', mv.title) order by m.slug), '[]')`.as("x"),
        )
        .as("modules"),
      eb
        .selectFrom("agencies as ag")
        .where(scope.kind === "all" ? sql<boolean>`true` : sql<boolean>`false`)
        .select(
          sql<
            FilterOptions["agencies"]
          >`coalesce(json_agg(json_build_object('id', ag.id, 'name', ag.name) order by ag.name), '[]')`.as("x"),
        )
        .as("agencies"),
    ])
    .executeTakeFirstOrThrow();
  return {
    agencies: row.agencies ?? [],
    groups: row.groups ?? [],
    courses: row.courses ?? [],
    modules: row.modules ?? [],
  };
}

/** One page of the list and its menus: two statements, whatever the page holds. */
export async function recordsPage(db: Kysely<Database>, scope: Scope, filter: RecordFilter, now = new Date()) {
  const [options, rows] = await Promise.all([
    filterOptions(db, scope),
    recordRows(db, scope, filter, PAGE_SIZE + 1, now),
  ]);
  const more = rows.length > PAGE_SIZE;
  const records = rows.slice(0, PAGE_SIZE);
  return { options, records, next: more ? records[records.length - 1]!.seq : null };
}

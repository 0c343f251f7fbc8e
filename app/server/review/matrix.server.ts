// The training matrix: the people a reader may see (rows) × the courses and modules required of them
// (columns), each cell one standing in words. Cells come from `assigneeStates` and `standing`
// (app/server/assignments/status.server.ts), the one definition of where an obligation stands, so a
// cell and the trainer's pages and reminders never disagree. A page — its menus, the counts per
// column and per status over every matching row, and one keyset page of rows — is one statement;
// an export reads the same rows a batch per statement.
import { expressionBuilder, sql, type Expression, type Kysely, type SqlBool } from "kysely";
import type { Database, LocalisedText } from "../../../db/schema";
import { STANDINGS, assigneeStates, standing, type Standing } from "../assignments/status.server";
import { groupInScope, personInScope, type Scope } from "../auth/scope.server";
import { tokyoDate } from "../shared/days.server";
import type { MatrixFilter } from "./filters.server";

export const MATRIX_PAGE_SIZE = 50;
export const DEFAULT_WINDOW_DAYS = 60;

/** One cell: its standing, the obligation's due day ('YYYY-MM-DD') and the record's expiry (ISO 8601). */
export type Cell = [Exclude<Standing, "not_required">, string | null, string | null];

export interface MatrixRow {
  id: string;
  display_name: string;
  email: string;
  agency_name: string;
  /** By column key ("course:<slug>" or "module:<slug>"); a column missing here is not required. */
  cells: Record<string, Cell>;
}

export interface MatrixColumn {
  key: string;
  title: LocalisedText;
}

// A person reached twice for one column (by their group and by their profession, say) gets the
// more urgent of the two cells; of two alike, the one due first.
const WORST_FIRST = ["overdue", "expired", "expiring", "in_progress", "not_started", "current"];

const columnKey = sql<string>`(case when s.course_slug is not null then 'course:' || s.course_slug
  else 'module:' || s.module_slug end)`;

/** The people of `users as u` the scope and the person filters keep. */
function peopleFilter(scope: Scope, f: MatrixFilter): Expression<SqlBool> {
  const eb = expressionBuilder<Database & { u: Database["users"] }, "u">();
  const conditions: Expression<SqlBool>[] = [personInScope(scope)(eb), eb("u.disabled_at", "is", null)];
  if (f.agency) conditions.push(eb("u.agency_id", "=", f.agency));
  if (f.profession) conditions.push(eb("u.profession", "=", f.profession));
  if (f.group)
    conditions.push(
      eb.exists(
        eb
          .selectFrom("group_members as gm")
          .select("gm.user_id")
          .whereRef("gm.user_id", "=", "u.id")
          .where("gm.group_id", "=", f.group),
      ),
    );
  if (f.q) {
    const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    conditions.push(eb.or([eb("u.display_name", "ilike", like), eb("u.email", "ilike", like)]));
  }
  return eb.and(conditions);
}

/**
 * Every row of the matrix the filter keeps, unordered: each person of the scope with at least one
 * live obligation (in the filter's column, when it names one), with their cells as JSON, read per
 * person through the index on their obligations. Order and limit are the caller's.
 */
export function matrixRows(db: Kysely<Database>, scope: Scope, f: MatrixFilter, now: Date) {
  const today = tokyoDate(now);
  const cells = sql<{ cells: Record<string, Cell> | null; has_status: boolean }>`(
    select jsonb_object_agg(d.col, jsonb_build_array(d.standing, d.due_on, d.expires_at)) as cells,
      coalesce(bool_or(d.standing = ${f.status ?? null}::text), false) as has_status
    from (
      select distinct on (o.col) o.col, o.standing, o.due_on, o.expires_at
      from (
        select ${columnKey} as col, ${standing(today, now, f.window ?? DEFAULT_WINDOW_DAYS)} as standing,
          s.due_on, s.expires_at
        -- "offset 0" keeps this one person's states a subquery of their own, so that each state
        -- (with its look-ups of attempts and lessons) is worked out once, not once per mention.
        from (select * from (${assigneeStates(db, today)}) s0 where s0.user_id = u.id offset 0) s
      ) o
      where ${f.course ? sql`o.col = ${f.course}` : sql`true`}
      order by o.col, array_position(${WORST_FIRST}::text[], o.standing::text), o.due_on nulls last
    ) d
  )`;
  let q = db
    .selectFrom("users as u")
    .innerJoin("agencies as ag", "ag.id", "u.agency_id")
    .innerJoinLateral(cells.as("c"), (join) => join.onTrue())
    .select(["u.id", "u.display_name", "u.email", "ag.name as agency_name", "c.cells"])
    .where(peopleFilter(scope, f))
    .where("c.cells", "is not", null);
  if (f.status) q = q.where("c.has_status", "=", true);
  return q;
}

/** The columns of a set of rows (a CTE `m` of matrixRows): courses in catalogue order, then modules. */
const columnsOf = sql<MatrixColumn[]>`(
  select coalesce(json_agg(json_build_object('key', k.col, 'title', coalesce(c.title, mv.title))
    order by c.position nulls last, k.col), '[]'::json)
  from (select distinct jsonb_object_keys(m.cells) as col from m) k
  left join courses c on k.col = 'course:' || c.slug
  left join modules mo on k.col = 'module:' || mo.slug
  left join module_versions mv on mv.module_slug = mo.slug and mv.version = mo.latest_version
)`;

/** The columns a filter's rows need: one statement (the export's header). */
export async function matrixColumns(db: Kysely<Database>, scope: Scope, f: MatrixFilter, now: Date) {
  const row = await db
    .with("m", () => matrixRows(db, scope, f, now))
    .selectNoFrom(columnsOf.as("columns"))
    .executeTakeFirstOrThrow();
  return row.columns;
}

/** Up to `limit` rows by name and id after the cursor: one statement (the export's batches). */
export async function matrixBatch(
  db: Kysely<Database>,
  scope: Scope,
  f: MatrixFilter,
  after: { name: string; id: string } | undefined,
  limit: number,
  now: Date,
): Promise<MatrixRow[]> {
  let q = matrixRows(db, scope, f, now);
  if (after) q = q.where(sql<boolean>`(u.display_name, u.id) > (${after.name}, ${after.id}::uuid)`);
  return (await q.orderBy("u.display_name").orderBy("u.id").limit(limit).execute()) as MatrixRow[];
}

export interface MatrixOptions {
  agencies: { id: string; name: string }[];
  groups: { id: string; name: string; agency_name: string }[];
  /** Every column of the reader's scope, whatever the filter: the course menu. */
  columns: MatrixColumn[];
}

type Counts = Record<Standing, number>;
const zero = (): Counts => Object.fromEntries(STANDINGS.map((s) => [s, 0])) as Counts;

/**
 * One page of the matrix in one statement: the menus, how many people match, the columns with a
 * count per status, and up to MATRIX_PAGE_SIZE rows after the cursor (a person's id) by name.
 */
export async function matrixPage(db: Kysely<Database>, scope: Scope, filter: MatrixFilter, now = new Date()) {
  const { after, ...f } = filter;
  const cursor = after
    ? sql<boolean>`(m.display_name, m.id) > (select x.display_name, x.id from users x where x.id = ${after}::uuid)`
    : sql<boolean>`true`;
  // The columns of the scope, for the menu: live assignments that reach someone the reader sees.
  const scopeColumns = db
    .selectFrom("assignments as a")
    .where("a.ended_at", "is", null)
    .where((eb) =>
      scope.kind === "agency" || scope.kind === "groups" ? eb("a.agency_id", "=", scope.agencyId) : eb.lit(true),
    )
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom("assignees as p")
          .innerJoin("users as u", "u.id", "p.user_id")
          .select("p.id")
          .whereRef("p.assignment_id", "=", "a.id")
          .where("p.ended_at", "is", null)
          .where(personInScope(scope)),
      ),
    )
    .select(sql<string>`coalesce('course:' || a.course_slug, 'module:' || a.module_slug)`.as("col"))
    .distinct();
  const row = await db
    .with("m", () => matrixRows(db, scope, f, now))
    .selectNoFrom((eb) => [
      sql<number>`(select count(*)::int from m)`.as("total"),
      sql<Record<string, number> | null>`(select jsonb_object_agg(x.k, x.n) from (
        select e.key || ' ' || (e.value ->> 0) as k, count(*)::int as n
        from m cross join lateral jsonb_each(m.cells) e group by 1) x)`.as("counts"),
      columnsOf.as("columns"),
      sql<MatrixRow[]>`(select coalesce(json_agg(p order by p.display_name, p.id), '[]'::json) from (
        select m.id, m.display_name, m.email, m.agency_name, m.cells from m where ${cursor}
        order by m.display_name, m.id limit ${MATRIX_PAGE_SIZE + 1}) p)`.as("rows"),
      sql<MatrixColumn[]>`(
        select coalesce(json_agg(json_build_object('key', k.col, 'title', coalesce(c.title, mv.title))
          order by c.position nulls last, k.col), '[]'::json)
        from (${scopeColumns}) k
        left join courses c on k.col = 'course:' || c.slug
        left join modules mo on k.col = 'module:' || mo.slug
        left join module_versions mv on mv.module_slug = mo.slug and mv.version = mo.latest_version
      )`.as("scope_columns"),
      eb
        .selectFrom("groups as g")
        .innerJoin("agencies as a", "a.id", "g.agency_id")
        .where(groupInScope(scope))
        .select(
          sql<MatrixOptions["groups"]>`coalesce(json_agg(json_build_object('id', g.id, 'name', g.name,
            'agency_name', a.name) order by a.name, g.name), '[]')`.as("x"),
        )
        .as("groups"),
      eb
        .selectFrom("agencies as ag")
        .where(scope.kind === "all" ? sql<boolean>`true` : sql<boolean>`false`)
        .select(
          sql<
            MatrixOptions["agencies"]
          >`coalesce(json_agg(json_build_object('id', ag.id, 'name', ag.name) order by ag.name), '[]')`.as("x"),
        )
        .as("agencies"),
    ])
    .executeTakeFirstOrThrow();

  const counts = row.counts ?? {};
  const totals = zero();
  const columns = row.columns.map((column) => {
    const byStatus = zero();
    let required = 0;
    for (const s of STANDINGS) {
      if (s === "not_required") continue;
      byStatus[s] = counts[`${column.key} ${s}`] ?? 0;
      required += byStatus[s];
    }
    byStatus.not_required = row.total - required;
    for (const s of STANDINGS) totals[s] += byStatus[s];
    return { ...column, counts: byStatus };
  });
  const more = row.rows.length > MATRIX_PAGE_SIZE;
  const rows = row.rows.slice(0, MATRIX_PAGE_SIZE);
  return {
    total: row.total,
    columns,
    totals,
    rows,
    next: more ? rows[rows.length - 1]!.id : null,
    options: {
      agencies: row.agencies ?? [],
      groups: row.groups ?? [],
      columns: row.scope_columns,
    } satisfies MatrixOptions,
  };
}

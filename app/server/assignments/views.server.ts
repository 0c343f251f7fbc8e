// What people see of assignments: the trainee's "assigned to you", the trainer's assignments with
// counts per state, and one assignment's people. Each page reads in a fixed number of statements,
// whatever the number of people, and every list goes through the reader's scope.
import { expressionBuilder, sql, type Compilable, type Expression, type Kysely, type RawBuilder } from "kysely";
import { compiledQuery } from "../../../db/compiled-query.server";
import type { Database, LocalisedText } from "../../../db/schema";
import type { Actor } from "../auth/policy.server";
import { groupInScope, personInScope, scopeFor, type Scope } from "../auth/scope.server";
import { tokyoDate } from "../shared/days.server";
import { groupsInScope } from "../training/group-trainers.server";
import { ASSIGNEE_STATES, assigneeStates, type AssigneeState } from "./status.server";

export const PEOPLE_PAGE_SIZE = 50;

const titleOf = sql<LocalisedText>`coalesce(
  (select c.title from courses c where c.slug = s.course_slug),
  (select mv.title from module_versions mv join modules m on m.slug = mv.module_slug and mv.version = m.latest_version
    where mv.module_slug = s.module_slug))`;

/** The person's open obligations, soonest due first: overdue and renewal-due marked, who assigned it, the note. */
export async function assignedTo(db: Kysely<Database>, userId: string, now = new Date()) {
  return db
    .selectFrom(assigneeStates(db, tokyoDate(now)).as("s"))
    .leftJoin("users as by", "by.id", "s.assigned_by")
    .select([
      "s.assignment_id",
      "s.course_slug",
      "s.module_slug",
      "s.due_on",
      "s.state",
      "s.note",
      "by.display_name as assigned_by_name",
      titleOf.as("title"),
    ])
    .where("s.user_id", "=", userId)
    .where("s.state", "<>", "completed")
    .orderBy("s.due_on")
    .orderBy("s.assignment_id")
    .execute();
}

/** Which assignments a reader follows: all (admin), the agency's (reviewer), their groups' and their own (trainer). */
function assignmentsInScope(scope: Scope, actorId: string) {
  switch (scope.kind) {
    case "all":
      return sql<boolean>`true`;
    case "none":
      return sql<boolean>`false`;
    case "agency":
      return sql<boolean>`a.agency_id = ${scope.agencyId}::uuid`;
    case "groups":
      return sql<boolean>`a.agency_id = ${scope.agencyId}::uuid
        and (a.group_id = any(${scope.groupIds}::uuid[]) or a.assigned_by = ${actorId}::uuid)`;
  }
}

export type StateCounts = Record<AssigneeState, number>;

// The expression builder over `users as u`, for scope conditions inside the raw statements here.
const people = expressionBuilder<Database & { u: Database["users"] }, "u">();

/** The reader's live assignments, newest first, each with how many people are in each state. */
export async function assignmentsOverview(db: Kysely<Database>, actor: Actor, now = new Date()) {
  const today = tokyoDate(now);
  const scope = scopeFor(actor, "progress.view");
  const rows = await sql<{
    id: string;
    course_slug: string | null;
    module_slug: string | null;
    audience: string;
    group_name: string | null;
    profession: string | null;
    due_on: string | null;
    due_days: number | null;
    recurs: boolean;
    created_at: Date;
    title: LocalisedText;
    counts: Partial<StateCounts> | null;
  }>`
    select a.id, a.course_slug, a.module_slug, a.audience, g.name as group_name, a.profession, a.due_on::text,
      a.due_days, a.recurs, a.created_at,
      coalesce((select c.title from courses c where c.slug = a.course_slug),
        (select mv.title from module_versions mv join modules m on m.slug = mv.module_slug
          and mv.version = m.latest_version where mv.module_slug = a.module_slug)) as title,
      (select jsonb_object_agg(x.state, x.n) from (
        select s.state, count(*)::int as n from (${assigneeStates(db, today)}) s
        join users u on u.id = s.user_id
        where s.assignment_id = a.id and ${personInScope(scope)(people)}
        group by s.state) x) as counts
    from assignments a left join groups g on g.id = a.group_id
    where a.ended_at is null and ${assignmentsInScope(scope, actor.id)}
    order by a.created_at desc, a.id
    limit 200
  `.execute(db);
  return rows.rows.map((r) => ({
    ...r,
    counts: Object.fromEntries(ASSIGNEE_STATES.map((state) => [state, r.counts?.[state] ?? 0])) as StateCounts,
  }));
}

/**
 * One assignment as the reader may see it, or undefined (unknown, or not theirs to follow), with
 * the groups the reader may filter its people by (id and name: the page's group filter), in the
 * same statement, compiled once per kind of scope (ADR 003). The trainer's page reads it with a
 * page of its people (assignmentPage); alone, it heads that page when its query string is at fault.
 */
export async function assignmentFor(db: Kysely<Database>, actor: Actor, assignmentId: string) {
  const scope = scopeFor(actor, "progress.view");
  const rows = await assignmentQuery(scope.kind)(db, assignmentValues(actor, scope, assignmentId));
  return rows[0];
}

interface AssignmentRow {
  id: string;
  agency_id: string;
  course_slug: string | null;
  module_slug: string | null;
  audience: string;
  group_id: string | null;
  group_name: string | null;
  profession: string | null;
  due_on: string | null;
  due_days: number | null;
  remind_days: number[];
  recurs: boolean;
  note: string | null;
  assigned_by_name: string | null;
  assigned_by: string | null;
  created_at: Date;
  title: LocalisedText;
  groups: { id: string; name: string }[];
}

interface AssignmentValues {
  assignmentId: string;
  actorId: string;
  agencyId: string;
  groupIds: readonly string[];
}

function assignmentValues(actor: Actor, scope: Scope, assignmentId: string): AssignmentValues {
  return {
    assignmentId,
    actorId: actor.id,
    agencyId: scope.kind === "agency" || scope.kind === "groups" ? scope.agencyId : "",
    groupIds: scope.kind === "groups" ? scope.groupIds : [],
  };
}

/** The values the assignment's statement takes for a kind of scope. */
function assignmentValueNames(kind: Scope["kind"]): (keyof AssignmentValues)[] {
  return [
    "assignmentId",
    ...(kind === "agency" ? (["agencyId"] as const) : []),
    ...(kind === "groups" ? (["agencyId", "groupIds", "actorId"] as const) : []),
  ];
}

/** The assignment's statement; with `people`, a page of them as one JSON array beside it. */
function assignmentStatement<P>(
  db: Kysely<Database>,
  kind: Scope["kind"],
  v: AssignmentValues,
  people?: Expression<P>,
): Compilable<AssignmentRow & { people: P[] }> {
  const scope = { kind, agencyId: v.agencyId, groupIds: v.groupIds } as Scope;
  const groups = db
    .selectFrom("groups as g")
    .innerJoin("agencies as ga", "ga.id", "g.agency_id")
    .select(
      sql<{ id: string; name: string }[]>`coalesce(json_agg(json_build_object('id', g.id, 'name', g.name)
      order by ga.name, g.name), '[]')`.as("groups"),
    )
    .where(groupInScope(scope));
  // The page's people in its order: each person's sort key, then name and id (see peopleStatement).
  const page = people
    ? sql`, (select coalesce(json_agg(to_json(p) order by p.sort_key, p.display_name, p.user_id), '[]')
        from (${people}) p) as people`
    : sql``;
  const statement = sql<AssignmentRow & { people: P[] }>`
    select a.id, a.agency_id, a.course_slug, a.module_slug, a.audience, a.group_id, g.name as group_name,
      a.profession, a.due_on::text, a.due_days, a.remind_days, a.recurs, a.note, by.display_name as assigned_by_name,
      a.assigned_by, a.created_at,
      coalesce((select c.title from courses c where c.slug = a.course_slug),
        (select mv.title from module_versions mv join modules m on m.slug = mv.module_slug
          and mv.version = m.latest_version where mv.module_slug = a.module_slug)) as title,
      (${groups}) as groups ${page}
    from assignments a left join groups g on g.id = a.group_id left join users by on by.id = a.assigned_by
    where a.id = ${v.assignmentId}::uuid and a.ended_at is null and ${assignmentsInScope(scope, v.actorId)}
  `;
  // A raw statement compiles against a database; compiledQuery compiles what it is given.
  return { compile: () => statement.compile(db) };
}

const compileAssignment = (kind: Scope["kind"]) =>
  compiledQuery(assignmentValueNames(kind), (db, v: AssignmentValues) => assignmentStatement(db, kind, v));
const assignmentQueries = new Map<Scope["kind"], ReturnType<typeof compileAssignment>>();
function assignmentQuery(kind: Scope["kind"]) {
  let query = assignmentQueries.get(kind);
  if (!query) assignmentQueries.set(kind, (query = compileAssignment(kind)));
  return query;
}

/** How an assignment's people can be listed: by name, soonest due first, or who is behind first. */
export const PEOPLE_SORTS = ["name", "due", "state"] as const;
export type PeopleSort = (typeof PEOPLE_SORTS)[number];

/** The order of the states when sorted by state: who needs the trainer first, then who is done. */
export const STATE_ORDER: readonly AssigneeState[] = [
  "overdue",
  "renewal_due",
  "not_started",
  "in_progress",
  "completed",
];

/**
 * Where the page before ended: its last person's name and id and, for the due and state sorts,
 * that person's key (a due day, `null` for "no due date", which sorts last; or a state).
 */
export interface PeopleCursor {
  key?: string | null | undefined;
  name: string;
  userId: string;
}

export interface PeopleFilter {
  state?: AssigneeState | undefined;
  groupId?: string | undefined;
  sort?: PeopleSort | undefined;
  /** Keyset: the last row of the previous page, in the same sort. */
  after?: PeopleCursor | undefined;
}

// A due day beyond every real one stands for "no due date" in the due sort's key (completed, not recurring).
const NO_DUE = "infinity";
/** A state's place in STATE_ORDER (1 first), in SQL: the state sort's key. */
const stateRank = (state: RawBuilder<unknown>) =>
  sql<number>`array_position(${sql.raw(`array[${STATE_ORDER.map((s) => `'${s}'`).join(",")}]`)}::text[], ${state})`;

/**
 * One page of an assignment's people in the reader's scope, in the chosen order (name; due date
 * then name; state then name; the person's id last, so that no two rows tie): state, due date,
 * last activity, pre-test and final scores, attempts. One statement for the page, keyset-paged on
 * (key, name, id) — never OFFSET.
 *
 * The people come from the reader's scope in name order (keyset on (display_name, id), the
 * assignment's live assignees joined to their names). By name without a state filter, that is
 * the page's people only, by an index. Otherwise each person's state or due day is computed
 * (through a lateral join on the shared state query) to filter or order them: by name with a state
 * filter, in name order only until the page is full (those who cannot be in the state — no record
 * for "completed", nothing read for "in progress" — skipped by an index first); by due date or
 * state, for every person in scope, then the first page's worth after the cursor. In every case
 * the page's columns (scores, attempts, last activity) are read for the page's rows only.
 *
 * The statement is compiled once per shape (ADR 003): building it cost the trainer's page more
 * than running it.
 */
export async function assignmentPage(
  db: Kysely<Database>,
  actor: Actor,
  assignmentId: string,
  filter: PeopleFilter,
  now = new Date(),
) {
  const scope = scopeFor(actor, "progress.view");
  const sort = filter.sort ?? "name";
  const after = filter.after;
  const shape: PeopleShape = {
    scope: scope.kind,
    sort,
    state: filter.state ?? null,
    group: filter.groupId !== undefined,
    after: after !== undefined,
  };
  const rows = await pageQuery(shape)(db, {
    ...assignmentValues(actor, scope, assignmentId),
    today: tokyoDate(now),
    groupId: filter.groupId ?? "",
    afterName: after?.name ?? "",
    afterId: after?.userId ?? "",
    // The due sort's "no due date" sorts last, as a day beyond every real one.
    afterKey: sort === "due" ? (after?.key ?? NO_DUE) : (after?.key ?? null),
  });
  const found = rows[0];
  if (!found) return undefined;
  const { people: listed, ...assignment } = found;
  // The people come as JSON: their last activity as text, their sort key only for the order.
  const people = listed
    .slice(0, PEOPLE_PAGE_SIZE)
    .map(({ sort_key: _, last_activity, ...p }) => ({ ...p, last_activity: last_activity && new Date(last_activity) }));
  const last = people.at(-1);
  const next: PeopleCursor | undefined =
    listed.length > PEOPLE_PAGE_SIZE && last
      ? {
          key: sort === "due" ? (last.due_on ?? null) : sort === "state" ? last.state : undefined,
          name: last.display_name,
          userId: last.user_id,
        }
      : undefined;
  return { assignment, people, next };
}

/** A person on the page, as the statement's JSON gives them. */
interface PersonJson {
  user_id: string;
  display_name: string;
  state: AssigneeState;
  due_on: string | null;
  extended_to: string | null;
  score: number | null;
  last_activity: string | null;
  attempts: number;
  pretest: number | null;
  sort_key: unknown;
}

/** What decides the people statement's text: everything else is a value. */
interface PeopleShape {
  scope: Scope["kind"];
  sort: PeopleSort;
  state: AssigneeState | null;
  group: boolean;
  after: boolean;
}

interface PeopleValues extends AssignmentValues {
  today: string;
  groupId: string;
  afterName: string;
  afterId: string;
  afterKey: string | null;
}

/** The values a shape's statement takes (the compiled query checks that each is used). */
function valuesOf(shape: PeopleShape): (keyof PeopleValues)[] {
  return [
    "assignmentId",
    "today",
    ...(shape.scope === "agency" ? (["agencyId"] as const) : []),
    ...(shape.scope === "groups" ? (["agencyId", "groupIds"] as const) : []),
    ...(shape.group ? (["groupId"] as const) : []),
    ...(shape.after ? (["afterName", "afterId"] as const) : []),
    ...(shape.after && shape.sort !== "name" ? (["afterKey"] as const) : []),
  ];
}

const compilePage = (shape: PeopleShape) =>
  compiledQuery([...new Set([...assignmentValueNames(shape.scope), ...valuesOf(shape)])], (db, v: PeopleValues) =>
    assignmentStatement(
      db,
      shape.scope,
      v,
      peopleStatement(db, shape, v) as Expression<unknown> as Expression<PersonJson>,
    ),
  );
// At most 4 scopes x 3 sorts x 6 states x 2 x 2 shapes, each compiled on first use.
const pageQueries = new Map<string, ReturnType<typeof compilePage>>();
function pageQuery(shape: PeopleShape) {
  const key = JSON.stringify(shape);
  let query = pageQueries.get(key);
  if (!query) pageQueries.set(key, (query = compilePage(shape)));
  return query;
}

function peopleStatement(db: Kysely<Database>, shape: PeopleShape, v: PeopleValues) {
  const { sort, state } = shape;
  const scope = { kind: shape.scope, agencyId: v.agencyId, groupIds: v.groupIds } as Scope;
  // The state query per person is needed to filter by state or to order by due date or state.
  const keyed = sort !== "name" || state !== null;
  // A sort (or an ORDER BY … LIMIT) in a subquery keeps it from being merged into the outer query:
  // the outer query reads it in this order, and its LIMIT stops the lateral joins early.
  const byName = db
    .selectFrom("assignees as p")
    .innerJoin("users as u", "u.id", "p.user_id")
    .select(["p.id as assignee_id", "u.id as user_id", "u.display_name"])
    .where("p.assignment_id", "=", v.assignmentId)
    .where("p.ended_at", "is", null)
    .where(personInScope(scope))
    .$if(shape.group, (q) =>
      q.where(({ exists, selectFrom }) =>
        exists(
          selectFrom("group_members as gm")
            .select("gm.user_id")
            .whereRef("gm.user_id", "=", "u.id")
            .where("gm.group_id", "=", v.groupId),
        ),
      ),
    )
    // A necessary condition of the state, by an index, so that a rare state does not compute every
    // person's: completed and renewal due need a record; in progress, a lesson or an attempt.
    .$if(state === "completed" || state === "renewal_due", (q) =>
      q.where(sql<boolean>`exists (select 1 from completion_records cr where cr.user_id = u.id)`),
    )
    .$if(state === "in_progress", (q) =>
      q.where(
        sql<boolean>`(exists (select 1 from lesson_progress lp where lp.user_id = u.id)
          or exists (select 1 from quiz_attempts qa where qa.user_id = u.id))`,
      ),
    )
    .$if(sort === "name" && shape.after, (q) =>
      q.where(sql<boolean>`(u.display_name, u.id) > (${v.afterName}, ${v.afterId}::uuid)`),
    )
    .orderBy("u.display_name")
    .orderBy("u.id")
    .$if(!keyed, (q) => q.limit(PEOPLE_PAGE_SIZE + 1));

  // The page's people and their sort key, in page order.
  const key: RawBuilder<string | number | null> =
    sort === "due"
      ? sql<string>`coalesce(k.due_on, ${sql.lit(NO_DUE)}::date)`
      : sort === "state"
        ? stateRank(sql`k.state`)
        : sql<null>`null::int`;
  const cursorKey =
    sort === "due" ? sql`${v.afterKey}::date` : sort === "state" ? stateRank(sql`${v.afterKey}::text`) : sql`null`;
  const page = keyed
    ? db
        .selectFrom(byName.as("b"))
        .innerJoinLateral(
          // OFFSET 0 keeps the planner from merging this subquery into a join over every assignee:
          // it runs once per person, in the people's order, only as far as the query reads.
          assigneeStates(db, v.today)
            .where(sql<boolean>`p.id = b.assignee_id`)
            .offset(0)
            .as("k"),
          (join) => join.onTrue(),
        )
        .select(["b.assignee_id", "b.user_id", "b.display_name", key.as("sort_key")])
        .$if(state !== null, (q) => q.where("k.state", "=", state!))
        .$if(shape.after, (q) =>
          q.where(
            sort === "name"
              ? sql<boolean>`(b.display_name, b.user_id) > (${v.afterName}, ${v.afterId}::uuid)`
              : sql<boolean>`(${key}, b.display_name, b.user_id) > (${cursorKey}, ${v.afterName}, ${v.afterId}::uuid)`,
          ),
        )
        .$if(sort !== "name", (q) => q.orderBy(sql`sort_key`))
        .orderBy("b.display_name")
        .orderBy("b.user_id")
        .limit(PEOPLE_PAGE_SIZE + 1)
    : db.selectFrom(byName.as("b")).select(["b.assignee_id", "b.user_id", "b.display_name", key.as("sort_key")]);

  return db
    .selectFrom(page.as("x"))
    .innerJoinLateral(
      assigneeStates(db, v.today)
        .where(sql<boolean>`p.id = x.assignee_id`)
        .offset(0)
        .as("s"),
      (join) => join.onTrue(),
    )
    .select([
      "x.user_id",
      "x.display_name",
      "x.sort_key",
      "s.state",
      "s.due_on",
      "s.extended_to",
      "s.score",
      sql<Date | null>`greatest(
        (select max(lp.completed_at) from lesson_progress lp where lp.user_id = x.user_id),
        (select max(qa.started_at) from quiz_attempts qa where qa.user_id = x.user_id))`.as("last_activity"),
      sql<number>`(select count(*)::int from quiz_attempts qa join module_versions mv on mv.id = qa.module_version_id
        where qa.user_id = x.user_id and qa.stage = 'final' and qa.submitted_at is not null and (mv.module_slug = s.module_slug
          or mv.module_slug in (select cm.module_slug from course_modules cm where cm.course_slug = s.course_slug)))`.as(
        "attempts",
      ),
      sql<
        number | null
      >`(select max(qa.score) from quiz_attempts qa join module_versions mv on mv.id = qa.module_version_id
        where qa.user_id = x.user_id and qa.stage = 'pretest' and qa.submitted_at is not null and (mv.module_slug = s.module_slug
          or mv.module_slug in (select cm.module_slug from course_modules cm where cm.course_slug = s.course_slug)))`.as(
        "pretest",
      ),
    ])
    .$if(sort !== "name", (q) => q.orderBy("x.sort_key"))
    .orderBy("x.display_name")
    .orderBy("x.user_id")
    .limit(PEOPLE_PAGE_SIZE + 1);
}

/** What the assign form offers the reader: content, the groups they may assign to, the people in their scope. */
export async function assignChoices(db: Kysely<Database>, actor: Actor) {
  const scope = scopeFor(actor, "course.assign");
  const [courses, modules, groups, people] = await Promise.all([
    db.selectFrom("courses").select(["slug", "title"]).where("archived_at", "is", null).orderBy("position").execute(),
    db
      .selectFrom("modules as m")
      .innerJoin("module_versions as mv", (j) =>
        j.onRef("mv.module_slug", "=", "m.slug").onRef("mv.version", "=", "m.latest_version"),
      )
      .select(["m.slug", "mv.title"])
      .orderBy("m.slug")
      .execute(),
    groupsInScope(db, scope),
    db
      .selectFrom("users as u")
      .select(["u.id", "u.display_name", "u.agency_id"])
      .where("u.disabled_at", "is", null)
      .where(personInScope(scope))
      .orderBy("u.display_name")
      .limit(1000)
      .execute(),
  ]);
  return { courses, modules, groups, people, agencyWide: scope.kind === "all" || scope.kind === "agency" };
}

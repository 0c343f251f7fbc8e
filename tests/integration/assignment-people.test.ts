// One assignment's people as its trainer pages through them: by name, filtered by state and by
// group, each page one statement, and the pages together exactly the people (and states) that the
// shared state query gives for the whole assignment — whatever the page reads first.
import { sql, type Kysely, type KyselyPlugin } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { assign, extend } from "../../app/server/assignments/assign.server";
import { ASSIGNEE_STATES, assigneeStates, type AssigneeState } from "../../app/server/assignments/status.server";
import {
  assignmentPage,
  PEOPLE_PAGE_SIZE,
  PEOPLE_SORTS,
  type PeopleFilter,
  type PeopleSort,
} from "../../app/server/assignments/views.server";
import type { Actor } from "../../app/server/auth/policy.server";
import { startAttempt, submitAttempt } from "../../app/server/learning/attempts.server";
import { addDays, tokyoDate } from "../../app/server/shared/days.server";
import type { Database } from "../../db/schema";
import { engine, testDatabase } from "../support/db";
import { makeAgency, makeUser } from "../support/fixtures";
import { answerAll, readyForFinal, syncSample } from "../support/learning";

const PEOPLE = 130;

let db: Kysely<Database>;
let assignmentId: string;
let unitA: string;
let unitB: string;
let admin: Actor;
let trainerOfA: Actor;

function counted(base: Kysely<Database>) {
  let n = 0;
  const plugin: KyselyPlugin = {
    transformQuery: (args) => args.node,
    transformResult: async (args) => {
      n++;
      return args.result;
    },
  };
  return { db: base.withPlugin(plugin), count: () => n };
}

interface Row {
  user_id: string;
  state: AssigneeState;
  due_on: string | null;
}

// What each sort means, written out here rather than taken from the code under test: the due date
// soonest first (no due date last), the state with who is behind first; then name, then id.
const ORDER: Record<PeopleSort, ReturnType<typeof sql>> = {
  name: sql`u.display_name, u.id`,
  due: sql`s.due_on asc nulls last, u.display_name, u.id`,
  state: sql`case s.state when 'overdue' then 1 when 'renewal_due' then 2 when 'not_started' then 3
    when 'in_progress' then 4 when 'completed' then 5 end, u.display_name, u.id`,
};

/** Every person of the assignment with their state, in a sort's order: what the pages must add up to. */
async function everyone(
  where: { state?: AssigneeState; groupId?: string } = {},
  sort: PeopleSort = "name",
): Promise<Row[]> {
  const rows = await sql<Row>`
    select s.user_id, s.state, s.due_on from (${assigneeStates(db, tokyoDate(new Date()))}) s
    join users u on u.id = s.user_id
    where s.assignment_id = ${assignmentId}::uuid
      and (${where.state ?? null}::text is null or s.state = ${where.state ?? null})
      and (${where.groupId ?? null}::uuid is null or exists (select 1 from group_members gm
        where gm.user_id = u.id and gm.group_id = ${where.groupId ?? null}::uuid))
    order by ${ORDER[sort]}`.execute(db);
  return rows.rows;
}

/** Pages through the assignment as `actor` with `filter`, checking one statement per page. */
async function pages(actor: Actor, filter: Omit<PeopleFilter, "after">): Promise<Row[]> {
  const seen: Row[] = [];
  let after: PeopleFilter["after"];
  for (let i = 0; i < 10; i++) {
    const c = counted(db);
    const page = await assignmentPage(c.db, actor, assignmentId, { ...filter, after });
    expect(c.count()).toBe(1);
    if (!page) throw new Error("the assignment is not the reader's to follow");
    expect(page.people.length).toBeLessThanOrEqual(PEOPLE_PAGE_SIZE);
    seen.push(...page.people.map((p) => ({ user_id: p.user_id, state: p.state, due_on: p.due_on })));
    if (!page.next) return seen;
    expect(page.people).toHaveLength(PEOPLE_PAGE_SIZE);
    after = page.next;
  }
  throw new Error("more pages than people");
}

beforeAll(async () => {
  db = (await testDatabase()).db;
  const moduleVersionId = (await syncSample(db)).id;
  const agencyId = (await makeAgency(db, "Osaka Prefectural Police")).id;
  const group = async (name: string) =>
    (
      await db
        .insertInto("groups")
        .values({ agency_id: agencyId, name, kind: "unit" })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
  unitA = await group("Juvenile division");
  unitB = await group("Community policing");
  // Names that sort in both scripts, and a name held by two people (the id breaks the tie).
  await sql`
    with made as (
      insert into users (email, display_name, profession, locale, agency_id)
      select 'person-' || n || '@mamoru.test',
        case when n in (7, 8) then '山田 花子'
          else (array['佐藤','鈴木','Carter','高橋','Wilson','伊藤'])[1 + n % 6] || ' ' || lpad(n::text, 3, '0') end,
        'police', 'ja', ${agencyId}::uuid
      from generate_series(1, ${PEOPLE}::int) n
      returning id, email)
    insert into group_members (group_id, user_id)
    select case when split_part(split_part(email, '-', 2), '@', 1)::int % 2 = 1 then ${unitA}::uuid else ${unitB}::uuid end, id
    from made`.execute(db);
  const adminUser = await makeUser(db, { agencyId, roles: ["admin"] });
  admin = { id: adminUser.id, agencyId, roles: ["admin"] };
  const trainerUser = await makeUser(db, { agencyId, roles: ["trainer"] });
  await db.insertInto("group_trainers").values({ group_id: unitA, user_id: trainerUser.id }).execute();
  trainerOfA = { id: trainerUser.id, agencyId, roles: ["trainer"], trainerOf: [unitA] };
  const people = await db
    .selectFrom("users")
    .select(["id", "email"])
    .where("email", "like", "person-%")
    .orderBy("email")
    .execute();
  const n = (email: string) => Number(/person-(\d+)@/.exec(email)![1]);
  assignmentId = await assign(db, admin, {
    agencyId,
    moduleSlug: "sample-module",
    audience: "people",
    userIds: people.map((p) => p.id),
    due: { on: addDays(tokyoDate(new Date()), 10) },
  });
  // A trainer follows their groups' assignments and the ones they made: this one counts as made by
  // the trainer of unit A, so that it is the scope of its people that their pages test.
  await db.updateTable("assignments").set({ assigned_by: trainerUser.id }).where("id", "=", assignmentId).execute();
  // In progress: a lesson read. Overdue: an extension to a past day. Completed: the module passed.
  const lesson = await db
    .selectFrom("lessons")
    .select("lesson_id")
    .where("module_version_id", "=", moduleVersionId)
    .orderBy("position")
    .executeTakeFirstOrThrow();
  for (const p of people) {
    if (n(p.email) % 3 === 0)
      await db
        .insertInto("lesson_progress")
        .values({ user_id: p.id, module_version_id: moduleVersionId, lesson_id: lesson.lesson_id })
        .execute();
    if (n(p.email) % 11 === 0)
      await extend(db, admin, { assignmentId, userId: p.id, dueOn: addDays(tokyoDate(new Date()), -2) });
    // Due dates that differ, several people on each day (the name, then the id, breaks the tie).
    else if (n(p.email) % 4 === 1)
      await extend(db, admin, {
        assignmentId,
        userId: p.id,
        dueOn: addDays(tokyoDate(new Date()), 11 + (n(p.email) % 5)),
      });
    if (n(p.email) % 29 === 0) {
      await readyForFinal(db, p.id, moduleVersionId);
      const attempt = await startAttempt(db, { userId: p.id, moduleVersionId, stage: "final" });
      await answerAll(db, p.id, attempt, true);
      await submitAttempt(db, p.id, attempt);
    }
  }
});

describe(`an assignment's people (${engine})`, () => {
  it("pages through every person once, by name, one statement a page", async () => {
    const all = await everyone();
    expect(all).toHaveLength(PEOPLE);
    // Every state the filter offers is present here, so each filter below is tested on real rows.
    expect(new Set(all.map((r) => r.state))).toEqual(new Set(["not_started", "in_progress", "overdue", "completed"]));
    expect(await pages(admin, {})).toEqual(all);
  });

  it("a state filter pages through exactly the people in that state, by name", async () => {
    for (const state of ASSIGNEE_STATES)
      expect(await pages(admin, { state }), state).toEqual(await everyone({ state }));
  });

  it("a group filter, alone and with a state, keeps to that group's people", async () => {
    for (const groupId of [unitA, unitB]) {
      expect(await pages(admin, { groupId })).toEqual(await everyone({ groupId }));
      for (const state of ["in_progress", "overdue"] as const)
        expect(await pages(admin, { groupId, state })).toEqual(await everyone({ groupId, state }));
    }
  });

  it("each sort pages through every person once, in its order, one statement a page", async () => {
    for (const sort of PEOPLE_SORTS) {
      const all = await everyone({}, sort);
      expect(all).toHaveLength(PEOPLE);
      expect(await pages(admin, { sort }), sort).toEqual(all);
    }
    // The due sort is tested on several due days and on people with none (completed).
    const due = (await everyone({}, "due")).map((r) => r.due_on);
    expect(new Set(due).size).toBeGreaterThan(5);
    expect(due.at(-1)).toBeNull();
  });

  it("each sort keeps the filters: a state, a group, both", async () => {
    for (const sort of ["due", "state"] as const) {
      for (const state of ["in_progress", "overdue", "not_started"] as const)
        expect(await pages(admin, { sort, state }), `${sort} ${state}`).toEqual(await everyone({ state }, sort));
      expect(await pages(admin, { sort, groupId: unitB })).toEqual(await everyone({ groupId: unitB }, sort));
      expect(await pages(trainerOfA, { sort, state: "not_started" })).toEqual(
        await everyone({ groupId: unitA, state: "not_started" }, sort),
      );
    }
  });

  it("comes with its assignment, and gives nothing to a trainer who does not follow it", async () => {
    const page = await assignmentPage(db, admin, assignmentId, {});
    expect(page?.assignment).toMatchObject({ id: assignmentId, module_slug: "sample-module", audience: "people" });
    expect(page?.assignment.groups.map((g) => g.id).sort()).toEqual([unitA, unitB].sort());
    const unitBTrainer = await makeUser(db, { agencyId: admin.agencyId, roles: ["trainer"] });
    const other: Actor = { id: unitBTrainer.id, agencyId: admin.agencyId, roles: ["trainer"], trainerOf: [unitB] };
    expect(await assignmentPage(db, other, assignmentId, {})).toBeUndefined();
  });

  it("a trainer sees only the people of the groups they train", async () => {
    const mine = await everyone({ groupId: unitA });
    expect(mine).toHaveLength(PEOPLE / 2);
    expect(await pages(trainerOfA, {})).toEqual(mine);
    expect(await pages(trainerOfA, { groupId: unitB })).toEqual([]);
    expect(await pages(trainerOfA, { state: "overdue" })).toEqual(await everyone({ groupId: unitA, state: "overdue" }));
  });
});

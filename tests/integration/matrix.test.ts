// The training matrix as a reviewer and a trainer read it: every cell state, set up through the
// assignment and learning functions and moved in time through the clock the matrix reads (never by
// editing records); the counts per column and per status; keyset pages that cover every person
// once; one statement per page whatever it holds; and the CSV export a batch per statement.
import { parse } from "csv-parse/sync";
import { sql, type Kysely, type KyselyPlugin } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { assign } from "../../app/server/assignments/assign.server";
import type { Actor } from "../../app/server/auth/policy.server";
import { scopeFor, type Scope } from "../../app/server/auth/scope.server";
import { startAttempt, submitAttempt } from "../../app/server/learning/attempts.server";
import type { MatrixFilter } from "../../app/server/review/filters.server";
import { matrixCsv } from "../../app/server/review/matrix-export.server";
import { MATRIX_PAGE_SIZE, matrixPage, type MatrixRow } from "../../app/server/review/matrix.server";
import { addDays, tokyoDate } from "../../app/server/shared/days.server";
import type { Database } from "../../db/schema";
import { handMatrix } from "../bench/matrix-sql";
import { engine, testDatabase } from "../support/db";
import { makeAgency, makeUser, type MadeUser } from "../support/fixtures";
import { answerAll, readyForFinal, syncSample } from "../support/learning";

const DAY = 86_400_000;
const COURSE = "course:sample-course";
const MODULE = "module:sample-module";
const COHORT = 60;
const FORMULA = "=1+2";

let db: Kysely<Database>;
let agencyId: string;
let unitOne: string;
let unitTwo: string;
let cohort: string;
const people: Record<string, MadeUser> = {};
const actors: Record<string, Actor> = {};
let t0: Date;
/** Hanako's module record expires at this moment (24 months after she passed). */
let expiry: Date;

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

async function passModule(userId: string, mv: string) {
  await readyForFinal(db, userId, mv);
  const attempt = await startAttempt(db, { userId, moduleVersionId: mv, stage: "final" });
  await answerAll(db, userId, attempt, true);
  await submitAttempt(db, userId, attempt);
}

beforeAll(async () => {
  db = (await testDatabase()).db;
  t0 = new Date();
  const today = tokyoDate(t0);
  const mv = (await syncSample(db)).id;
  agencyId = (await makeAgency(db, "Kyoto Prefectural Police")).id;
  const otherAgency = (await makeAgency(db, "Kobe Family Court", "court")).id;
  const group = async (name: string, agency = agencyId) =>
    (
      await db
        .insertInto("groups")
        .values({ agency_id: agency, name, kind: "unit" })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
  unitOne = await group("Unit One");
  unitTwo = await group("Unit Two");
  cohort = await group("Cohort 2026");
  const courtUnit = await group("Family division", otherAgency);
  const make = async (key: string, displayName: string, groupId: string | null, roles: MadeUser["roles"] = []) => {
    const agency = groupId === courtUnit ? otherAgency : agencyId;
    people[key] = await makeUser(db, { agencyId: agency, roles: roles.length ? roles : ["trainee"], displayName });
    if (groupId) await db.insertInto("group_members").values({ group_id: groupId, user_id: people[key]!.id }).execute();
    actors[key] = {
      id: people[key]!.id,
      agencyId: agency,
      roles: people[key]!.roles,
      trainerOf: [],
    };
  };
  await make("hanako", "山田 花子", unitOne);
  await make("ben", "Ben Ito", unitOne);
  await make("chie", "Chie Sato", unitOne);
  await make("dai", "Dai Mori", unitTwo);
  await make("kimura", "Court Clerk Kimura", courtUnit);
  await make("trainer", "Trainer of Unit One", null, ["trainer"]);
  await make("reviewer", "Reviewer", null, ["reviewer"]);
  await make("admin", "Admin", null, ["admin"]);
  await db.insertInto("group_trainers").values({ group_id: unitOne, user_id: people.trainer!.id }).execute();
  actors.trainer!.trainerOf = [unitOne];

  // Sixty more people in a cohort, for the pages; one of them with a name a spreadsheet would run.
  const rows = Array.from({ length: COHORT }, (_, i) => ({
    email: `cohort${i}@example.test`,
    display_name: i === 7 ? FORMULA : `研修生 ${String(i).padStart(3, "0")}`,
    profession: "police" as const,
    agency_id: agencyId,
  }));
  const cohortIds = await db.insertInto("users").values(rows).returning("id").execute();
  await db
    .insertInto("group_members")
    .values(cohortIds.map((u) => ({ group_id: cohort, user_id: u.id })))
    .execute();

  const trainer = actors.trainer!;
  const admin = actors.admin!;
  // Unit One: the module, due in 30 days; Ben also the course, and the module again, due in 5 days.
  await assign(db, trainer, {
    agencyId,
    moduleSlug: "sample-module",
    audience: "group",
    groupId: unitOne,
    due: { days: 30 },
  });
  await assign(db, trainer, {
    agencyId,
    courseSlug: "sample-course",
    audience: "people",
    userIds: [people.ben!.id],
    due: { on: addDays(today, 60) },
  });
  await assign(db, trainer, {
    agencyId,
    moduleSlug: "sample-module",
    audience: "people",
    userIds: [people.ben!.id],
    due: { on: addDays(today, 5) },
  });
  // Unit Two: the module, recurring (due again when the record nears its expiry).
  await assign(db, admin, {
    agencyId,
    moduleSlug: "sample-module",
    audience: "group",
    groupId: unitTwo,
    due: { days: 30 },
    recurs: true,
  });
  await assign(db, admin, {
    agencyId,
    moduleSlug: "sample-module",
    audience: "group",
    groupId: cohort,
    due: { days: 30 },
  });
  await assign(db, admin, {
    agencyId: otherAgency,
    moduleSlug: "sample-module",
    audience: "group",
    groupId: courtUnit,
    due: { days: 30 },
  });

  await passModule(people.hanako!.id, mv);
  await passModule(people.dai!.id, mv);
  const pretest = await startAttempt(db, { userId: people.ben!.id, moduleVersionId: mv, stage: "pretest" });
  await answerAll(db, people.ben!.id, pretest, false);
  await submitAttempt(db, people.ben!.id, pretest);
  expiry = (
    await db
      .selectFrom("completion_records")
      .select("expires_at")
      .where("user_id", "=", people.hanako!.id)
      .where("kind", "=", "module")
      .executeTakeFirstOrThrow()
  ).expires_at;
}, 120_000);

const reviewerScope = (): Scope => scopeFor(actors.reviewer!, "records.view");

/** The cells of the named people on a given day: { name: { column: "state date" } }. */
async function cellsAt(now: Date, filter: MatrixFilter = {}, scope = reviewerScope()) {
  const page = await matrixPage(db, scope, { group: unitOne, ...filter }, now);
  const unitTwoPage = await matrixPage(db, scope, { group: unitTwo, ...filter }, now);
  const out: Record<string, Record<string, string>> = {};
  for (const row of [...page.rows, ...unitTwoPage.rows])
    out[row.display_name] = Object.fromEntries(
      Object.entries(row.cells).map(([key, [state, due, expires]]) => [
        key,
        `${state} ${state === "current" || state === "expiring" || state === "expired" ? tokyoDate(new Date(expires!)) : due}`,
      ]),
    );
  return out;
}

describe(`the training matrix (${engine})`, () => {
  it("says where each obligation stands today: current with its expiry, in progress, not started, the earlier of two due dates", async () => {
    const today = tokyoDate(t0);
    const expires = tokyoDate(expiry);
    expect(await cellsAt(t0)).toEqual({
      "山田 花子": { [MODULE]: `current ${expires}` },
      "Ben Ito": { [COURSE]: `in_progress ${addDays(today, 60)}`, [MODULE]: `in_progress ${addDays(today, 5)}` },
      "Chie Sato": { [MODULE]: `not_started ${addDays(today, 30)}` },
      "Dai Mori": { [MODULE]: `current ${expires}` },
    });
  });

  it("turns overdue once a due date passes, the more urgent of two obligations winning", async () => {
    const today = tokyoDate(t0);
    const later = await cellsAt(new Date(t0.getTime() + 10 * DAY));
    expect(later["Ben Ito"]).toEqual({
      [COURSE]: `in_progress ${addDays(today, 60)}`,
      [MODULE]: `overdue ${addDays(today, 5)}`,
    });
    expect(later["Chie Sato"]).toEqual({ [MODULE]: `not_started ${addDays(today, 30)}` });
    const month = await cellsAt(new Date(t0.getTime() + 31 * DAY));
    expect(month["Chie Sato"]).toEqual({ [MODULE]: `overdue ${addDays(today, 30)}` });
  });

  it("marks a record expiring within the window (60 days unless asked), and expired after its expiry; a lapsed renewal is overdue", async () => {
    const expires = tokyoDate(expiry);
    const soon = new Date(expiry.getTime() - 30 * DAY);
    expect((await cellsAt(soon))["山田 花子"]).toEqual({ [MODULE]: `expiring ${expires}` });
    expect((await cellsAt(soon))["Dai Mori"]).toEqual({ [MODULE]: `expiring ${expires}` });
    // A ten-day window: thirty days ahead is still current, for the recurring assignment too.
    expect((await cellsAt(soon, { window: 10 }))["山田 花子"]).toEqual({ [MODULE]: `current ${expires}` });
    expect((await cellsAt(soon, { window: 10 }))["Dai Mori"]).toEqual({ [MODULE]: `current ${expires}` });
    const after = await cellsAt(new Date(expiry.getTime() + DAY));
    expect(after["山田 花子"]).toEqual({ [MODULE]: `expired ${expires}` });
    // Dai's assignment recurs: the renewal was due on the expiry day, and it has passed.
    expect(after["Dai Mori"]).toEqual({ [MODULE]: `overdue ${expires}` });
  });

  it("counts each column's people by status, 'not required' included, and the totals per status", async () => {
    const page = await matrixPage(db, reviewerScope(), { group: unitOne }, t0);
    expect(page.total).toBe(3);
    expect(page.columns.map((c) => [c.key, c.title.en])).toEqual([
      [COURSE, "Sample course"],
      [MODULE, "Sample module"],
    ]);
    const counts = Object.fromEntries(
      page.columns.map((c) => [c.key, Object.fromEntries(Object.entries(c.counts).filter(([, n]) => n > 0))]),
    );
    expect(counts).toEqual({
      [COURSE]: { in_progress: 1, not_required: 2 },
      [MODULE]: { current: 1, in_progress: 1, not_started: 1 },
    });
    expect(page.totals).toEqual({
      current: 1,
      expiring: 0,
      expired: 0,
      overdue: 0,
      in_progress: 2,
      not_started: 1,
      not_required: 2,
    });
  });

  it("filters by status, column, profession and name", async () => {
    const names = async (filter: MatrixFilter, now = t0) =>
      (await matrixPage(db, reviewerScope(), filter, now)).rows.map((r) => r.display_name);
    expect(await names({ status: "in_progress" })).toEqual(["Ben Ito"]);
    expect(await names({ status: "current" })).toEqual(["Dai Mori", "山田 花子"].sort(byDb));
    expect(await names({ status: "overdue" }, new Date(t0.getTime() + 10 * DAY))).toEqual(["Ben Ito"]);
    expect(await names({ course: COURSE })).toEqual(["Ben Ito"]);
    const onlyCourse = await matrixPage(db, reviewerScope(), { course: COURSE }, t0);
    expect(onlyCourse.columns.map((c) => c.key)).toEqual([COURSE]);
    expect(onlyCourse.rows[0]!.cells).toEqual({ [COURSE]: expect.any(Array) });
    expect(await names({ q: "山田" })).toEqual(["山田 花子"]);
    expect(await names({ q: "%" })).toEqual([]);
    expect(await names({ profession: "judge" })).toEqual([]);
    expect((await names({ profession: "police" })).length).toBe(MATRIX_PAGE_SIZE);
    // The course menu offers every column of the scope, whatever the filter.
    expect(onlyCourse.options.columns.map((c) => c.key)).toEqual([COURSE, MODULE]);
    expect(onlyCourse.options.groups.map((g) => g.name)).toEqual(["Cohort 2026", "Unit One", "Unit Two"]);
  });

  it("shows a trainer their groups' people only, another agency's reviewer none of these, an admin everyone", async () => {
    const all = async (scope: Scope) => {
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await matrixPage(db, scope, { after }, t0);
        seen.push(...page.rows.map((r) => r.display_name));
        if (!page.next) return seen;
        after = page.next;
      }
    };
    expect(await all(scopeFor(actors.trainer!, "records.view"))).toEqual(
      ["Ben Ito", "Chie Sato", "山田 花子"].sort(byDb),
    );
    const trainerPage = await matrixPage(db, scopeFor(actors.trainer!, "records.view"), {}, t0);
    expect(trainerPage.options.groups.map((g) => g.name)).toEqual(["Unit One"]);
    expect(await all(scopeFor(actors.kimura!, "records.view"))).toEqual([]);
    const courtReviewer: Actor = { ...actors.kimura!, roles: ["reviewer"] };
    expect(await all(scopeFor(courtReviewer, "records.view"))).toEqual(["Court Clerk Kimura"]);
    const everyone = await all(scopeFor(actors.admin!, "records.view"));
    expect(everyone).toHaveLength(4 + COHORT + 1);
    // An admin may narrow to one agency.
    const court = (await matrixPage(db, { kind: "all" }, { agency: people.kimura!.agencyId }, t0)).rows;
    expect(court.map((r) => r.display_name)).toEqual(["Court Clerk Kimura"]);
  });

  it("pages by name and id through every person once, a page in one statement however full", async () => {
    const seen: MatrixRow[] = [];
    let after: string | undefined;
    for (;;) {
      const c = counted(db);
      const page = await matrixPage(c.db, reviewerScope(), { after }, t0);
      expect(c.count()).toBe(1);
      expect(page.rows.length).toBeLessThanOrEqual(MATRIX_PAGE_SIZE);
      expect(page.total).toBe(4 + COHORT);
      seen.push(...page.rows);
      if (!page.next) break;
      after = page.next;
    }
    expect(seen).toHaveLength(4 + COHORT);
    expect(new Set(seen.map((r) => r.id)).size).toBe(4 + COHORT);
    for (const filter of [
      { group: unitOne },
      { status: "overdue" as const },
      { q: "研修生", window: 5 },
      { course: COURSE },
    ]) {
      const c = counted(db);
      await matrixPage(c.db, reviewerScope(), filter, t0);
      expect(c.count(), JSON.stringify(filter)).toBe(1);
    }
  });

  it("gives the same page as the bench's hand-written statement, on any day and for any group", async () => {
    // Today; Ben's own due day (due, not yet overdue) and the next; the group's due day; Hanako's
    // record inside its renewal window and past its expiry.
    const days = [
      t0,
      new Date(t0.getTime() + 5 * DAY),
      new Date(t0.getTime() + 6 * DAY),
      new Date(t0.getTime() + 30 * DAY),
      new Date(expiry.getTime() - 30 * DAY),
      new Date(expiry.getTime() + DAY),
    ];
    for (const now of days)
      for (const groupId of [null, unitOne, unitTwo, cohort]) {
        const windowDays = 60;
        const page = await matrixPage(db, reviewerScope(), { ...(groupId ? { group: groupId } : {}) }, now);
        const hand = (await handMatrix({ agencyId, groupId, today: tokyoDate(now), now, windowDays }).execute(db))
          .rows[0]!;
        const where = `${now.toISOString()} ${groupId}`;
        expect(hand.total, where).toBe(page.total);
        expect(hand.rows.slice(0, MATRIX_PAGE_SIZE), where).toEqual(page.rows);
        expect(hand.columns, where).toEqual(page.columns.map(({ key, title }) => ({ key, title })));
        const counts = Object.fromEntries(
          page.columns.flatMap((c) =>
            Object.entries(c.counts)
              .filter(([s, n]) => s !== "not_required" && n > 0)
              .map(([s, n]) => [`${c.key} ${s}`, n]),
          ),
        );
        expect(hand.counts ?? {}, where).toEqual(counts);
        expect(hand.scope_columns, where).toEqual(page.options.columns);
        expect(hand.groups, where).toEqual(page.options.groups);
      }
    // It is not an echo of the page: the days above give different cells.
    const cells = await Promise.all(
      days.map(async (now) => (await matrixPage(db, reviewerScope(), { group: unitTwo }, now)).rows),
    );
    expect(new Set(cells.map((rows) => JSON.stringify(rows))).size).toBeGreaterThan(2);
  });

  if (engine === "postgres")
    it("on the server, compiles no statement with JIT (it cost more than the page)", async () => {
      for (let i = 0; i < 3; i++) expect((await sql<{ jit: string }>`show jit`.execute(db)).rows[0]!.jit).toBe("off");
    });

  it("exports the filtered matrix as CSV a batch per statement: BOM, headers in the reader's language, formulas neutralised, audited", async () => {
    const c = counted(db);
    const stream = matrixCsv({
      db: c.db,
      actorId: people.reviewer!.id,
      agencyId,
      scope: reviewerScope(),
      filter: { profession: "police", after: people.hanako!.id },
      locale: "ja",
      batchSize: 20,
      now: t0,
    });
    const reader = stream.getReader();
    expect(c.count()).toBe(0);
    const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
    const chunks: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(decoder.decode(value));
    }
    // The start's audit, the columns, four batches (20, 20, 20, 4), the end's audit.
    // An audit event is three statements (its chain lock, the head, the insert: ADR 014).
    expect(c.count()).toBe(3 + 1 + 4 + 3);
    const text = chunks.join("");
    expect(text.startsWith("\uFEFF氏名,メールアドレス,機関,")).toBe(true);
    const [header, ...rows] = parse(text, { bom: true }) as string[][];
    expect(header).toEqual([
      "氏名",
      "メールアドレス",
      "機関",
      "サンプルコース：状況",
      "サンプルコース：受講期限",
      "サンプルコース：有効期限",
      "サンプルモジュール：状況",
      "サンプルモジュール：受講期限",
      "サンプルモジュール：有効期限",
    ]);
    // Every matching person, the page's cursor ignored.
    expect(rows).toHaveLength(4 + COHORT);
    const byName = Object.fromEntries(rows.map((r) => [r[0], r]));
    expect(byName[`'${FORMULA}`]).toBeDefined();
    expect(byName["山田 花子"]!.slice(3)).toEqual(["対象外", "", "", "有効", "", expiry.toISOString()]);
    expect(byName["Ben Ito"]!.slice(3, 5)).toEqual(["受講中", addDays(tokyoDate(t0), 60)]);
    const ended = await db
      .selectFrom("audit_events")
      .select(["details", "agency_id", "actor_id"])
      .where("action", "=", "matrix.exported")
      .executeTakeFirstOrThrow();
    expect(ended).toMatchObject({
      agency_id: agencyId,
      actor_id: people.reviewer!.id,
      details: { format: "csv", filter: { profession: "police" }, rows: 4 + COHORT, complete: true },
    });
  });
});

// Names in the database's order (the collation sorts them), compared by what the database returns.
function byDb(a: string, b: string) {
  return a < b ? -1 : a > b ? 1 : 0;
}

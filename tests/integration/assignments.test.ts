// Assigned training, as a trainer gives it and a trainee meets it: who an assignment reaches (and
// from when), extensions, unassigning that keeps history, who may assign what, and the reminders:
// each written once, never for completed work, moved by an extension, a digest a week.
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { assign, extend, unassign } from "../../app/server/assignments/assign.server";
import { sweepReminders } from "../../app/server/assignments/reminders.server";
import { assigneeStates } from "../../app/server/assignments/status.server";
import { startAttempt, submitAttempt } from "../../app/server/learning/attempts.server";
import type { Actor } from "../../app/server/auth/policy.server";
import { createMailer } from "../../app/server/mail/mailer.server";
import { setGroupMembership } from "../../app/server/org/agencies.server";
import { createLogger } from "../../app/server/shared/log.server";
import { addDays, isoWeek, tokyoDate } from "../../app/server/shared/days.server";
import type { DatabaseHandle } from "../../db/connect.server";
import { engine, testDatabase } from "../support/db";
import { makeAgency, makeUser, type MadeUser } from "../support/fixtures";
import { answerAll, readyForFinal, syncSample } from "../support/learning";

let database: DatabaseHandle;
let moduleVersionId: string;
let agencyId: string;
let unit: string;
let otherUnit: string;
let trainer: Actor;
let strangerTrainer: Actor;
let admin: Actor;
const people: Record<string, MadeUser> = {};
const mailer = () => createMailer(database.db, createLogger("silent"), { smtpUrl: undefined, from: "test" });
const sweep = (now: Date) => sweepReminders(database.db, mailer(), { now, publicUrl: "http://mamoru.test" });
const DAY = 86_400_000;

beforeAll(async () => {
  database = await testDatabase();
  const db = database.db;
  moduleVersionId = (await syncSample(db)).id;
  agencyId = (await makeAgency(db, "Kanagawa Child Guidance Centre", "child_guidance")).id;
  const other = (await makeAgency(db, "Nagoya District Court", "court")).id;
  const group = async (name: string, agency: string) =>
    (
      await db
        .insertInto("groups")
        .values({ agency_id: agency, name, kind: "cohort" })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
  unit = await group("Intake 2026", agencyId);
  otherUnit = await group("Night shift", agencyId);
  const courtUnit = await group("Family division", other);
  for (const [key, agency, roles, groups, locale] of [
    ["aiko", agencyId, ["trainee"], [unit], "ja"],
    ["ben", agencyId, ["trainee"], [unit], "en"],
    ["chie", agencyId, ["trainee"], [otherUnit], "ja"],
    ["trainer", agencyId, ["trainer"], [], "en"],
    ["admin", agencyId, ["admin"], [], "en"],
    ["courtTrainer", other, ["trainer"], [], "en"],
  ] as const) {
    people[key] = await makeUser(db, { agencyId: agency, roles: [...roles], displayName: key });
    await db.updateTable("users").set({ locale }).where("id", "=", people[key]!.id).execute();
    for (const g of groups)
      await db.insertInto("group_members").values({ group_id: g, user_id: people[key]!.id }).execute();
  }
  await db.insertInto("group_trainers").values({ group_id: unit, user_id: people.trainer!.id }).execute();
  await db.insertInto("group_trainers").values({ group_id: courtUnit, user_id: people.courtTrainer!.id }).execute();
  const actor = (key: string, trainerOf: string[]): Actor => ({
    id: people[key]!.id,
    agencyId: people[key]!.agencyId,
    roles: people[key]!.roles,
    trainerOf,
  });
  trainer = actor("trainer", [unit]);
  strangerTrainer = actor("courtTrainer", [courtUnit]);
  admin = actor("admin", []);
});

async function obligations(assignmentId: string) {
  return database.db
    .selectFrom("assignees")
    .select(["user_id", "since", "ended_at", "end_reason"])
    .where("assignment_id", "=", assignmentId)
    .orderBy("since")
    .execute();
}

async function stateOf(assignmentId: string, userId: string, today: string) {
  return database.db
    .selectFrom(assigneeStates(database.db, today).as("s"))
    .select(["s.state", "s.due_on"])
    .where("s.assignment_id", "=", assignmentId)
    .where("s.user_id", "=", userId)
    .executeTakeFirst();
}

const notificationsOf = (userId: string) =>
  database.db
    .selectFrom("notifications")
    .select(["kind", "key", "subject", "mail_id"])
    .where("user_id", "=", userId)
    .orderBy("created_at")
    .execute();

describe(`assignments (${engine})`, () => {
  it("a group assignment reaches its members and enrols them, is audited, and queues the sweep in the same transaction", async () => {
    const db = database.db;
    const id = await assign(db, trainer, {
      agencyId,
      courseSlug: "sample-course",
      audience: "group",
      groupId: unit,
      due: { days: 14 },
      note: "Before the case conference",
    });
    const reached = await obligations(id);
    expect(reached.map((r) => r.user_id).sort()).toEqual([people.aiko!.id, people.ben!.id].sort());
    const enrolled = await db
      .selectFrom("enrollments")
      .select("user_id")
      .where("course_slug", "=", "sample-course")
      .execute();
    expect(enrolled.map((e) => e.user_id)).toEqual(expect.arrayContaining([people.aiko!.id, people.ben!.id]));
    const audited = await db
      .selectFrom("audit_events")
      .select(["actor_id", "details"])
      .where("subject_id", "=", id)
      .execute();
    expect(audited).toEqual([expect.objectContaining({ actor_id: trainer.id })]);
    const queued = await sql<{
      n: number;
    }>`select count(*)::int as n from pgboss.job where name = 'reminders.sweep'`.execute(db);
    expect(queued.rows[0]!.n).toBeGreaterThan(0);
  });

  it("reaches a person who joins the group later, due N days from the day they join; leaving ends it and keeps it", async () => {
    const db = database.db;
    const id = await assign(db, trainer, {
      agencyId,
      moduleSlug: "sample-module",
      audience: "group",
      groupId: unit,
      due: { days: 10 },
    });
    const newcomer = await makeUser(db, { agencyId, displayName: "newcomer" });
    await setGroupMembership(db, trainer.id, { groupId: unit, userId: newcomer.id, member: true });
    const joined = (await obligations(id)).find((o) => o.user_id === newcomer.id)!;
    expect(joined.ended_at).toBeNull();
    const today = tokyoDate(new Date());
    expect((await stateOf(id, newcomer.id, today))?.due_on).toBe(addDays(tokyoDate(joined.since), 10));

    await setGroupMembership(db, trainer.id, { groupId: unit, userId: newcomer.id, member: false });
    const left = (await obligations(id)).filter((o) => o.user_id === newcomer.id);
    expect(left).toEqual([expect.objectContaining({ end_reason: "left_group" })]);
    expect(await stateOf(id, newcomer.id, today)).toBeUndefined();
  });

  it("a person's extension beats the assignment's date, earlier or later, and only for them", async () => {
    const db = database.db;
    const today = tokyoDate(new Date());
    const id = await assign(db, trainer, {
      agencyId,
      moduleSlug: "sample-module",
      audience: "group",
      groupId: unit,
      due: { on: addDays(today, 5) },
    });
    await extend(db, trainer, { assignmentId: id, userId: people.ben!.id, dueOn: addDays(today, 40) });
    expect((await stateOf(id, people.ben!.id, today))?.due_on).toBe(addDays(today, 40));
    expect((await stateOf(id, people.aiko!.id, today))?.due_on).toBe(addDays(today, 5));
    const audited = await db
      .selectFrom("audit_events")
      .select("details")
      .where("action", "=", "assignment.extended")
      .where("subject_id", "=", people.ben!.id)
      .execute();
    expect(audited).toHaveLength(1);
  });

  it("counts only the person's own record: someone else's completion of the module leaves them not started", async () => {
    const db = database.db;
    const today = tokyoDate(new Date());
    const [done, waiting] = [await makeUser(db, { agencyId }), await makeUser(db, { agencyId })];
    const id = await assign(db, admin, {
      agencyId,
      moduleSlug: "sample-module",
      audience: "people",
      userIds: [done.id, waiting.id],
      due: { on: addDays(today, 20) },
    });
    await readyForFinal(db, done.id, moduleVersionId);
    const attempt = await startAttempt(db, { userId: done.id, moduleVersionId, stage: "final" });
    await answerAll(db, done.id, attempt, true);
    await submitAttempt(db, done.id, attempt);
    expect((await stateOf(id, done.id, today))?.state).toBe("completed");
    expect((await stateOf(id, waiting.id, today))?.state).toBe("not_started");
  });

  it("refuses what the actor may not assign: another agency's group, a group they do not train, a whole profession", async () => {
    const db = database.db;
    const base = { agencyId, courseSlug: "sample-course", due: { days: 7 } } as const;
    await expect(assign(db, strangerTrainer, { ...base, audience: "group", groupId: unit })).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(assign(db, trainer, { ...base, audience: "group", groupId: otherUnit })).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(
      assign(db, trainer, { ...base, audience: "people", userIds: [people.chie!.id] }),
    ).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(
      assign(db, trainer, { ...base, audience: "profession", profession: "social_worker" }),
    ).rejects.toMatchObject({ code: "forbidden" });
    await expect(
      assign(db, trainer, { ...base, audience: "group", groupId: unit, due: { on: "2026-02-30" } }),
    ).rejects.toMatchObject({
      code: "invalid",
      field: "dueOn",
    });
    // An admin may give a course to everyone of a profession in the agency.
    const id = await assign(db, admin, { ...base, audience: "profession", profession: "police" });
    expect((await obligations(id)).length).toBeGreaterThan(0);
    await unassign(db, admin, id);
    const ended = await obligations(id);
    expect(ended.length).toBeGreaterThan(0);
    expect(ended.every((o) => o.end_reason === "unassigned")).toBe(true);
  });
});

describe(`reminders (${engine})`, () => {
  it("writes each reminder once, moves them with an extension, stops them at completion, and sends one digest a week", async () => {
    const db = database.db;
    const start = new Date();
    const today = tokyoDate(start);
    const person = await makeUser(db, { agencyId, displayName: "Dana" });
    await db.insertInto("group_members").values({ group_id: unit, user_id: person.id }).execute();
    const id = await assign(db, trainer, {
      agencyId,
      moduleSlug: "sample-module",
      audience: "people",
      userIds: [person.id],
      due: { on: addDays(today, 10) },
    });

    await sweep(start);
    await sweep(start);
    expect((await notificationsOf(person.id)).map((n) => n.kind)).toEqual(["assigned"]);

    // Four days before: the 7-day reminder, once, even when two sweeps race.
    const fourBefore = new Date(start.getTime() + 6 * DAY);
    await Promise.all([sweep(fourBefore), sweep(fourBefore)]);
    expect((await notificationsOf(person.id)).map((n) => n.key)).toEqual([
      expect.stringMatching(/^assigned:/),
      expect.stringMatching(new RegExp(`^due_soon:.*:${addDays(today, 10)}:7$`)),
    ]);

    // An extension moves the date: the old date's 1-day reminder never comes.
    await extend(db, trainer, { assignmentId: id, userId: person.id, dueOn: addDays(today, 30) });
    await sweep(new Date(start.getTime() + 9 * DAY));
    expect((await notificationsOf(person.id)).length).toBe(2);
    const afterExtension = await sweep(new Date(start.getTime() + 29 * DAY));
    expect(afterExtension.notifications).toBeGreaterThanOrEqual(1);
    expect((await notificationsOf(person.id)).at(-1)!.key).toMatch(new RegExp(`:${addDays(today, 30)}:1$`));

    // Overdue once; the trainer's weekly digest names the person, once for the week.
    const late = new Date(start.getTime() + 36 * DAY); // a week after the last sweep: a new digest week
    await sweep(late);
    await sweep(late);
    const kinds = (await notificationsOf(person.id)).map((n) => n.kind);
    expect(kinds.filter((k) => k === "overdue")).toHaveLength(1);
    const week = isoWeek(tokyoDate(late));
    const digests = (await notificationsOf(trainer.id)).filter((n) => n.kind === "digest" && n.key.endsWith(week));
    expect(digests).toHaveLength(1);
    const digestMail = await db
      .selectFrom("mail_outbox")
      .select("body_text")
      .where("id", "=", digests[0]!.mail_id!)
      .executeTakeFirstOrThrow();
    expect(digestMail.body_text).toContain("Dana");

    // Every notification was mailed, in the recipient's language (Dana's is English).
    const mails = await db
      .selectFrom("notifications as n")
      .innerJoin("mail_outbox as m", "m.id", "n.mail_id")
      .select(["m.to_address", "m.subject"])
      .where("n.user_id", "=", person.id)
      .execute();
    expect(mails).toHaveLength(kinds.length);
    expect(mails.every((m) => m.to_address === person.email)).toBe(true);
    expect(mails.map((m) => m.subject)).toContain("Overdue: Sample module");
  });

  it("pages through more obligations than one batch: each of 1,201 people gets their notice once, with two sweeps racing", async () => {
    const db = database.db;
    const start = new Date();
    const cohort = (
      await db
        .insertInto("groups")
        .values({ agency_id: agencyId, name: "Large intake", kind: "cohort" })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
    await sql`
      with made as (
        insert into users (email, display_name, profession, locale, agency_id)
        select 'bulk-' || n || '@mamoru.test', 'Bulk ' || lpad(n::text, 4, '0'), 'police', 'ja', ${agencyId}::uuid
        from generate_series(1, 1201) n returning id)
      insert into group_members (group_id, user_id) select ${cohort}::uuid, id from made`.execute(db);
    await assign(db, admin, {
      agencyId,
      moduleSlug: "sample-module",
      audience: "group",
      groupId: cohort,
      due: { on: addDays(tokyoDate(start), 20) },
    });
    await Promise.all([sweep(start), sweep(start)]);
    await sweep(start);
    const written = await sql<{ people: number; notices: number; mailed: number }>`
      select count(distinct n.user_id)::int as people, count(*)::int as notices, count(n.mail_id)::int as mailed
      from notifications n join group_members gm on gm.user_id = n.user_id and gm.group_id = ${cohort}::uuid
      where n.kind = 'assigned'`.execute(db);
    expect(written.rows[0]).toEqual({ people: 1201, notices: 1201, mailed: 1201 });
  });

  it("never reminds someone who has completed the work", async () => {
    const db = database.db;
    const start = new Date();
    const today = tokyoDate(start);
    const person = await makeUser(db, { agencyId, displayName: "Eri" });
    await assign(db, admin, {
      agencyId,
      moduleSlug: "sample-module",
      audience: "people",
      userIds: [person.id],
      due: { on: addDays(today, 3) },
    });
    await readyForFinal(db, person.id, moduleVersionId);
    const attempt = await startAttempt(db, { userId: person.id, moduleVersionId, stage: "final" });
    await answerAll(db, person.id, attempt, true);
    await submitAttempt(db, person.id, attempt);
    await sweep(start);
    await sweep(new Date(start.getTime() + 2 * DAY));
    await sweep(new Date(start.getTime() + 10 * DAY));
    expect(await notificationsOf(person.id)).toEqual([]);
  });
});

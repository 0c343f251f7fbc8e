// Assign a course or one module to people, a group or a profession; take it back; give one person
// more time; and keep who an assignment reaches in step with group, profession and agency changes.
// Nothing is deleted: an ended assignment or obligation keeps its row, and every change is audited.
import { sql, type Kysely } from "kysely";
import type { Audience, Database, Profession } from "../../../db/schema";
import { audit } from "../audit.server";
import { can, type Actor } from "../auth/policy.server";
import { enqueue, QUEUES } from "../jobs/queue.server";
import { isRealDate } from "../shared/days.server";
import { DomainError } from "../shared/errors.server";

export interface AssignmentInput {
  agencyId: string;
  /** Exactly one of course and module. */
  courseSlug?: string | undefined;
  moduleSlug?: string | undefined;
  audience: Audience;
  groupId?: string | undefined;
  profession?: Profession | undefined;
  /** For audience 'people'. */
  userIds?: readonly string[] | undefined;
  /** A fixed day ('YYYY-MM-DD'), or a number of days after the assignment reaches each person. */
  due: { on: string } | { days: number };
  /** Days before the due date on which to remind; default 7 and 1. */
  remindDays?: readonly number[] | undefined;
  recurs?: boolean | undefined;
  renewalWindowDays?: number | undefined;
  note?: string | undefined;
}

/** Creates the assignment, reaches its people (enrolling them in a course), audits; returns its id. */
export async function assign(db: Kysely<Database>, actor: Actor, input: AssignmentInput): Promise<string> {
  if ((input.courseSlug === undefined) === (input.moduleSlug === undefined))
    throw new DomainError("invalid", "errors.assign.what", "what");
  if ("on" in input.due && !isRealDate(input.due.on)) throw new DomainError("invalid", "errors.assign.dueOn", "dueOn");
  return db.transaction().execute(async (trx) => {
    await checkContent(trx, input);
    const people = await checkAudience(trx, actor, input);
    const assignment = await trx
      .insertInto("assignments")
      .values({
        agency_id: input.agencyId,
        course_slug: input.courseSlug ?? null,
        module_slug: input.moduleSlug ?? null,
        audience: input.audience,
        group_id: input.audience === "group" ? input.groupId! : null,
        profession: input.audience === "profession" ? input.profession! : null,
        due_on: "on" in input.due ? input.due.on : null,
        due_days: "days" in input.due ? input.due.days : null,
        remind_days: [...new Set(input.remindDays ?? [7, 1])].sort((x, y) => y - x),
        recurs: input.recurs ?? false,
        renewal_window_days: input.renewalWindowDays ?? 60,
        note: input.note?.trim() || null,
        assigned_by: actor.id,
      })
      .returning("id")
      .executeTakeFirstOrThrow();

    // The people it reaches now: the listed ones, the group's members, the profession's holders.
    await sql`
      insert into assignees (assignment_id, user_id)
      select ${assignment.id}::uuid, u.id from users u
      where u.agency_id = ${input.agencyId}::uuid and u.disabled_at is null and ${reaches(input, people)}
      on conflict (assignment_id, user_id) where ended_at is null do nothing
    `.execute(trx);
    if (input.courseSlug) await enrolAssignees(trx, assignment.id);
    await audit(trx, {
      actorId: actor.id,
      agencyId: input.agencyId,
      action: "assignment.created",
      subjectType: "assignment",
      subjectId: assignment.id,
      details: {
        course: input.courseSlug ?? null,
        module: input.moduleSlug ?? null,
        audience: input.audience,
        groupId: input.groupId ?? null,
        profession: input.profession ?? null,
        people: people ?? null,
        due: input.due,
        recurs: input.recurs ?? false,
      },
    });
    await announce(trx);
    return assignment.id;
  });
}

/** The groups a person (`users as u`) belongs to, as the policy's `groupIds`. */
const groupIdsOf = () =>
  sql<string[]>`coalesce((select array_agg(m.group_id) from group_members m where m.user_id = u.id), '{}'::uuid[])`.as(
    "group_ids",
  );

/** The agency an audience belongs to: the group's, the first person's, else the reader's own (a profession). */
export async function agencyOfAudience(
  db: Kysely<Database>,
  audience: { groupId?: string | undefined; userIds?: readonly string[] | undefined },
  own: string,
): Promise<string> {
  const row = audience.groupId
    ? await db.selectFrom("groups").select("agency_id").where("id", "=", audience.groupId).executeTakeFirst()
    : audience.userIds?.[0]
      ? await db.selectFrom("users").select("agency_id").where("id", "=", audience.userIds[0]).executeTakeFirst()
      : undefined;
  return row?.agency_id ?? own;
}

function reaches(input: AssignmentInput, people: readonly string[] | undefined) {
  switch (input.audience) {
    case "people":
      return sql`u.id = any(${people ?? []}::uuid[])`;
    case "group":
      return sql`exists (select 1 from group_members m where m.user_id = u.id and m.group_id = ${input.groupId!}::uuid)`;
    case "profession":
      return sql`u.profession = ${input.profession!}`;
  }
}

async function checkContent(trx: Kysely<Database>, input: AssignmentInput): Promise<void> {
  const found = input.courseSlug
    ? await trx
        .selectFrom("courses")
        .select("slug")
        .where("slug", "=", input.courseSlug)
        .where("archived_at", "is", null)
        .executeTakeFirst()
    : await trx.selectFrom("modules").select("slug").where("slug", "=", input.moduleSlug!).executeTakeFirst();
  if (!found) throw new DomainError("invalid", "errors.assign.what", "what");
}

/** Refuses an audience the actor may not assign to; returns the listed people, when it is people. */
async function checkAudience(
  trx: Kysely<Database>,
  actor: Actor,
  input: AssignmentInput,
): Promise<readonly string[] | undefined> {
  switch (input.audience) {
    case "group": {
      const group = await trx
        .selectFrom("groups")
        .select(["id", "agency_id"])
        .where("id", "=", input.groupId ?? "00000000-0000-0000-0000-000000000000")
        .executeTakeFirst();
      if (!group || group.agency_id !== input.agencyId)
        throw new DomainError("invalid", "errors.assign.group", "groupId");
      if (!can(actor, "course.assign", { agencyId: group.agency_id, groupId: group.id }))
        throw new DomainError("forbidden", "errors.forbidden");
      return undefined;
    }
    case "profession":
      if (!input.profession) throw new DomainError("invalid", "errors.assign.profession", "profession");
      // Agency-wide: no group to train; only an agency-wide role may (the policy says admins).
      if (!can(actor, "course.assign", { agencyId: input.agencyId }))
        throw new DomainError("forbidden", "errors.forbidden");
      return undefined;
    case "people": {
      const ids = [...new Set(input.userIds ?? [])];
      if (ids.length === 0) throw new DomainError("invalid", "errors.assign.people", "userIds");
      const rows = await trx
        .selectFrom("users as u")
        .select(["u.id", "u.agency_id", groupIdsOf()])
        .where("u.id", "in", ids)
        .where("u.disabled_at", "is", null)
        .execute();
      if (rows.length !== ids.length) throw new DomainError("invalid", "errors.assign.people", "userIds");
      for (const row of rows) {
        if (row.agency_id !== input.agencyId) throw new DomainError("invalid", "errors.assign.people", "userIds");
        if (!can(actor, "course.assign", { agencyId: row.agency_id, userId: row.id, groupIds: row.group_ids }))
          throw new DomainError("forbidden", "errors.forbidden");
      }
      return ids;
    }
  }
}

/** Assigning a course enrols: it then appears among the person's courses like one they chose. */
async function enrolAssignees(trx: Kysely<Database>, assignmentId: string): Promise<void> {
  await sql`
    insert into enrollments (user_id, course_slug)
    select p.user_id, a.course_slug from assignees p join assignments a on a.id = p.assignment_id
    where p.assignment_id = ${assignmentId}::uuid and p.ended_at is null and a.course_slug is not null
    on conflict do nothing
  `.execute(trx);
}

// New obligations are announced by the reminder sweep (one writer of notifications, each once);
// queueing a sweep in the same transaction makes it run as soon as this commits.
async function announce(trx: Kysely<Database>): Promise<void> {
  await enqueue(trx, QUEUES.reminders, { reason: "assigned" });
}

/** The assignment with what the actor needs to decide on it; 404 when it does not exist. */
async function loadAssignment(trx: Kysely<Database>, assignmentId: string) {
  const row = await trx
    .selectFrom("assignments")
    .selectAll()
    .where("id", "=", assignmentId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw new DomainError("not_found", "errors.notFound");
  return row;
}

function mayChange(actor: Actor, a: { agency_id: string; group_id: string | null; assigned_by: string | null }) {
  if (a.group_id) return can(actor, "course.assign", { agencyId: a.agency_id, groupId: a.group_id });
  // Individual and agency-wide assignments: whoever may assign agency-wide, or the one who made it.
  return (
    can(actor, "course.assign", { agencyId: a.agency_id }) ||
    (a.assigned_by === actor.id &&
      can(actor, "course.assign", { agencyId: a.agency_id, groupIds: actor.trainerOf ?? [] }))
  );
}

/** Ends an assignment for everyone it reaches; its rows and records stay. Audited. */
export async function unassign(db: Kysely<Database>, actor: Actor, assignmentId: string, now = new Date()) {
  await db.transaction().execute(async (trx) => {
    const a = await loadAssignment(trx, assignmentId);
    if (!mayChange(actor, a)) throw new DomainError("forbidden", "errors.forbidden");
    if (a.ended_at) return;
    await trx.updateTable("assignments").set({ ended_at: now, ended_by: actor.id }).where("id", "=", a.id).execute();
    const ended = await trx
      .updateTable("assignees")
      .set({ ended_at: now, end_reason: "unassigned" })
      .where("assignment_id", "=", a.id)
      .where("ended_at", "is", null)
      .executeTakeFirst();
    await audit(trx, {
      actorId: actor.id,
      agencyId: a.agency_id,
      action: "assignment.ended",
      subjectType: "assignment",
      subjectId: a.id,
      details: { people: Number(ended.numUpdatedRows) },
    });
  });
}

/**
 * Gives one person a later due date. It beats the assignment's date whatever is changed later, and
 * moves the reminders: they are keyed by the due date, so the old date's are never sent.
 */
export async function extend(
  db: Kysely<Database>,
  actor: Actor,
  input: { assignmentId: string; userId: string; dueOn: string; reason?: string | undefined },
): Promise<void> {
  if (!isRealDate(input.dueOn)) throw new DomainError("invalid", "errors.assign.dueOn", "dueOn");
  await db.transaction().execute(async (trx) => {
    const a = await loadAssignment(trx, input.assignmentId);
    const person = await trx
      .selectFrom("assignees as p")
      .innerJoin("users as u", "u.id", "p.user_id")
      .select(["p.id", "p.extended_to", "u.agency_id", groupIdsOf()])
      .where("p.assignment_id", "=", a.id)
      .where("p.user_id", "=", input.userId)
      .where("p.ended_at", "is", null)
      .executeTakeFirst();
    if (!person || a.ended_at) throw new DomainError("not_found", "errors.notFound");
    if (!can(actor, "course.assign", { agencyId: person.agency_id, userId: input.userId, groupIds: person.group_ids }))
      throw new DomainError("forbidden", "errors.forbidden");
    await trx
      .updateTable("assignees")
      .set({ extended_to: input.dueOn, extended_by: actor.id })
      .where("id", "=", person.id)
      .execute();
    await audit(trx, {
      actorId: actor.id,
      agencyId: a.agency_id,
      action: "assignment.extended",
      subjectType: "user",
      subjectId: input.userId,
      details: { assignmentId: a.id, from: person.extended_to, to: input.dueOn, reason: input.reason ?? null },
    });
  });
}

/**
 * Brings a person's obligations in step with who they are now: group and profession assignments of
 * their agency reach them from today; those they no longer qualify for end, with the reason. Call
 * it in the transaction of any change to a person's groups, profession, agency or account.
 */
export async function reconcilePerson(trx: Kysely<Database>, userId: string, now = new Date()): Promise<void> {
  const joined = await sql<{ id: string }>`
    insert into assignees (assignment_id, user_id, since)
    select a.id, u.id, ${now} from users u
    join assignments a on a.agency_id = u.agency_id and a.ended_at is null
    where u.id = ${userId}::uuid and u.disabled_at is null and (
      (a.audience = 'group' and exists (
        select 1 from group_members m where m.group_id = a.group_id and m.user_id = u.id))
      or (a.audience = 'profession' and a.profession = u.profession))
    on conflict (assignment_id, user_id) where ended_at is null do nothing
    returning id
  `.execute(trx);
  await sql`
    update assignees p set ended_at = ${now}, end_reason = case
        when u.disabled_at is not null then 'disabled'
        when a.agency_id <> u.agency_id then 'left_agency'
        when a.audience = 'group' then 'left_group'
        else 'profession_changed' end
    from assignments a, users u
    where p.assignment_id = a.id and u.id = p.user_id and p.user_id = ${userId}::uuid and p.ended_at is null
      and not (u.disabled_at is null and a.agency_id = u.agency_id and (
        a.audience = 'people'
        or (a.audience = 'group' and exists (
          select 1 from group_members m where m.group_id = a.group_id and m.user_id = u.id))
        or (a.audience = 'profession' and a.profession = u.profession)))
  `.execute(trx);
  if (joined.rows.length > 0) {
    await sql`
      insert into enrollments (user_id, course_slug)
      select p.user_id, a.course_slug from assignees p join assignments a on a.id = p.assignment_id
      where p.id = any(${joined.rows.map((r) => r.id)}::uuid[]) and a.course_slug is not null
      on conflict do nothing
    `.execute(trx);
    await announce(trx);
  }
}

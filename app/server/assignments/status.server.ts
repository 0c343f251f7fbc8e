// Where each person stands on what they were assigned, on a given day in Tokyo. One query, used by
// the trainee's home, the trainer's views and the reminder sweep, so that "overdue" means the same
// thing on a page and in a mail.
//
//   due      no record yet: the person's extension, else the assignment's date, else N days after
//            the assignment reached them. A recurring assignment with a record: the record's expiry
//            (or a later extension).
//   state    completed     a record, and (not recurring, or not yet in its renewal window)
//            overdue       due before today
//            renewal_due   recurring, a record in its renewal window, not yet expired
//            in_progress   a pre-test or a lesson done in one of its modules
//            not_started   nothing yet
//
// The training matrix words the same states for a reader who asks "is it still valid": where the
// state is completed or renewal_due, the record's own expiry decides (`standing` below).
import { sql, type Kysely } from "kysely";
import type { AssigneeState, Database, Standing } from "../../../db/schema";

export { ASSIGNEE_STATES, STANDINGS, type AssigneeState, type Standing } from "../../../db/schema";

/**
 * Every live obligation (assignee and assignment not ended) with its due day, state and latest
 * record, as a subquery to select from: `db.selectFrom(assigneeStates(db, today).as("s"))`.
 */
export function assigneeStates(db: Kysely<Database>, today: string) {
  return db
    .selectFrom("assignees as p")
    .innerJoin("assignments as a", "a.id", "p.assignment_id")
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom("completion_records as cr")
          .select(["cr.id", "cr.completed_at", "cr.expires_at", "cr.score", "cr.pretest_score", "cr.certificate_code"])
          .whereRef("cr.user_id", "=", "p.user_id")
          // Parenthesised whole: Kysely inserts raw SQL as it is, and an unbracketed `or` would
          // escape the person condition above (anyone's record of the module would count).
          .where(
            sql<boolean>`((cr.kind = 'course' and cr.course_slug = a.course_slug)
              or (cr.kind = 'module' and a.module_slug is not null and cr.module_version_id in
                   (select mv.id from module_versions mv where mv.module_slug = a.module_slug)))`,
          )
          .orderBy("cr.completed_at", "desc")
          .limit(1)
          .as("r"),
      (join) => join.onTrue(),
    )
    .where("p.ended_at", "is", null)
    .where("a.ended_at", "is", null)
    .select([
      "p.id as assignee_id",
      "p.user_id",
      "p.since",
      "p.extended_to",
      "a.id as assignment_id",
      "a.agency_id",
      "a.course_slug",
      "a.module_slug",
      "a.group_id",
      "a.note",
      "a.assigned_by",
      "a.recurs",
      "a.remind_days",
      "r.id as record_id",
      "r.completed_at",
      "r.expires_at",
      "r.score",
      "r.pretest_score",
      "r.certificate_code",
      sql<string>`${due}`.as("due_on"),
      sql<AssigneeState>`case
        when r.id is not null and (not a.recurs
          or ${today}::date < (r.expires_at at time zone 'Asia/Tokyo')::date - a.renewal_window_days)
          then 'completed'
        when ${due} < ${today}::date then 'overdue'
        when r.id is not null then 'renewal_due'
        when ${started} then 'in_progress'
        else 'not_started'
      end`.as("state"),
    ]);
}

/**
 * Where the matrix places one obligation, over a selection from `assigneeStates` as "s": its state,
 * except that completed and renewal-due say how the record stands on `now` — expired, expiring
 * (its expiry day in Tokyo within `windowDays` of today), or current. An overdue renewal stays
 * overdue: the assignment's due date passed, which matters more than the record that lapsed.
 */
export function standing(today: string, now: Date, windowDays: number) {
  return sql<Exclude<Standing, "not_required">>`(case
    when s.state in ('completed', 'renewal_due') then (case
      when s.expires_at <= ${now}::timestamptz then 'expired'
      when (s.expires_at at time zone 'Asia/Tokyo')::date <= ${today}::date + ${windowDays}::int then 'expiring'
      else 'current' end)
    else s.state end)`;
}

const due = sql`(case
  when r.id is null then coalesce(p.extended_to,
    coalesce(a.due_on, (p.since at time zone 'Asia/Tokyo')::date + a.due_days))
  when a.recurs then greatest((r.expires_at at time zone 'Asia/Tokyo')::date, p.extended_to)
end)`;

// Modules of the assignment: its one module, or the course's. Read from the person's own attempts
// and readings (their user index), each checked against the assignment: most people have a few or
// none, where listing the assignment's module versions first cost a scan of them per obligation.
const inAssignment = (version: string) => sql`exists (select 1 from module_versions mv
    where mv.id = ${sql.raw(version)} and (mv.module_slug = a.module_slug or exists (select 1 from course_modules cm
      where cm.course_slug = a.course_slug and cm.module_slug = mv.module_slug)))`;
const started = sql`(exists (
    select 1 from quiz_attempts qa where qa.user_id = p.user_id and ${inAssignment("qa.module_version_id")})
  or exists (
    select 1 from lesson_progress lp where lp.user_id = p.user_id and ${inAssignment("lp.module_version_id")}))`;

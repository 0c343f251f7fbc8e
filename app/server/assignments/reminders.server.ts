// The reminder sweep: every notification about assigned work is written here, once. Each has a key
// that says what it is about (the obligation, the due date, the reminder); the key is unique in the
// database, so two workers, a re-run after a crash, or a sweep that runs twice write it once, and a
// due date moved by an extension makes new keys (the old date's reminders are then never due).
// Completed work is never reminded: the state comes from the same query as the pages'.
import { sql, type Kysely } from "kysely";
import type { Database, Locale, NotificationKind } from "../../../db/schema";
import { translate } from "../../i18n";
import type { Mailer } from "../mail/mailer.server";
import { addDays, isoWeek, tokyoDate } from "../shared/days.server";
import { assigneeStates } from "./status.server";

/** An 'assigned' notice is for obligations that began within this many days (not a backlog). */
const ANNOUNCE_WITHIN_DAYS = 7;
/** A course record's holder hears this many days before it expires. */
const EXPIRY_NOTICE_DAYS = 30;
const BATCH = 500;

interface Candidate {
  user_id: string;
  kind: NotificationKind;
  key: string;
  email: string;
  locale: Locale | null;
  title: { en: string; ja?: string };
  due_on: string | null;
  days: number | null;
  note: string | null;
  link_path: string;
  count: number | null;
  names: string[] | null;
}

export interface SweepResult {
  notifications: number;
}

/**
 * One batch of a source: the candidates found in it, and where the next batch starts (undefined
 * when this was the last). Each batch is a bounded index scan from its cursor, so a sweep over N
 * obligations costs N, not N² (a "first 500 not yet written" query rescans what was written).
 */
interface Batch {
  candidates: Candidate[];
  next: string | undefined;
}
type Source = (trx: Kysely<Database>, now: Date, today: string, after: string | undefined) => Promise<Batch>;

/** Writes (and mails) every notification due at `now` that has not been written yet. */
export async function sweepReminders(
  db: Kysely<Database>,
  mailer: Mailer,
  options: { now: Date; publicUrl: string },
): Promise<SweepResult> {
  const today = tokyoDate(options.now);
  let total = 0;
  for (const source of [obligationNotices, expiryNotices, trainerDigests] satisfies Source[]) {
    let after: string | undefined;
    do {
      const batch = await db.transaction().execute(async (trx) => {
        const found = await source(trx, options.now, today, after);
        const written = found.candidates.length ? await write(trx, mailer, found.candidates, options.publicUrl) : 0;
        return { next: found.next, written };
      });
      total += batch.written;
      after = batch.next;
    } while (after !== undefined);
  }
  return { notifications: total };
}

const notYetWritten = (key: ReturnType<typeof sql>) =>
  sql`not exists (select 1 from notifications n where n.key = ${key})`;

// The title and page of what an obligation (row `k`) is about: its course, or its module's latest version.
const titleOfK = sql`coalesce(
  (select c.title from courses c where c.slug = k.course_slug),
  (select mv.title from module_versions mv join modules m on m.slug = mv.module_slug and mv.version = m.latest_version
    where mv.module_slug = k.module_slug))`;
const linkOfK = sql`case when k.course_slug is not null then '/courses/' || k.course_slug
  else '/modules/' || k.module_slug end`;

/**
 * Assigned, due soon, overdue: about one obligation each. A batch is the next BATCH live
 * obligations by id (the primary key), whose states alone are computed; two workers walk the same
 * batches and the unique key lets one of them write each notice.
 */
async function obligationNotices(
  trx: Kysely<Database>,
  now: Date,
  today: string,
  after: string | undefined,
): Promise<Batch> {
  const ids = await trx
    .selectFrom("assignees")
    .select("id")
    .where("ended_at", "is", null)
    .$if(after !== undefined, (q) => q.where("id", ">", after!))
    .orderBy("id")
    .limit(BATCH)
    .execute();
  if (ids.length === 0) return { candidates: [], next: undefined };
  const result = await sql<Candidate>`
    with s as (${assigneeStates(trx, today).where(
      "p.id",
      "in",
      ids.map((r) => r.id),
    )}),
    c as (
      select s.*, u.email, u.locale,
        (select min(n) from unnest(s.remind_days) n where n >= s.due_on - ${today}::date) as days
      from s join users u on u.id = s.user_id and u.disabled_at is null
      where s.state <> 'completed'
    ),
    k as (
      select c.*, 'assigned'::text as kind, 'assigned:' || c.assignee_id as key from c
        where c.since >= ${new Date(now.getTime() - ANNOUNCE_WITHIN_DAYS * 86_400_000)}
      union all
      select c.*, 'overdue', 'overdue:' || c.assignee_id || ':' || c.due_on from c where c.state = 'overdue'
      union all
      select c.*, 'due_soon', 'due_soon:' || c.assignee_id || ':' || c.due_on || ':' || c.days from c
        where c.state <> 'overdue' and c.days is not null
    )
    select k.user_id, k.kind, k.key, k.email, k.locale, ${titleOfK} as title, k.due_on::text as due_on, k.days,
      k.note, ${linkOfK} as link_path, null::int as count, null::text[] as names
    from k where ${notYetWritten(sql`k.key`)}
    order by k.key
  `.execute(trx);
  return { candidates: result.rows, next: ids.length < BATCH ? undefined : ids.at(-1)!.id };
}

/** A course record about to expire (its holder renews it), once per record; batches by record id. */
async function expiryNotices(
  trx: Kysely<Database>,
  now: Date,
  today: string,
  after: string | undefined,
): Promise<Batch> {
  const result = await sql<Candidate & { record_id: string }>`
    select r.id as record_id, r.user_id, 'expiring' as kind, 'expiring:' || r.id as key, u.email, u.locale, c.title,
      (r.expires_at at time zone 'Asia/Tokyo')::date::text as due_on, null::int as days, null::text as note,
      '/courses/' || c.slug as link_path, null::int as count, null::text[] as names
    from completion_records r
    join users u on u.id = r.user_id and u.disabled_at is null
    join courses c on c.slug = r.course_slug
    where r.kind = 'course' and r.expires_at > ${now}
      and (r.expires_at at time zone 'Asia/Tokyo')::date <= ${addDays(today, EXPIRY_NOTICE_DAYS)}::date
      and not exists (select 1 from completion_records newer where newer.user_id = r.user_id
        and newer.kind = 'course' and newer.course_slug = r.course_slug and newer.completed_at > r.completed_at)
      and ${notYetWritten(sql`'expiring:' || r.id`)}
      and (${after ?? null}::uuid is null or r.id > ${after ?? null}::uuid)
    order by r.id
    limit ${BATCH}
  `.execute(trx);
  const rows = result.rows;
  return {
    candidates: rows.map(({ record_id: _, ...c }) => c),
    next: rows.length < BATCH ? undefined : rows.at(-1)!.record_id,
  };
}

/** One mail a week to each trainer who has overdue people in the groups they train. */
async function trainerDigests(
  trx: Kysely<Database>,
  _now: Date,
  today: string,
  after: string | undefined,
): Promise<Batch> {
  const week = isoWeek(today);
  const result = await sql<Candidate>`
    with s as (${assigneeStates(trx, today)}),
    late as (
      select distinct gt.user_id as trainer_id, s.user_id as person_id
      from s join group_members gm on gm.user_id = s.user_id
      join group_trainers gt on gt.group_id = gm.group_id
      where s.state = 'overdue'
    )
    select t.id as user_id, 'digest' as kind, 'digest:' || t.id || ':' || ${week} as key, t.email, t.locale,
      '{"en":"","ja":""}'::jsonb as title, null::text as due_on, null::int as days, null::text as note,
      '/training' as link_path, count(*)::int as count,
      (array_agg(p.display_name order by p.display_name))[1:20] as names
    from late join users t on t.id = late.trainer_id and t.disabled_at is null
    join users p on p.id = late.person_id
    where ${notYetWritten(sql`'digest:' || t.id || ':' || ${week}`)}
      and (${after ?? null}::uuid is null or t.id > ${after ?? null}::uuid)
    group by t.id, t.email, t.locale
    order by t.id
    limit ${BATCH}
  `.execute(trx);
  const rows = result.rows;
  return { candidates: rows, next: rows.length < BATCH ? undefined : rows.at(-1)!.user_id };
}

/** Inserts the notifications (a key already written is skipped) and mails the ones written now. */
async function write(
  trx: Kysely<Database>,
  mailer: Mailer,
  candidates: readonly Candidate[],
  publicUrl: string,
): Promise<number> {
  const rendered = candidates.map((c) => ({ candidate: c, ...render(c, publicUrl) }));
  const inserted = await trx
    .insertInto("notifications")
    .values(
      rendered.map((r) => ({
        user_id: r.candidate.user_id,
        kind: r.candidate.kind,
        key: r.candidate.key,
        subject: r.subject,
        body_text: r.text,
        link: r.link,
      })),
    )
    .onConflict((oc) => oc.column("key").doNothing())
    .returning(["id", "key"])
    .execute();
  if (inserted.length === 0) return 0;
  const byKey = new Map(rendered.map((r) => [r.candidate.key, r]));
  const mails = inserted.map((n) => {
    const r = byKey.get(n.key)!;
    return { to: r.candidate.email, subject: r.subject, text: r.text, link: r.link };
  });
  const mailIds = await mailer.sendMany(trx, mails);
  await sql`
    update notifications n set mail_id = m.mail_id
    from unnest(${inserted.map((n) => n.id)}::uuid[], ${mailIds}::uuid[]) as m(id, mail_id)
    where n.id = m.id
  `.execute(trx);
  return inserted.length;
}

function render(c: Candidate, publicUrl: string): { subject: string; text: string; link: string } {
  const locale: Locale = c.locale ?? "ja";
  const link = new URL(c.link_path, publicUrl).toString();
  const params = {
    title: c.title[locale] ?? c.title.en,
    due: c.due_on ?? "",
    days: c.days ?? 0,
    count: c.count ?? 0,
    names: (c.names ?? []).join("\n"),
    link,
  };
  const subject = translate(locale, `notify.${c.kind}.subject`, params);
  let text = translate(locale, `notify.${c.kind}.body`, params);
  if (c.note) text += `\n\n${translate(locale, "notify.note", { note: c.note })}`;
  return { subject, text, link };
}

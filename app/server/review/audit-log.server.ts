// Reading the audit trail: an admin reads all of it, a reviewer their agency's events. Newest first,
// a page at a time by keyset on (time, id): the cursor is the last event's id, and the next page
// starts below that event's exact time as the database stores it (microseconds, which a
// JavaScript date would round).
import { sql, type Kysely } from "kysely";
import type { Database } from "../../../db/schema";
import type { Scope } from "../auth/scope.server";
import { dayEnd, dayStart, type AuditFilter } from "./filters.server";

export const AUDIT_PAGE_SIZE = 50;

/** The actions written today, offered as suggestions; the filter takes any action name. */
export const KNOWN_ACTIONS = [
  "agency.created",
  "agency.updated",
  "audit.export_started",
  "audit.exported",
  "auth.other_sessions_ended",
  "auth.password_change_failed",
  "auth.password_changed",
  "auth.password_reset",
  "auth.password_verified",
  "auth.reset_requested",
  "auth.second_factor_failed",
  "auth.session_ended",
  "auth.sign_in_failed",
  "auth.signed_in",
  "auth.signed_out",
  "auth.signed_out_everywhere",
  "group.created",
  "group.member_added",
  "group.member_removed",
  "group.trainer_added",
  "group.trainer_removed",
  "matrix.export_started",
  "matrix.exported",
  "mfa.disable_failed",
  "mfa.passkey_added",
  "mfa.passkey_removed",
  "mfa.recovery_codes_regenerated",
  "mfa.requirement_changed",
  "mfa.totp_disabled",
  "mfa.totp_enabled",
  "records.agency_checked",
  "records.export_started",
  "records.exported",
  "records.verified",
  "records.viewed",
  "setup.first_admin",
  "user.disabled",
  "user.enabled",
  "user.invitation_accepted",
  "user.invited",
  "user.moved",
  "user.name_changed",
  "user.roles_changed",
  "user.second_factor_removed",
  "user.sessions_ended",
] as const;

export interface AuditRow {
  id: string;
  at: Date;
  action: string;
  subject_type: string;
  subject_id: string | null;
  details: Record<string, unknown>;
  actor_id: string | null;
  actor_name: string | null;
  actor_email: string | null;
  subject_name: string | null;
  agency_name: string | null;
}

/** The audit events an audit scope reaches (all, or one agency's). */
export type AuditScope = Extract<Scope, { kind: "all" } | { kind: "agency" }>;

/** Up to `limit` events of the scope that pass the filter, after the cursor, newest first: one statement. */
export async function auditRows(
  db: Kysely<Database>,
  scope: AuditScope,
  filter: AuditFilter,
  limit: number,
): Promise<AuditRow[]> {
  let q = db
    .selectFrom("audit_events as e")
    .leftJoin("users as actor", "actor.id", "e.actor_id")
    // Subjects are people for most events; the id is kept as text (some subjects are not rows).
    .leftJoin("users as subject", (j) =>
      j.on("e.subject_type", "=", "user").on(sql`subject.id::text`, "=", sql.ref("e.subject_id")),
    )
    .leftJoin("agencies as ag", "ag.id", "e.agency_id")
    .select([
      "e.id",
      "e.at",
      "e.action",
      "e.subject_type",
      "e.subject_id",
      "e.details",
      "e.actor_id",
      "actor.display_name as actor_name",
      "actor.email as actor_email",
      "subject.display_name as subject_name",
      "ag.name as agency_name",
    ]);
  if (scope.kind === "agency") q = q.where("e.agency_id", "=", scope.agencyId);
  const f = filter;
  if (f.agency) q = q.where("e.agency_id", "=", f.agency);
  if (f.action) q = q.where("e.action", "=", f.action);
  if (f.from) q = q.where("e.at", ">=", dayStart(f.from));
  if (f.to) q = q.where("e.at", "<", dayEnd(f.to));
  if (f.q) {
    const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) =>
      eb.or([
        eb("actor.display_name", "ilike", like),
        eb("actor.email", "ilike", like),
        eb("subject.display_name", "ilike", like),
        eb("subject.email", "ilike", like),
      ]),
    );
  }
  if (f.after) {
    const afterId = f.after;
    q = q.where(({ eb, refTuple, selectFrom }) =>
      eb(
        refTuple("e.at", "e.id"),
        "<",
        // Kysely types the tuple comparison loosely; the sub-select is the cursor event's own (at, id).
        selectFrom("audit_events as c").select(["c.at", "c.id"]).where("c.id", "=", afterId) as never,
      ),
    );
  }
  return (await q.orderBy("e.at", "desc").orderBy("e.id", "desc").limit(limit).execute()) as AuditRow[];
}

export async function auditPage(db: Kysely<Database>, scope: AuditScope, filter: AuditFilter) {
  const rows = await auditRows(db, scope, filter, AUDIT_PAGE_SIZE + 1);
  const events = rows.slice(0, AUDIT_PAGE_SIZE);
  return { events, next: rows.length > AUDIT_PAGE_SIZE ? events[events.length - 1]!.id : null };
}

// The audit trail: who did what to whom, written in the same transaction as the change itself.
import type { Kysely } from "kysely";
import type { Database } from "../../db/schema";

export interface AuditEntry {
  actorId: string | null;
  agencyId?: string | null;
  action: string;
  subjectType: string;
  subjectId?: string | null;
  details?: Record<string, unknown>;
}

export async function audit(db: Kysely<Database>, entry: AuditEntry): Promise<void> {
  await db
    .insertInto("audit_events")
    .values({
      actor_id: entry.actorId,
      agency_id: entry.agencyId ?? null,
      action: entry.action,
      subject_type: entry.subjectType,
      subject_id: entry.subjectId ?? null,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
}

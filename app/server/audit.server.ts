// The audit trail: who did what to whom, written in the same transaction as the change itself.
// Append-only (the database refuses UPDATE and DELETE) and hash-chained like the completion records:
// each event stores the SHA-256 of its content and of the event before it, and a MAC of that hash
// with a key the database never holds (app/server/chain/).
import { randomUUID } from "node:crypto";
import { sql, type Kysely, type Selectable } from "kysely";
import type { AuditEventsTable, Database } from "../../db/schema";
import type { Logger } from "./shared/log.server";
import type { BackgroundTasks } from "./shared/tasks.server";
import {
  chainAnchor,
  GENESIS,
  LINK_ALGORITHM,
  linkAlgorithm,
  linkHash,
  macOf,
  type ChainAnchor,
} from "./chain/anchor.server";
import {
  BATCH,
  walkChain,
  walkScoped,
  type ChainReport,
  type Progress,
  type ScopedLinkRow,
} from "./chain/verify.server";

// Apart from the other advisory lock keys (72_130_417…421 and the learner class).
const AUDIT_LOCK_KEY = 72_130_440;

export interface AuditEntry {
  actorId: string | null;
  agencyId?: string | null;
  action: string;
  subjectType: string;
  subjectId?: string | null;
  details?: Record<string, unknown>;
  /** When it happened, for an event written after the fact (auditLater); now by default. */
  at?: Date;
}

type AuditContent = Pick<
  Selectable<AuditEventsTable>,
  "id" | "at" | "actor_id" | "agency_id" | "action" | "subject_type" | "subject_id" | "details"
>;

/** The event's link hash; `alg` is the link's stored identifier (null: from before identifiers). */
export function auditHash(c: AuditContent, prevHash: string, alg: string | null = LINK_ALGORITHM): string {
  const fields = {
    id: c.id,
    at: c.at,
    actor_id: c.actor_id,
    agency_id: c.agency_id,
    action: c.action,
    subject_type: c.subject_type,
    subject_id: c.subject_id,
    details: c.details,
  };
  return linkHash(fields, prevHash, linkAlgorithm(alg) ?? LINK_ALGORITHM);
}

/**
 * Appends an event to the chain. The chain's head is taken under a transaction advisory lock held
 * to commit, so events from every instance line up one after another; write the event last in its
 * transaction (the lock is held until the end) and, where a transaction also appends a completion
 * record, after the record (always the records' lock first, then the audit trail's: no deadlock).
 */
export async function audit(db: Kysely<Database>, entry: AuditEntry): Promise<void> {
  if (!db.isTransaction) return db.transaction().execute((trx) => audit(trx, entry));
  const { keyring } = chainAnchor();
  // What jsonb gives back is what the hash must cover: a round trip drops undefined and turns dates to text.
  const details = JSON.parse(JSON.stringify(entry.details ?? {})) as Record<string, unknown>;
  // Millisecond precision: what Postgres stores is exactly what the hash covered.
  const content: AuditContent = {
    id: randomUUID(),
    at: entry.at ?? new Date(),
    actor_id: entry.actorId,
    agency_id: entry.agencyId ?? null,
    action: entry.action,
    subject_type: entry.subjectType,
    subject_id: entry.subjectId ?? null,
    details,
  };
  await sql`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`.execute(db);
  const last = await db.selectFrom("audit_events").select("hash").orderBy("seq", "desc").limit(1).executeTakeFirst();
  const prevHash = last?.hash ?? GENESIS;
  const hash = auditHash(content, prevHash);
  const { mac, keyId, alg } = macOf(keyring, "audit", hash);
  await db
    .insertInto("audit_events")
    .values({ ...content, details: JSON.stringify(details), prev_hash: prevHash, hash, mac, key_id: keyId, alg })
    .execute();
}

/** Waits before each retry of an event written after the response (three tries in all). */
const LATER_RETRY_MS = [200, 2_000];

/**
 * Appends an event after the response, through the background tasks: for events about a read (a
 * person's records viewed by someone else), which change nothing the event must commit with, and
 * whose reader should not wait for the chain's lock and a commit. The event keeps the time of the
 * read. A failed write is tried again twice; if it still fails, the whole event is logged at error
 * level, so that nothing is lost silently. Shutdown waits for pending events (tasks.settled()); a
 * view is lost only if the process dies in the milliseconds between the read and the write.
 * Returns once the write has started (at once unless the task limit is reached: then the request
 * waits for a free slot, so a flood of views cannot pile up unwritten events in memory).
 */
export function auditLater(
  app: { db: Kysely<Database>; tasks: BackgroundTasks; log: Logger },
  entry: AuditEntry,
): Promise<void> {
  const event = { ...entry, at: entry.at ?? new Date() };
  return app.tasks.run(`audit ${event.action}`, async () => {
    for (let attempt = 0; ; attempt++) {
      try {
        await audit(app.db, event);
        return;
      } catch (error) {
        const wait = LATER_RETRY_MS[attempt];
        if (wait === undefined) {
          app.log.error("audit event not written", { event, error });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  });
}

export interface VerifyAuditOptions {
  /** Only the events about this agency, each against its neighbours. */
  agencyId?: string | undefined;
  onProgress?: Progress | undefined;
  anchor?: ChainAnchor | undefined;
}

const hashOf = (row: Selectable<AuditEventsTable>) => auditHash(row, row.prev_hash ?? GENESIS, row.alg);

/**
 * Recomputes the audit trail's hashes in chain order, checks MACs, links and the newest checkpoint;
 * reports the first event that does not match. With `agencyId`, only the events about that agency.
 */
export async function verifyAuditChain(db: Kysely<Database>, options: VerifyAuditOptions = {}): Promise<ChainReport> {
  const anchor = options.anchor ?? chainAnchor();
  const { agencyId, onProgress } = options;
  if (agencyId === undefined) {
    return walkChain({
      chain: "audit",
      anchor,
      onProgress,
      hashOf,
      batch: (after) =>
        db.selectFrom("audit_events").selectAll().where("seq", ">", after).orderBy("seq").limit(BATCH).execute(),
    });
  }
  const keyed = await db
    .selectFrom("audit_events")
    .select("seq")
    .where("mac", "is not", null)
    .orderBy("seq")
    .limit(1)
    .executeTakeFirst();
  return walkScoped<Selectable<AuditEventsTable> & ScopedLinkRow>({
    chain: "audit",
    anchor,
    onProgress,
    hashOf,
    keyedFrom: keyed?.seq ?? null,
    hashAt: async (seq) => {
      const row = await db.selectFrom("audit_events").select("hash").where("seq", "=", seq).executeTakeFirst();
      return row ? (row.hash ?? GENESIS) : null;
    },
    countBefore: async (seq) =>
      Number(
        (
          await db
            .selectFrom("audit_events")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .where("agency_id", "=", agencyId)
            .where("seq", "<", seq)
            .executeTakeFirstOrThrow()
        ).n,
      ),
    // In chain order by the (agency_id, seq) index, a keyset batch at a time.
    batches: async function* () {
      let after = 0;
      for (;;) {
        const rows = await db
          .selectFrom("audit_events as e")
          .selectAll("e")
          .select((eb) => [
            eb
              .selectFrom("audit_events as p")
              .select("p.hash")
              .whereRef("p.seq", "<", "e.seq")
              .orderBy("p.seq", "desc")
              .limit(1)
              .as("pred_hash"),
            eb
              .selectFrom("audit_events as n")
              .select("n.prev_hash")
              .whereRef("n.seq", ">", "e.seq")
              .orderBy("n.seq")
              .limit(1)
              .as("succ_prev_hash"),
          ])
          .where("e.agency_id", "=", agencyId)
          .where("e.seq", ">", after)
          .orderBy("e.seq")
          .limit(BATCH)
          .execute();
        if (rows.length === 0) return;
        after = rows.at(-1)!.seq;
        yield rows;
      }
    },
  });
}

/** The audit trail's integrity checked at someone's request (all of it, or one agency's events), and audited. */
export async function checkAuditFor(
  db: Kysely<Database>,
  actorId: string,
  options: { agencyId?: string | undefined } = {},
): Promise<ChainReport & { at: Date }> {
  const report = await verifyAuditChain(db, { agencyId: options.agencyId });
  await audit(db, {
    actorId,
    agencyId: options.agencyId ?? null,
    action: "audit.verified",
    subjectType: "audit_events",
    details: { ...report },
  });
  return { ...report, at: new Date() };
}

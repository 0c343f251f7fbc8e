// Completion records: append-only (the database refuses UPDATE and DELETE) and hash-chained. Each
// record stores the SHA-256 of its own content and of the record before it, so that changing or
// removing any record breaks every hash after it, and `verifyChain` finds the first one.
import { createHash, randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { Selectable } from "kysely";
import type { CompletionRecordsTable, Database } from "../../../db/schema";
import { audit } from "../audit.server";

export const GENESIS = "0".repeat(64);
const CHAIN_LOCK_KEY = 72_130_420;

/** A record as hashed: every column but the chain's own (sequence, previous hash, hash). */
export type RecordContent = Omit<Selectable<CompletionRecordsTable>, "seq" | "prev_hash" | "hash">;

/** JSON with object keys sorted, so the same content always gives the same text. */
export function canonical(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

export function recordHash(content: RecordContent, prevHash: string): string {
  const c = content;
  const fields = {
    id: c.id,
    kind: c.kind,
    user_id: c.user_id,
    module_version_id: c.module_version_id,
    course_slug: c.course_slug,
    attempt_id: c.attempt_id,
    score: c.score,
    pretest_score: c.pretest_score,
    started_at: c.started_at,
    completed_at: c.completed_at,
    expires_at: c.expires_at,
    certificate_code: c.certificate_code,
    details: c.details,
  };
  return createHash("sha256").update(canonical(fields)).update("\n").update(prevHash).digest("hex");
}

/**
 * Holds the chain until the transaction ends: one writer at a time extends it, on every instance,
 * and a writer that must first decide whether a record is due decides on what others committed.
 */
export async function lockChain(trx: Kysely<Database>): Promise<void> {
  await sql`select pg_advisory_xact_lock(${CHAIN_LOCK_KEY})`.execute(trx);
}

/** Appends a record to the chain; call inside the transaction that earns it. */
export async function appendRecord(
  trx: Kysely<Database>,
  content: Omit<RecordContent, "id">,
): Promise<RecordContent & { hash: string }> {
  await lockChain(trx);
  const last = await trx
    .selectFrom("completion_records")
    .select("hash")
    .orderBy("seq", "desc")
    .limit(1)
    .executeTakeFirst();
  const prevHash = last?.hash ?? GENESIS;
  // Millisecond precision: what Postgres stores is exactly what the hash covered.
  const record: RecordContent = { ...content, id: randomUUID() };
  const hash = recordHash(record, prevHash);
  await trx
    .insertInto("completion_records")
    .values({ ...record, details: JSON.stringify(record.details), prev_hash: prevHash, hash })
    .execute();
  return { ...record, hash };
}

export type ChainReport =
  | { ok: true; checked: number }
  | { ok: false; checked: number; seq: number; id: string; reason: "content changed" | "chain broken" };

/** Recomputes every hash in order; reports the first record that does not match. */
export async function verifyChain(db: Kysely<Database>): Promise<ChainReport> {
  let prevHash = GENESIS;
  let checked = 0;
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom("completion_records")
      .selectAll()
      .where("seq", ">", after)
      .orderBy("seq")
      .limit(500)
      .execute();
    if (rows.length === 0) return { ok: true, checked };
    for (const row of rows) {
      if (row.prev_hash !== prevHash) return { ok: false, checked, seq: row.seq, id: row.id, reason: "chain broken" };
      const { seq: _seq, prev_hash: _prev, hash, ...content } = row;
      if (recordHash(content, row.prev_hash) !== hash)
        return { ok: false, checked, seq: row.seq, id: row.id, reason: "content changed" };
      prevHash = hash;
      checked++;
      after = row.seq;
    }
  }
}

/** An integrity check someone asked for: the chain verified, and who asked and what they saw audited. */
export async function checkRecordsFor(db: Kysely<Database>, actorId: string): Promise<ChainReport & { at: Date }> {
  const report = await verifyChain(db);
  await audit(db, { actorId, action: "records.verified", subjectType: "completion_records", details: { ...report } });
  return { ...report, at: new Date() };
}

export async function countRecords(db: Kysely<Database>) {
  const rows = await db
    .selectFrom("completion_records")
    .select(["kind", (eb) => eb.fn.countAll<number>().as("n")])
    .groupBy("kind")
    .execute();
  const n = (kind: string) => Number(rows.find((r) => r.kind === kind)?.n ?? 0);
  return { module: n("module"), course: n("course") };
}

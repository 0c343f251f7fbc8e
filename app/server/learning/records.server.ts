// Completion records: append-only (the database refuses UPDATE and DELETE) and hash-chained. Each
// record stores the SHA-256 of its own content and of the record before it, so that changing or
// removing any record breaks every hash after it, and `verifyChain` finds the first one. Each hash
// also carries a MAC with a key the database never holds, and the chain's head is checkpointed
// outside the database (app/server/chain/), so that rewriting the chain or cutting its end shows too.
import { randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { Selectable } from "kysely";
import type { CompletionRecordsTable, Database } from "../../../db/schema";
import { audit } from "../audit.server";
import {
  chainAnchor,
  GENESIS,
  LINK_ALGORITHM,
  linkAlgorithm,
  linkHash,
  macOf,
  type ChainAnchor,
} from "../chain/anchor.server";
import {
  BATCH,
  walkChain,
  walkScoped,
  type ChainReport,
  type Progress,
  type ScopedLinkRow,
} from "../chain/verify.server";

export { GENESIS, canonical } from "../chain/anchor.server";
export type { ChainReport, MismatchReason } from "../chain/verify.server";

const CHAIN_LOCK_KEY = 72_130_420;
/** People per batch in one agency's check: a person holds a few dozen records at most. */
const PEOPLE_BATCH = 200;

/** A record as hashed: every column but the chain's own (sequence, previous hash, hash, MAC). */
export type RecordContent = Omit<
  Selectable<CompletionRecordsTable>,
  "seq" | "prev_hash" | "hash" | "mac" | "key_id" | "alg"
>;

/** The record's link hash; `alg` is the link's stored identifier (null: from before identifiers). */
export function recordHash(content: RecordContent, prevHash: string, alg: string | null = LINK_ALGORITHM): string {
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
  return linkHash(fields, prevHash, linkAlgorithm(alg) ?? LINK_ALGORITHM);
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
  const { keyring } = chainAnchor();
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
  const { mac, keyId, alg } = macOf(keyring, "records", hash);
  await trx
    .insertInto("completion_records")
    .values({ ...record, details: JSON.stringify(record.details), prev_hash: prevHash, hash, mac, key_id: keyId, alg })
    .execute();
  return { ...record, hash };
}

export interface VerifyOptions {
  /** Only the records of this agency's people (their agency now), each against its neighbours. */
  agencyId?: string | undefined;
  /** Called after each batch with the number of records checked so far. */
  onProgress?: Progress | undefined;
  /** The keys and checkpoints to check against; the process's own by default. */
  anchor?: ChainAnchor | undefined;
}

const hashOf = (row: Selectable<CompletionRecordsTable>) => {
  const { seq: _seq, prev_hash, hash: _hash, mac: _mac, key_id: _key, alg, ...content } = row;
  return recordHash(content, prev_hash, alg);
};

/**
 * Recomputes the records' hashes in chain order, checks their MACs and links, and compares the chain
 * with the newest checkpoint; reports the first record that does not match. With `agencyId`, only
 * that agency's records are read in full (their neighbours' hashes too, none of their content).
 */
export async function verifyChain(db: Kysely<Database>, options: VerifyOptions = {}): Promise<ChainReport> {
  const anchor = options.anchor ?? chainAnchor();
  const { agencyId, onProgress } = options;
  if (agencyId === undefined) {
    return walkChain({
      chain: "records",
      anchor,
      onProgress,
      hashOf,
      batch: (after) =>
        db.selectFrom("completion_records").selectAll().where("seq", ">", after).orderBy("seq").limit(BATCH).execute(),
    });
  }
  const keyed = await db
    .selectFrom("completion_records")
    .select("seq")
    .where("mac", "is not", null)
    .orderBy("seq")
    .limit(1)
    .executeTakeFirst();
  // Person by person (the agency's people in keyset batches, their records by the user index):
  // one agency's records are found without reading the rest of the chain.
  const people = async function* () {
    let last = "00000000-0000-0000-0000-000000000000";
    for (;;) {
      const ids = (
        await db
          .selectFrom("users")
          .select("id")
          .where("agency_id", "=", agencyId)
          .where("id", ">", last)
          .orderBy("id")
          .limit(PEOPLE_BATCH)
          .execute()
      ).map((u) => u.id);
      if (ids.length === 0) return;
      last = ids.at(-1)!;
      yield ids;
    }
  };
  return walkScoped<Selectable<CompletionRecordsTable> & ScopedLinkRow>({
    chain: "records",
    anchor,
    onProgress,
    hashOf,
    keyedFrom: keyed?.seq ?? null,
    hashAt: async (seq) =>
      (await db.selectFrom("completion_records").select("hash").where("seq", "=", seq).executeTakeFirst())?.hash ??
      null,
    countBefore: async (seq) =>
      Number(
        (
          await db
            .selectFrom("completion_records as r")
            .innerJoin("users as u", "u.id", "r.user_id")
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .where("u.agency_id", "=", agencyId)
            .where("r.seq", "<", seq)
            .executeTakeFirstOrThrow()
        ).n,
      ),
    batches: async function* () {
      for await (const ids of people()) {
        yield await db
          .selectFrom("completion_records as r")
          .selectAll("r")
          .select((eb) => [
            eb
              .selectFrom("completion_records as p")
              .select("p.hash")
              .whereRef("p.seq", "<", "r.seq")
              .orderBy("p.seq", "desc")
              .limit(1)
              .as("pred_hash"),
            eb
              .selectFrom("completion_records as n")
              .select("n.prev_hash")
              .whereRef("n.seq", ">", "r.seq")
              .orderBy("n.seq")
              .limit(1)
              .as("succ_prev_hash"),
          ])
          .where("r.user_id", "in", ids)
          .orderBy("r.seq")
          .execute();
      }
    },
  });
}

/**
 * An integrity check someone asked for: the chain verified (the whole chain, or one agency's
 * records), and who asked and what they saw audited.
 */
export async function checkRecordsFor(
  db: Kysely<Database>,
  actorId: string,
  options: { agencyId?: string | undefined } = {},
): Promise<ChainReport & { at: Date }> {
  const report = await verifyChain(db, { agencyId: options.agencyId });
  await audit(db, {
    actorId,
    agencyId: options.agencyId ?? null,
    action: "records.verified",
    subjectType: "completion_records",
    details: { ...report },
  });
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

// The hash chain seen from one agency: whether each of its records still has its place in the
// chain. A record's place checks out when its content gives its hash, it links to the hash of the
// record just before it, and the record just after it links to it (so a record edited and given a
// fresh hash, without the rest of the chain recomputed, is caught too). Only the neighbours' hashes
// are read from other agencies' records, never their content.
// The agency's check runs the chain's own verification (keys, MACs, checkpoints); `placeOf` is the
// per-record view the person page shows beside each record.
import { sql, type Kysely } from "kysely";
import type { Database } from "../../../db/schema";
import { audit } from "../audit.server";
import type { MismatchReason } from "../chain/verify.server";
import { linkAlgorithm } from "../chain/anchor.server";
import { GENESIS, recordHash, verifyChain } from "../learning/records.server";

export type Mismatch = "content changed" | "chain broken" | "unknown algorithm";
export interface AgencyChainReport {
  checked: number;
  firstMismatch?: { id: string | null; seq: number; reason: MismatchReason };
}

/** Completion records with the hash of the record before each and the link of the record after it. */
export function recordsWithNeighbours(db: Kysely<Database>) {
  return db
    .selectFrom("completion_records as r")
    .selectAll("r")
    .select((eb) => [
      eb
        .selectFrom("completion_records as p")
        .select("p.hash")
        .whereRef("p.seq", "<", "r.seq")
        .orderBy("p.seq", "desc")
        // A literal: as a parameter, a prepared statement's generic plan does not know it is one.
        .limit(sql.lit(1))
        .as("before_hash"),
      eb
        .selectFrom("completion_records as n")
        .select("n.prev_hash")
        .whereRef("n.seq", ">", "r.seq")
        .orderBy("n.seq")
        .limit(sql.lit(1))
        .as("next_link"),
    ]);
}

type Neighboured = Awaited<ReturnType<ReturnType<typeof recordsWithNeighbours>["execute"]>>[number];

/** Null when the record's place in the chain checks out, else what is wrong with it. */
export function placeOf(row: Neighboured): Mismatch | null {
  const { seq: _seq, prev_hash, hash, before_hash, next_link, alg, ...content } = row;
  if (!linkAlgorithm(alg)) return "unknown algorithm";
  if (recordHash(content, prev_hash, alg) !== hash) return "content changed";
  if (prev_hash !== (before_hash ?? GENESIS)) return "chain broken";
  if (next_link !== null && next_link !== hash) return "chain broken";
  return null;
}

/** Every record of the agency's people, keyed and linked, through the chain's own check (ADR 014). */
export async function verifyAgencyChain(db: Kysely<Database>, agencyId: string): Promise<AgencyChainReport> {
  const report = await verifyChain(db, { agencyId });
  return {
    checked: report.checked,
    ...(report.firstMismatch
      ? {
          firstMismatch: {
            id: report.firstMismatch.id,
            seq: report.firstMismatch.seq,
            reason: report.firstMismatch.reason,
          },
        }
      : {}),
  };
}

/** The check run from the integrity page: verified, and who ran it and what it found audited. */
export async function checkAgencyRecords(
  db: Kysely<Database>,
  input: { actorId: string; agencyId: string },
): Promise<AgencyChainReport> {
  const report = await verifyAgencyChain(db, input.agencyId);
  await audit(db, {
    actorId: input.actorId,
    agencyId: input.agencyId,
    action: "records.agency_checked",
    subjectType: "agency",
    subjectId: input.agencyId,
    details: { ...report },
  });
  return report;
}

/** The agency's last check (from the audit trail): when, by whom, and what it found. */
export async function lastAgencyCheck(db: Kysely<Database>, agencyId: string) {
  const row = await db
    .selectFrom("audit_events as e")
    .leftJoin("users as u", "u.id", "e.actor_id")
    .select(["e.at", "e.details", "u.display_name"])
    .where("e.agency_id", "=", agencyId)
    .where("e.action", "=", "records.agency_checked")
    .orderBy("e.at", "desc")
    .limit(1)
    .executeTakeFirst();
  if (!row) return null;
  const details = row.details as unknown as AgencyChainReport;
  return {
    at: row.at,
    by: row.display_name ?? "",
    checked: Number(details.checked ?? 0),
    firstMismatch: details.firstMismatch,
  };
}

/** How many records the agency's people hold, and its name (null when there is no such agency). */
export async function agencyRecordCount(db: Kysely<Database>, agencyId: string) {
  return db
    .selectFrom("agencies as a")
    .select((eb) => [
      "a.id",
      "a.name",
      eb
        .selectFrom("completion_records as r")
        .innerJoin("users as u", "u.id", "r.user_id")
        .whereRef("u.agency_id", "=", "a.id")
        .select((e) => e.fn.countAll<string>().as("n"))
        .as("records"),
    ])
    .where("a.id", "=", agencyId)
    .executeTakeFirst();
}

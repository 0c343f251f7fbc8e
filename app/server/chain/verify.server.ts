// Verification of a chain (completion records or audit events), shared by both: every link's hash
// recomputed from its content, its MAC checked with the keys, its link to the one before, and the
// chain compared with the newest checkpoint. Reads in keyset batches, so memory stays flat however
// long the chain (the embedded engine cannot stream a cursor).
import { checkMac, GENESIS, linkAlgorithm, type ChainAnchor, type ChainName } from "./anchor.server";
import { newestCheckpoint, type Checkpoint } from "./checkpoints.server";

export const BATCH = 1000;

export type MismatchReason =
  /** The link's hash is not that of its content: it was changed. */
  | "content changed"
  /** The link does not follow the one before it (or the one after does not follow it): one was removed or put in. */
  | "chain broken"
  /** A link written after the chain had a key carries no MAC. */
  | "mac missing"
  /** The MAC does not match: the link was rewritten (hashes recomputed) by someone without the key. */
  | "mac mismatch"
  /** The link or checkpoint was MAC'd with a key that is not in the keyring. */
  | "unknown key"
  /** The link or checkpoint names algorithms this server does not know (ADR 025). */
  | "unknown algorithm"
  /** The chain ends before the newest checkpoint: links were removed from its end, or all of them. */
  | "records missing"
  /** The link the newest checkpoint names has another hash than it had then. */
  | "checkpoint mismatch"
  /** A checkpoint whose MAC does not match: written by someone without the key. */
  | "checkpoint forged";

export interface ChainReport {
  ok: boolean;
  /** Links checked. */
  checked: number;
  /** The first link (in chain order) that does not check out; `id` is null when it is gone. */
  firstMismatch?: { seq: number; id: string | null; reason: MismatchReason };
  /** Links from before the chain had a key: vouched for by the links after them and the checkpoints only. */
  legacy: number;
  /** The newest checkpoint the chain was compared with, if any. */
  checkpoint: { seq: number; count: number; at: string } | null;
}

export interface LinkRow {
  seq: number;
  id: string;
  prev_hash: string | null;
  hash: string | null;
  mac: string | null;
  key_id: string | null;
  /** The algorithms' identifier; null on links written before identifiers were stored (ADR 025). */
  alg: string | null;
}

/** A scoped walk (one agency's links) also reads the neighbours' hashes, never their content. */
export interface ScopedLinkRow extends LinkRow {
  /** The hash of the link just before this one in the whole chain; null when it is the first. */
  pred_hash: string | null;
  /** The `prev_hash` of the link just after it; null when it is the last. */
  succ_prev_hash: string | null;
}

export interface Progress {
  (checked: number): void;
}

interface WalkOptions<R extends LinkRow> {
  chain: ChainName;
  anchor: ChainAnchor;
  /** The next batch of links after `after` (a sequence number), in order. */
  batch(after: number): Promise<R[]>;
  /** The hash recomputed from the row's content and its `prev_hash`. */
  hashOf(row: R): string;
  onProgress?: Progress | undefined;
}

function macProblem(anchor: ChainAnchor, chain: ChainName, row: LinkRow) {
  const check = checkMac(anchor.keyring, chain, row.hash!, row.key_id ?? "", row.mac!, row.alg);
  return check === "ok" ? null : check;
}

/** The whole chain, from its first link. */
export async function walkChain<R extends LinkRow>(o: WalkOptions<R>): Promise<ChainReport> {
  const { checkpoint, forged } = await newestCheckpoint(o.anchor, o.chain);
  let prevHash = GENESIS;
  let checked = 0;
  let legacy = 0;
  let keyedFrom: number | null = null;
  let atCheckpoint: string | null = null;
  let countToCheckpoint = 0;
  let after = 0;
  const report = (firstMismatch?: ChainReport["firstMismatch"]): ChainReport => ({
    ok: !firstMismatch,
    checked,
    ...(firstMismatch ? { firstMismatch } : {}),
    legacy,
    checkpoint: checkpoint && { seq: checkpoint.seq, count: checkpoint.count, at: checkpoint.at },
  });
  for (;;) {
    const rows = await o.batch(after);
    if (rows.length === 0) break;
    for (const row of rows) {
      const at = { seq: row.seq, id: row.id };
      after = row.seq;
      if (row.mac === null) {
        // Before the first keyed link, a link may carry no MAC (and an audit event from before the
        // chain no hash at all); after it, every link must.
        if (keyedFrom !== null) return report({ ...at, reason: "mac missing" });
        legacy++;
        if (row.hash === null) {
          if (prevHash !== GENESIS) return report({ ...at, reason: "chain broken" });
        } else {
          if (row.prev_hash !== prevHash) return report({ ...at, reason: "chain broken" });
          if (o.hashOf(row) !== row.hash) return report({ ...at, reason: "content changed" });
          prevHash = row.hash;
        }
      } else {
        if (row.hash === null || row.prev_hash !== prevHash) return report({ ...at, reason: "chain broken" });
        if (!linkAlgorithm(row.alg)) return report({ ...at, reason: "unknown algorithm" });
        if (o.hashOf(row) !== row.hash) return report({ ...at, reason: "content changed" });
        const problem = macProblem(o.anchor, o.chain, row);
        if (problem) return report({ ...at, reason: problem });
        keyedFrom ??= row.seq;
        prevHash = row.hash;
      }
      checked++;
      if (checkpoint && row.seq <= checkpoint.seq) {
        countToCheckpoint++;
        if (row.seq === checkpoint.seq) atCheckpoint = row.hash ?? GENESIS;
      }
    }
    o.onProgress?.(checked);
  }
  return report(compareWithCheckpoint(checkpoint, forged, { atCheckpoint, countToCheckpoint, keyedFrom }));
}

function compareWithCheckpoint(
  checkpoint: Checkpoint | null,
  forged: { seq: number; reason: "unknown key" | "unknown algorithm" | "checkpoint forged" } | undefined,
  seen: { atCheckpoint: string | null; countToCheckpoint: number | null; keyedFrom: number | null },
): ChainReport["firstMismatch"] {
  if (checkpoint) {
    const at = { seq: checkpoint.seq, id: null };
    if (seen.atCheckpoint === null) return { ...at, reason: "records missing" };
    if (seen.atCheckpoint !== checkpoint.head) return { ...at, reason: "checkpoint mismatch" };
    if (seen.countToCheckpoint !== null && seen.countToCheckpoint !== checkpoint.count)
      return { ...at, reason: "records missing" };
    // Stripping the MACs would make keyed links look like legacy ones: the checkpoint knows better.
    if (checkpoint.keyedFrom !== null && (seen.keyedFrom === null || seen.keyedFrom > checkpoint.keyedFrom))
      return { seq: checkpoint.keyedFrom, id: null, reason: "mac missing" };
  }
  if (forged) return { seq: forged.seq, id: null, reason: forged.reason };
  return undefined;
}

interface ScopedWalkOptions<R extends ScopedLinkRow> {
  chain: ChainName;
  anchor: ChainAnchor;
  /** The scope's links in batches, in any order (each is checked on its own). */
  batches(): AsyncIterable<R[]>;
  hashOf(row: R): string;
  /** The number of the scope's links before this sequence number. */
  countBefore(seq: number): Promise<number>;
  /** The first link of the whole chain that carries a MAC (null: none yet). */
  keyedFrom: number | null;
  /** The hash of the link with this sequence number in the whole chain (null: none). */
  hashAt(seq: number): Promise<string | null>;
  onProgress?: Progress | undefined;
}

/**
 * Some links of the chain (one agency's), each checked on its own and against its neighbours'
 * hashes, in whatever order the scope reads fastest; the mismatch reported is the first in chain
 * order. A link removed from between two other agencies' links is not seen here: the full walk
 * finds it.
 */
export async function walkScoped<R extends ScopedLinkRow>(o: ScopedWalkOptions<R>): Promise<ChainReport> {
  const { checkpoint, forged } = await newestCheckpoint(o.anchor, o.chain);
  let intact = 0;
  let legacy = 0;
  let first: ChainReport["firstMismatch"];
  const problemOf = (row: R): MismatchReason | null => {
    const keyed = o.keyedFrom !== null && row.seq >= o.keyedFrom;
    if (row.mac === null && keyed) return "mac missing";
    if (row.hash === null) return keyed || row.pred_hash !== null ? "chain broken" : null;
    if (row.prev_hash !== (row.pred_hash ?? GENESIS)) return "chain broken";
    if (!linkAlgorithm(row.alg)) return "unknown algorithm";
    if (o.hashOf(row) !== row.hash) return "content changed";
    if (row.mac !== null) {
      const problem = macProblem(o.anchor, o.chain, row);
      if (problem) return problem;
    }
    if (row.succ_prev_hash !== null && row.succ_prev_hash !== row.hash) return "chain broken";
    return null;
  };
  for await (const rows of o.batches()) {
    for (const row of rows) {
      const problem = problemOf(row);
      if (problem) {
        if (!first || row.seq < first.seq) first = { seq: row.seq, id: row.id, reason: problem };
        continue;
      }
      intact++;
      if (row.mac === null) legacy++;
    }
    o.onProgress?.(intact);
  }
  // Every link before the first mismatch checked out: say how many there are.
  const checked = first ? await o.countBefore(first.seq) : intact;
  if (!first) {
    // The chain must still reach the newest checkpoint, as it was then: one look-up, whatever the agency.
    const atCheckpoint = checkpoint ? await o.hashAt(checkpoint.seq) : null;
    first = compareWithCheckpoint(checkpoint, forged, {
      atCheckpoint,
      countToCheckpoint: null,
      keyedFrom: o.keyedFrom,
    });
  }
  return {
    ok: !first,
    checked,
    ...(first ? { firstMismatch: first } : {}),
    legacy,
    checkpoint: checkpoint && { seq: checkpoint.seq, count: checkpoint.count, at: checkpoint.at },
  };
}

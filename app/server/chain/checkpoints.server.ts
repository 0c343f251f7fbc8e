// Checkpoints: each chain's head (sequence number, hash, number of links, the first keyed link) at a
// moment, MAC'd and appended as a JSON line to a file outside the database. Verification compares the
// chain with the newest one, so that removing the newest links, or all of them (TRUNCATE), shows up.
import { appendFile, mkdir, readdir } from "node:fs/promises";
import { createReadStream } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { sql, type Kysely } from "kysely";
import { z } from "zod";
import type { Database } from "../../../db/schema";
import { canonical, checkMac, GENESIS, macOf, type ChainAnchor, type ChainName } from "./anchor.server";

const TABLES = { records: "completion_records", audit: "audit_events" } as const satisfies Record<ChainName, string>;

const CheckpointSchema = z.object({
  v: z.literal(1),
  chain: z.enum(["records", "audit"]),
  seq: z.number().int().nonnegative(),
  count: z.number().int().nonnegative(),
  head: z.string().regex(/^[0-9a-f]{64}$/),
  keyedFrom: z.number().int().nonnegative().nullable(),
  at: z.string(),
  keyId: z.string(),
  /** The algorithms' identifier (ADR 025); absent on checkpoints written before there was one. */
  alg: z.string().optional(),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});
export type Checkpoint = z.infer<typeof CheckpointSchema>;

export interface Head {
  seq: number;
  hash: string;
  /** Links with a sequence number up to `seq`. */
  count: number;
  /** The first link carrying a MAC; the ones before it were written before the chain had a key. */
  keyedFrom: number | null;
}

function signedText(c: Omit<Checkpoint, "keyId" | "mac" | "v" | "alg">): string {
  return canonical({ chain: c.chain, seq: c.seq, count: c.count, head: c.head, keyedFrom: c.keyedFrom, at: c.at });
}

/** One file per chain and host: appends of one short line from processes on one host do not interleave. */
function fileFor(dir: string, chain: ChainName) {
  return path.join(dir, `${chain}.${hostname().replace(/[^A-Za-z0-9_.-]/g, "_")}.jsonl`);
}

export async function writeCheckpoint(anchor: ChainAnchor, chain: ChainName, head: Head, now = new Date()) {
  if (!anchor.checkpointDir) return;
  const body = {
    chain,
    seq: head.seq,
    count: head.count,
    head: head.hash,
    keyedFrom: head.keyedFrom,
    at: now.toISOString(),
  };
  const { keyId, mac, alg } = macOf(anchor.keyring, `checkpoint:${chain}`, signedText(body));
  const line = JSON.stringify({ v: 1, ...body, keyId, alg, mac } satisfies Checkpoint);
  await mkdir(anchor.checkpointDir, { recursive: true });
  await appendFile(fileFor(anchor.checkpointDir, chain), `${line}\n`, { flag: "a" });
}

export type NewestCheckpoint =
  | { checkpoint: Checkpoint | null; forged?: undefined }
  | {
      checkpoint: Checkpoint | null;
      forged: { seq: number; reason: "unknown key" | "unknown algorithm" | "checkpoint forged" };
    };

/**
 * The checkpoint with the highest sequence number among every file of the chain in the directory,
 * read line by line. A line that does not parse (a write cut short) is passed over; one whose MAC
 * does not match is reported: someone wrote it without the key.
 */
export async function newestCheckpoint(anchor: ChainAnchor, chain: ChainName): Promise<NewestCheckpoint> {
  const dir = anchor.checkpointDir;
  if (!dir) return { checkpoint: null };
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.startsWith(`${chain}.`) && n.endsWith(".jsonl")).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { checkpoint: null };
    throw error;
  }
  let newest: Checkpoint | null = null;
  let forged: NonNullable<NewestCheckpoint["forged"]> | undefined;
  for (const name of names) {
    const lines = createInterface({ input: createReadStream(path.join(dir, name), "utf8"), crlfDelay: Infinity });
    for await (const line of lines) {
      let parsed;
      try {
        parsed = CheckpointSchema.safeParse(JSON.parse(line));
      } catch {
        continue;
      }
      if (!parsed.success || parsed.data.chain !== chain) continue;
      const c = parsed.data;
      const check = checkMac(anchor.keyring, `checkpoint:${chain}`, signedText(c), c.keyId, c.mac, c.alg ?? null);
      if (check !== "ok") {
        forged ??= { seq: c.seq, reason: check === "mac mismatch" ? "checkpoint forged" : check };
        continue;
      }
      if (!newest || c.seq > newest.seq) newest = c;
    }
  }
  return forged ? { checkpoint: newest, forged } : { checkpoint: newest };
}

/** The chain's head as committed now, counted in full. */
export async function readHead(db: Kysely<Database>, chain: ChainName): Promise<Head | null> {
  const table = sql.table(TABLES[chain]);
  const head = await sql<{ seq: number; hash: string | null }>`select seq, hash from ${table} order by seq desc limit 1`
    .execute(db)
    .then((r) => r.rows[0]);
  if (!head) return null;
  const { rows } = await sql<{ n: number; keyed_from: number | null }>`
    select count(*)::int as n, (select min(seq) from ${table} where mac is not null) as keyed_from
    from ${table} where seq <= ${head.seq}`.execute(db);
  return { seq: head.seq, hash: head.hash ?? GENESIS, count: rows[0]!.n, keyedFrom: rows[0]!.keyed_from };
}

/**
 * Writes a checkpoint of each chain whose head moved since this process last wrote one. The count
 * after the first is taken incrementally: links are appended under the chain's lock, so sequence
 * numbers are committed in order and nothing lands behind a head once seen.
 */
export function createCheckpointer(db: Kysely<Database>, anchor: () => ChainAnchor) {
  const last = new Map<ChainName, Head>();
  async function once(chain: ChainName, now: Date) {
    const table = sql.table(TABLES[chain]);
    const previous = last.get(chain);
    if (!previous) {
      const head = await readHead(db, chain);
      if (!head) return;
      await writeCheckpoint(anchor(), chain, head, now);
      last.set(chain, head);
      return;
    }
    const { rows } = await sql<{ seq: number; hash: string | null }>`
      select seq, hash from ${table} order by seq desc limit 1`.execute(db);
    const top = rows[0];
    if (!top || top.seq === previous.seq) return;
    const added = await sql<{ n: number; keyed_from: number | null }>`
      select count(*)::int as n, min(seq) filter (where mac is not null) as keyed_from
      from ${table} where seq > ${previous.seq} and seq <= ${top.seq}`.execute(db);
    const head: Head = {
      seq: top.seq,
      hash: top.hash ?? GENESIS,
      count: previous.count + added.rows[0]!.n,
      keyedFrom: previous.keyedFrom ?? added.rows[0]!.keyed_from,
    };
    await writeCheckpoint(anchor(), chain, head, now);
    last.set(chain, head);
  }
  let running: Promise<void> | null = null;
  return {
    /** One pass over both chains; a call while one is under way shares it. */
    run(now = new Date()): Promise<void> {
      running ??= (async () => {
        try {
          if (!anchor().checkpointDir) return;
          for (const chain of ["records", "audit"] as const) await once(chain, now);
        } finally {
          running = null;
        }
      })();
      return running;
    },
  };
}

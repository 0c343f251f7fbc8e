// The records list and its export at size: 20,000 records along a real chain. A page is a fixed
// number of statements whatever it holds; keyset pages cover every record once; the CSV export
// reads 1,000 records per statement and reads the next batch only when the one before has been
// taken — memory stays flat because at most one batch is ever held, which is counted here in
// statements rather than guessed from timings.
import { parse } from "csv-parse/sync";
import type { Kysely, KyselyPlugin } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { GENESIS, recordHash, type RecordContent } from "../../app/server/learning/records.server";
import { EXPORT_BATCH, recordsCsv } from "../../app/server/review/exports.server";
import { verifyAgencyChain } from "../../app/server/review/integrity.server";
import { PAGE_SIZE, recordsPage } from "../../app/server/review/records.server";
import type { Database } from "../../db/schema";
import { engine, testDatabase } from "../support/db";
import { makeAgency, makeUser } from "../support/fixtures";
import { syncSample } from "../support/learning";

const TOTAL = 20_000;
const PEOPLE = 40;
let db: Kysely<Database>;
let agencyId: string;
let otherAgency: string;
let lonely: string;

/** The same database, counting the statements it runs (each result is one statement executed). */
function counted(base: Kysely<Database>) {
  let n = 0;
  const plugin: KyselyPlugin = {
    transformQuery: (args) => args.node,
    transformResult: async (args) => {
      n++;
      return args.result;
    },
  };
  return { db: base.withPlugin(plugin), count: () => n };
}

beforeAll(async () => {
  db = (await testDatabase()).db;
  agencyId = (await makeAgency(db, "Tokyo Metropolitan Police")).id;
  otherAgency = (await makeAgency(db, "Another Agency")).id;
  const mv = (await syncSample(db)).id;
  const people: string[] = [];
  for (let i = 0; i < PEOPLE; i++) {
    const user = await db
      .insertInto("users")
      .values({ email: `p${i}@example.test`, display_name: `警察官 ${i}`, profession: "police", agency_id: agencyId })
      .returning("id")
      .executeTakeFirstOrThrow();
    people.push(user.id);
  }
  lonely = people[0]!;
  const outsider = (await makeUser(db, { agencyId: otherAgency })).id;
  // Records written as appendRecord writes them (same hash, same chain), a thousand per statement.
  let prev = GENESIS;
  const start = Date.parse("2025-01-01T00:00:00Z");
  for (let from = 0; from < TOTAL + 10; from += 1000) {
    const rows = [];
    for (let i = from; i < Math.min(from + 1000, TOTAL + 10); i++) {
      // The person of the first 100 records is `lonely` only; the last ten belong to another agency.
      const userId = i >= TOTAL ? outsider : i < 100 ? lonely : people[1 + (i % (PEOPLE - 1))]!;
      const content: RecordContent = {
        id: crypto.randomUUID(),
        kind: "module",
        user_id: userId,
        module_version_id: mv,
        course_slug: null,
        attempt_id: null,
        score: 80 + (i % 21),
        pretest_score: 40,
        started_at: new Date(start + i * 60_000),
        completed_at: new Date(start + i * 60_000 + 30_000),
        expires_at: new Date(start + i * 60_000 + 730 * 86_400_000),
        certificate_code: null,
        details: { holderName: "x" },
      };
      const hash = recordHash(content, prev);
      rows.push({ ...content, details: JSON.stringify(content.details), prev_hash: prev, hash });
      prev = hash;
    }
    await db.insertInto("completion_records").values(rows).execute();
  }
}, 120_000);

const scope = () => ({ kind: "agency" as const, agencyId });

// Writing one audit event: its transaction's chain lock, the chain's head, the insert (ADR 014).
const AUDIT = 3;

describe(`records list and export at ${TOTAL.toLocaleString("en")} records (${engine})`, () => {
  it("reads a page of the list in two statements, however full the page", async () => {
    for (const filter of [{}, { q: "警察官 0" }, { status: "expired" as const }]) {
      const c = counted(db);
      const page = await recordsPage(c.db, scope(), filter);
      expect(c.count(), JSON.stringify(filter)).toBe(2);
      expect(page.records.length).toBeLessThanOrEqual(PAGE_SIZE);
    }
  });

  it("pages by keyset through every record of a filter exactly once, newest first", async () => {
    const seen: number[] = [];
    let after: number | undefined;
    for (;;) {
      const page = await recordsPage(db, scope(), { q: "警察官 0", after });
      seen.push(...page.records.map((r) => r.seq));
      if (page.next === null) break;
      after = page.next;
    }
    expect(seen).toHaveLength(100);
    expect(new Set(seen).size).toBe(100);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
  });

  it("exports 20,000 records a thousand per statement, reading each batch only when the last one was taken", async () => {
    const c = counted(db);
    const stream = recordsCsv({
      db: c.db,
      actorId: lonely,
      agencyId,
      scope: scope(),
      filter: {},
      locale: "ja",
      publicUrl: "https://mamoru.example",
    });
    const reader = stream.getReader();
    expect(c.count()).toBe(0); // nothing runs before the client asks
    // Keep the BOM: a TextDecoder drops it unless told not to.
    const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
    const head = decoder.decode((await reader.read()).value);
    expect(head.startsWith("\uFEFF記録ID,")).toBe(true);
    expect(c.count()).toBe(AUDIT); // the audit of the start, before any row
    const chunks: string[] = [head, decoder.decode((await reader.read()).value)];
    expect(c.count()).toBe(AUDIT + 1); // one batch, no more
    let largest = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      largest = Math.max(largest, value.byteLength);
      chunks.push(decoder.decode(value));
    }
    // Start audit, ceil(20,000 / 1,000) full batches and the empty one that ends it, end audit.
    expect(c.count()).toBe(AUDIT + Math.ceil(TOTAL / EXPORT_BATCH) + 1 + AUDIT);
    expect(largest).toBeLessThan(512 * 1024);
    const [header, ...rows] = parse(chunks.join(""), { bom: true }) as string[][];
    expect(header![2]).toBe("氏名");
    expect(rows).toHaveLength(TOTAL);
    expect(new Set(rows.map((r) => r[0])).size).toBe(TOTAL);
    const ended = await db
      .selectFrom("audit_events")
      .select("details")
      .where("action", "=", "records.exported")
      .executeTakeFirstOrThrow();
    expect(ended.details).toMatchObject({ rows: TOTAL, complete: true, format: "csv" });
  }, 120_000);

  it("stops reading, and says so in the audit trail, when the client goes away", async () => {
    const c = counted(db);
    const stream = recordsCsv({
      db: c.db,
      actorId: lonely,
      agencyId,
      scope: scope(),
      filter: {},
      locale: "en",
      publicUrl: "https://mamoru.example",
    });
    const reader = stream.getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    expect(c.count()).toBe(AUDIT + 1 + AUDIT); // start audit, one batch, end audit
    const events = await db
      .selectFrom("audit_events")
      .select("details")
      .where("action", "=", "records.exported")
      .orderBy("at", "desc")
      .executeTakeFirstOrThrow();
    expect(events.details).toMatchObject({ rows: EXPORT_BATCH, complete: false });
  });

  it("verifies the agency's part of the chain through the chain's own check, in a few statements per person", async () => {
    const c = counted(db);
    const report = await verifyAgencyChain(c.db, agencyId);
    expect(report).toEqual({ checked: TOTAL });
    // Person by person (ADR 014), each person's records in keyset batches: not a statement per record.
    expect(c.count()).toBeLessThan(Math.ceil(TOTAL / 1000) + 10);
    expect(await verifyAgencyChain(db, otherAgency)).toEqual({ checked: 10 });
  }, 120_000);
});

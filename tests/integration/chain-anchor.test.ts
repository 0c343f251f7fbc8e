// The attacks an owner of the database can make on the completion records and the audit trail, made
// here with SQL exactly as they would be: switch the append-only trigger off, edit a record (a
// certificate moved to someone who never took the course, valid until 2099), recompute every hash
// after it with the published algorithm; delete the newest records; TRUNCATE; strip the MACs. The
// unkeyed chain of ADR 002 passes the first and cannot see the others; the MACs and the checkpoints
// outside the database (ADR 014) show each one.
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql, type Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audit, auditHash, verifyAuditChain } from "../../app/server/audit.server";
import {
  chainAnchor,
  installChainAnchor,
  LINK_ALGORITHM,
  macOf,
  newKeyLine,
  parseKeyring,
  type ChainAnchor,
} from "../../app/server/chain/anchor.server";
import { createCheckpointer } from "../../app/server/chain/checkpoints.server";
import { appendRecord, GENESIS, recordHash, verifyChain } from "../../app/server/learning/records.server";
import { connect, type DatabaseHandle } from "../../db/connect.server";
import type { Database } from "../../db/schema";
import { Migrator } from "kysely";
import { migrations } from "../../db/migrations";
import { migrateToLatest } from "../../db/migrate.server";
import { QUEUE_MS, emptyDatabase, engine, freshDatabase } from "../support/db";
import { serverUrl } from "../support/engine";
import { makeAgency, makeUser } from "../support/fixtures";
import { syncSample } from "../support/learning";

const testAnchor = chainAnchor();
let checkpointDir: string;
beforeAll(() => {
  checkpointDir = mkdtempSync(path.join(tmpdir(), "mamoru-checkpoints-"));
});
afterAll(() => {
  installChainAnchor(testAnchor);
  rmSync(checkpointDir, { recursive: true, force: true });
});

/** A fresh database with two agencies, a person in each, and the sample module to complete. */
async function arrange() {
  const { handle } = await freshDatabase();
  const db = handle.db;
  const [a, b] = [await makeAgency(db), await makeAgency(db)];
  const alice = await makeUser(db, { agencyId: a.id, displayName: "Alice" });
  const bob = await makeUser(db, { agencyId: b.id, displayName: "Bob" });
  const mv = (await syncSample(db)).id;
  // Checkpoints in a directory of this test's own.
  const dir = mkdtempSync(path.join(checkpointDir, "t-"));
  const anchor: ChainAnchor = { keyring: testAnchor.keyring, checkpointDir: dir };
  installChainAnchor(anchor);
  const record = (userId: string, details: Record<string, unknown> = {}) =>
    db.transaction().execute((trx) =>
      appendRecord(trx, {
        kind: "module",
        user_id: userId,
        module_version_id: mv,
        course_slug: null,
        attempt_id: null,
        score: 80,
        pretest_score: 40,
        started_at: null,
        completed_at: new Date(),
        expires_at: new Date(Date.now() + 365 * 86_400_000),
        certificate_code: null,
        details: { holderName: "x", ...details },
      }),
    );
  return { handle, db, a, b, alice, bob, anchor, record, checkpoint: () => createCheckpointer(db, chainAnchor).run() };
}

const rows = (db: Kysely<Database>) => db.selectFrom("completion_records").selectAll().orderBy("seq").execute();

/** What someone who owns the table can do: edit a record behind the trigger and recompute every hash after it. */
async function rewriteRecords(db: Kysely<Database>, seq: number, change: string) {
  await sql`alter table completion_records disable trigger completion_records_append_only`.execute(db);
  await sql.raw(`update completion_records set ${change} where seq = ${seq}`).execute(db);
  let prev = GENESIS;
  for (const row of await rows(db)) {
    const { seq: s, prev_hash: _p, hash: _h, mac: _m, key_id: _k, ...content } = row;
    const hash = recordHash(content, prev);
    await sql`update completion_records set prev_hash = ${prev}, hash = ${hash} where seq = ${s}`.execute(db);
    prev = hash;
  }
  await sql`alter table completion_records enable trigger completion_records_append_only`.execute(db);
}

/** The same for the audit trail. */
async function rewriteAudit(db: Kysely<Database>, seq: number, change: string) {
  await sql`alter table audit_events disable trigger audit_events_append_only`.execute(db);
  await sql.raw(`update audit_events set ${change} where seq = ${seq}`).execute(db);
  let prev = GENESIS;
  for (const row of await db.selectFrom("audit_events").selectAll().orderBy("seq").execute()) {
    const hash = auditHash(row, prev);
    await sql`update audit_events set prev_hash = ${prev}, hash = ${hash} where seq = ${row.seq}`.execute(db);
    prev = hash;
  }
  await sql`alter table audit_events enable trigger audit_events_append_only`.execute(db);
}

/** The unkeyed check of ADR 002: every hash and link recomputed, nothing else. */
async function unkeyedChainHolds(db: Kysely<Database>) {
  let prev = GENESIS;
  for (const row of await rows(db)) {
    const { seq: _s, prev_hash, hash, mac: _m, key_id: _k, ...content } = row;
    if (prev_hash !== prev || recordHash(content, prev_hash) !== hash) return false;
    prev = hash;
  }
  return true;
}

describe(`completion records anchored outside the database (${engine})`, () => {
  it("a certificate moved to someone else and extended to 2099, hashes recomputed: the MAC shows it", async () => {
    const { db, alice, bob, record, checkpoint } = await arrange();
    await record(alice.id);
    const stolen = await record(alice.id);
    await record(alice.id);
    await checkpoint();
    expect(await verifyChain(db)).toMatchObject({ ok: true, checked: 3, legacy: 0 });

    const seq = (await rows(db))[1]!.seq;
    await rewriteRecords(db, seq, `user_id = '${bob.id}', expires_at = '2099-12-31T00:00:00Z'`);
    // The unkeyed chain is whole again: this is what passed `records:verify` before.
    expect(await unkeyedChainHolds(db)).toBe(true);
    expect(await verifyChain(db)).toMatchObject({
      ok: false,
      checked: 1,
      firstMismatch: { seq, id: stolen.id, reason: "mac mismatch" },
    });
  });

  it("the newest records deleted with the trigger off: the checkpoint shows they are gone", async () => {
    const { db, alice, record, checkpoint } = await arrange();
    for (let i = 0; i < 4; i++) await record(alice.id);
    await checkpoint();
    const head = (await rows(db)).at(-1)!;
    await sql`alter table completion_records disable trigger completion_records_append_only`.execute(db);
    await sql`delete from completion_records where seq >= ${head.seq - 1}`.execute(db);
    expect(await unkeyedChainHolds(db)).toBe(true);
    expect(await verifyChain(db)).toMatchObject({
      ok: false,
      checked: 2,
      firstMismatch: { seq: head.seq, id: null, reason: "records missing" },
    });
  });

  it("TRUNCATE (no row trigger fires): the checkpoint shows the chain is gone", async () => {
    const { db, alice, record, checkpoint } = await arrange();
    await record(alice.id);
    await record(alice.id);
    await checkpoint();
    await sql`truncate completion_records`.execute(db);
    expect(await verifyChain(db)).toMatchObject({
      ok: false,
      checked: 0,
      firstMismatch: { reason: "records missing" },
    });
  });

  it("every record rewritten and its MAC stripped to pass for one from before the key: the checkpoint knows better", async () => {
    const { db, alice, record, checkpoint } = await arrange();
    await record(alice.id);
    await record(alice.id);
    await checkpoint();
    await sql`alter table completion_records disable trigger completion_records_append_only`.execute(db);
    await sql`update completion_records set mac = null, key_id = null, alg = null`.execute(db);
    const first = (await rows(db))[0]!.seq;
    await rewriteRecords(db, first, "score = 100");
    const report = await verifyChain(db);
    expect(report.ok).toBe(false);
    expect(report.firstMismatch?.reason).toMatch(/checkpoint mismatch|mac missing/);
  });

  it("a checkpoint written without the key is reported, and does not count", async () => {
    const { db, alice, record, anchor } = await arrange();
    await record(alice.id);
    appendFileSync(
      path.join(anchor.checkpointDir!, "records.forger.jsonl"),
      `${JSON.stringify({ v: 1, chain: "records", seq: 1, count: 0, head: GENESIS, keyedFrom: null, at: new Date().toISOString(), keyId: "test", mac: "0".repeat(64) })}\n`,
    );
    expect(await verifyChain(db)).toMatchObject({
      ok: false,
      checkpoint: null,
      firstMismatch: { reason: "checkpoint forged" },
    });
  });

  it("keys rotate: old records verify while the old key is listed, and are reported when it is dropped", async () => {
    const { db, alice, record } = await arrange();
    const old = newKeyLine().replace(/^k\d+/, "old");
    const current = newKeyLine().replace(/^k\d+/, "new");
    installChainAnchor({ keyring: parseKeyring(old), checkpointDir: null });
    await record(alice.id);
    installChainAnchor({ keyring: parseKeyring(`${current},${old}`), checkpointDir: null });
    await record(alice.id);
    expect((await rows(db)).map((r) => r.key_id)).toEqual(["old", "new"]);
    expect(await verifyChain(db)).toMatchObject({ ok: true, checked: 2 });
    installChainAnchor({ keyring: parseKeyring(current), checkpointDir: null });
    expect(await verifyChain(db)).toMatchObject({ ok: false, checked: 0, firstMismatch: { reason: "unknown key" } });
  });

  it("records from before the key (migration 0012) are vouched for by the first keyed record after them", async () => {
    const { db, alice, record } = await arrange();
    await record(alice.id);
    await record(alice.id);
    // As an upgraded database has them: the first records without a MAC.
    await sql`alter table completion_records disable trigger completion_records_append_only`.execute(db);
    const first = (await rows(db))[0]!;
    await sql`update completion_records set mac = null, key_id = null, alg = null where seq = ${first.seq}`.execute(db);
    await sql`alter table completion_records enable trigger completion_records_append_only`.execute(db);
    expect(await verifyChain(db)).toMatchObject({ ok: true, checked: 2, legacy: 1 });
    // Rewriting the unkeyed one means recomputing the keyed one after it, which needs the key.
    await rewriteRecords(db, first.seq, "score = 100");
    expect(await verifyChain(db)).toMatchObject({ ok: false, firstMismatch: { reason: "mac mismatch" } });
  });

  it("every link names its algorithms beside its key; links from before names verify as SHA-256 and HMAC-SHA-256", async () => {
    const { db, alice, record, checkpoint, anchor } = await arrange();
    await record(alice.id);
    expect((await rows(db)).map((r) => r.alg)).toEqual(["sha256+hmac-sha256"]);
    expect(LINK_ALGORITHM).toBe("sha256+hmac-sha256");
    await audit(db, { actorId: alice.id, action: "test.named", subjectType: "user" });
    const events = await db.selectFrom("audit_events").select("alg").execute();
    expect(events.map((e) => e.alg)).toEqual(["sha256+hmac-sha256"]);

    // A link as a server before identifiers wrote it: the same algorithms, no name.
    const append = async (alg: string | null) => {
      const last = (await rows(db)).at(-1)!;
      const { seq: _s, prev_hash: _p, hash: _h, mac: _m, key_id: _k, alg: _a, ...content } = last;
      const next = { ...content, id: crypto.randomUUID(), score: 90 };
      const hash = recordHash(next, last.hash, null);
      const { mac, keyId } = macOf(anchor.keyring, "records", hash);
      await db
        .insertInto("completion_records")
        .values({ ...next, details: JSON.stringify(next.details), prev_hash: last.hash, hash, mac, key_id: keyId, alg })
        .execute();
    };
    await append(null);
    await record(alice.id);
    await checkpoint();
    expect(await verifyChain(db)).toMatchObject({ ok: true, checked: 3, legacy: 0 });
    // Checkpoints name theirs too; one from before names (no `alg`) still counts.
    const file = path.join(
      anchor.checkpointDir!,
      readdirSync(anchor.checkpointDir!).filter((n) => n.startsWith("records."))[0]!,
    );
    const line = JSON.parse(readFileSync(file, "utf8").trim().split("\n").at(-1)!) as Record<string, unknown>;
    expect(line.alg).toBe("sha256+hmac-sha256");
    const { alg: _alg, ...unnamed } = line;
    writeFileSync(file, `${JSON.stringify(unnamed)}\n`);
    expect(await verifyChain(db)).toMatchObject({ ok: true, checkpoint: { seq: line.seq } });

    // A name this server does not know is reported, not guessed at.
    await append("sha3-512+hmac-sha3-512");
    const report = await verifyChain(db);
    expect(report).toMatchObject({ ok: false, checked: 3, firstMismatch: { reason: "unknown algorithm" } });
  });

  it("one agency's check reads that agency's records, and finds their tampering, not another's beyond it", async () => {
    const { db, a, b, alice, bob, record, checkpoint } = await arrange();
    await record(alice.id);
    await record(bob.id);
    await record(alice.id);
    await record(alice.id);
    await record(bob.id);
    await checkpoint();
    expect(await verifyChain(db, { agencyId: a.id })).toMatchObject({ ok: true, checked: 3 });
    expect(await verifyChain(db, { agencyId: b.id })).toMatchObject({ ok: true, checked: 2 });

    // Bob's last record rewritten (nothing after it to recompute): his agency's check shows it,
    // Alice's agency's records are intact.
    const all = await rows(db);
    await rewriteRecords(db, all[4]!.seq, "expires_at = '2099-12-31T00:00:00Z'");
    expect(await verifyChain(db, { agencyId: b.id })).toMatchObject({
      ok: false,
      checked: 1,
      firstMismatch: { seq: all[4]!.seq, reason: "mac mismatch" },
    });
    // …and its checkpoint no longer matches the chain's end, which every agency's check looks at.
    expect(await verifyChain(db, { agencyId: a.id })).toMatchObject({
      ok: false,
      checked: 3,
      firstMismatch: { seq: all[4]!.seq, id: null, reason: "checkpoint mismatch" },
    });
  });

  it("one agency's check reads person by person, and reports the first mismatch in chain order", async () => {
    const { db, a, alice, record } = await arrange();
    const carol = await makeUser(db, { agencyId: a.id, displayName: "Carol" });
    for (const person of [alice, carol, alice, carol, alice, carol]) await record(person.id);
    const all = await rows(db);
    // Two records changed behind the trigger, hashes left alone: whichever person is read first,
    // the earlier of the two is the one reported, with the records before it counted.
    await sql`alter table completion_records disable trigger completion_records_append_only`.execute(db);
    await sql`update completion_records set score = 1 where seq in (${all[2]!.seq}, ${all[3]!.seq})`.execute(db);
    expect(await verifyChain(db, { agencyId: a.id })).toMatchObject({
      ok: false,
      checked: 2,
      firstMismatch: { seq: all[2]!.seq, id: all[2]!.id, reason: "content changed" },
    });
  });

  it("one agency's check finds its record removed from between its own and another's", async () => {
    const { db, a, alice, bob, record } = await arrange();
    await record(alice.id);
    await record(alice.id);
    await record(bob.id);
    const all = await rows(db);
    await sql`alter table completion_records disable trigger completion_records_append_only`.execute(db);
    await sql`delete from completion_records where seq = ${all[1]!.seq}`.execute(db);
    expect(await verifyChain(db, { agencyId: a.id })).toMatchObject({
      ok: false,
      checked: 0,
      firstMismatch: { seq: all[0]!.seq, reason: "chain broken" },
    });
  });
});

describe(`the audit trail as a chain (${engine})`, () => {
  it("on an upgraded database, the events from before are numbered by time and vouched for by the first chained one", async () => {
    installChainAnchor(testAnchor);
    const db = (await (await emptyDatabase()).open()).db;
    const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < "0012"));
    const result = await new Migrator({ db, provider: { getMigrations: async () => before } }).migrateToLatest();
    expect(result.error).toBeUndefined();
    for (const [action, at] of [
      ["second", "2026-01-02T00:00:00Z"],
      ["first", "2026-01-01T00:00:00Z"],
    ] as const)
      await sql`insert into audit_events (action, subject_type, at) values (${action}, 'test', ${at})`.execute(db);
    await migrateToLatest(db);
    await audit(db, { actorId: null, action: "third", subjectType: "test" });
    const events = await db.selectFrom("audit_events").select(["seq", "action", "hash"]).orderBy("seq").execute();
    expect(events.map((e) => [e.seq, e.action, e.hash === null])).toEqual([
      [1, "first", true],
      [2, "second", true],
      [3, "third", false],
    ]);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: 3, legacy: 2 });
  }, 90_000); // migrating an empty embedded database from scratch is slow

  it("an event rewritten with the hashes recomputed, or the trail truncated, shows up", async () => {
    const { db, a, b, alice, checkpoint } = await arrange();
    await audit(db, {
      actorId: alice.id,
      agencyId: a.id,
      action: "user.role_granted",
      subjectType: "user",
      subjectId: alice.id,
      details: { role: "reviewer" },
    });
    await audit(db, {
      actorId: null,
      agencyId: b.id,
      action: "sign_in.failed",
      subjectType: "user",
      details: { when: new Date(), skipped: undefined },
    });
    await audit(db, {
      actorId: alice.id,
      agencyId: a.id,
      action: "records.exported",
      subjectType: "completion_records",
      details: { rows: 3 },
    });
    await checkpoint();
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: 3, legacy: 0 });
    expect(await verifyAuditChain(db, { agencyId: a.id })).toMatchObject({ ok: true, checked: 2 });

    const events = await db.selectFrom("audit_events").select(["seq", "id"]).orderBy("seq").execute();
    await rewriteAudit(db, events[0]!.seq, `details = '{"role": "trainee"}'`);
    expect(await verifyAuditChain(db)).toMatchObject({
      ok: false,
      checked: 0,
      firstMismatch: { seq: events[0]!.seq, id: events[0]!.id, reason: "mac mismatch" },
    });
    expect(await verifyAuditChain(db, { agencyId: a.id })).toMatchObject({
      ok: false,
      firstMismatch: { seq: events[0]!.seq, reason: "mac mismatch" },
    });

    await sql`truncate audit_events`.execute(db);
    expect(await verifyAuditChain(db)).toMatchObject({ ok: false, firstMismatch: { reason: "records missing" } });
  });

  it("events written at once from several connections (and instances) line up in one chain", async () => {
    const { handle, db, a, alice, record } = await arrange();
    // On the server, a second instance: its own pool on the same database.
    const other: DatabaseHandle = serverUrl
      ? await connect({ databaseUrl: await currentUrl(db), poolSize: 5, connectionTimeoutMs: QUEUE_MS })
      : handle;
    try {
      await Promise.all([
        ...Array.from({ length: 30 }, (_, i) =>
          audit(i % 2 ? db : other.db, {
            actorId: alice.id,
            agencyId: a.id,
            action: "test.concurrent",
            subjectType: "test",
            details: { i },
          }),
        ),
        ...Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? db : other.db).transaction().execute(async (trx) => {
            // Records' lock first, then the audit trail's, as the code writes them.
            await appendRecordFor(trx, record, alice.id);
            await audit(trx, { actorId: alice.id, agencyId: a.id, action: "test.with_record", subjectType: "test" });
          }),
        ),
      ]);
    } finally {
      if (other !== handle) await other.close();
    }
    expect(await verifyAuditChain(db)).toMatchObject({ ok: true, checked: 40 });
    expect(await verifyChain(db)).toMatchObject({ ok: true, checked: 10 });
  });
});

// The record helper runs its own transaction; inside another one, append directly.
async function appendRecordFor(trx: Kysely<Database>, _record: unknown, userId: string) {
  const mv = await trx.selectFrom("module_versions").select("id").executeTakeFirstOrThrow();
  await appendRecord(trx, {
    kind: "module",
    user_id: userId,
    module_version_id: mv.id,
    course_slug: null,
    attempt_id: null,
    score: 90,
    pretest_score: null,
    started_at: null,
    completed_at: new Date(),
    expires_at: new Date(Date.now() + 86_400_000),
    certificate_code: null,
    details: {},
  });
}

async function currentUrl(db: Kysely<Database>) {
  const { rows: r } = await sql<{ name: string }>`select current_database() as name`.execute(db);
  const url = new URL(serverUrl!);
  url.pathname = `/${r[0]!.name}`;
  return url.toString();
}

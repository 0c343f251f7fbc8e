// The demo data someone sees right after `npm run db:seed-demo`: a trainer whose unit shows every
// state of an assignment (including overdue and extended people), records on an unbroken chain, and
// a second run that adds nothing.
import path from "node:path";
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { assigneeStates } from "../../app/server/assignments/status.server";
import { signIn } from "../../app/server/auth/accounts.server";
import { syncContentFrom } from "../../app/server/catalog/content-sync.server";
import { verifyChain } from "../../app/server/learning/records.server";
import { createLogger } from "../../app/server/shared/log.server";
import { tokyoDate } from "../../app/server/shared/days.server";
import type { DatabaseHandle } from "../../db/connect.server";
import { DEMO_PASSWORD, seedDemo, type DemoSummary } from "../../scripts/seed-demo";
import { testDatabase } from "../support/db";
import { testConfig } from "../support/fixtures";

let database: DatabaseHandle;
let first: DemoSummary;
const config = testConfig();

const COUNTED = [
  "users",
  "groups",
  "group_members",
  "assignments",
  "assignees",
  "quiz_attempts",
  "lesson_progress",
  "completion_records",
  "audit_events",
] as const;
async function counts() {
  const out: Record<string, number> = {};
  for (const table of COUNTED)
    out[table] = (
      await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(database.db)
    ).rows[0]!.n;
  return out;
}

beforeAll(async () => {
  database = await testDatabase();
  const synced = await syncContentFrom(
    database.db,
    path.resolve(import.meta.dirname, "../../modules"),
    createLogger("silent"),
  );
  if (!synced.ok) throw new Error(synced.problems.join("\n"));
  first = await seedDemo(database.db, config);
}, 600_000);

describe("demo data", () => {
  it("makes an admin on an empty platform, a trainer, a reviewer and 36 trainees who can sign in", async () => {
    expect(first.admin.created).toBe(true);
    expect(first.trainees).toHaveLength(36);
    expect(first.progressMade).toBe(first.trainees.filter((t) => t.progress !== "none").length);
    for (const email of [first.trainer, first.reviewer, first.trainees[0]!.email]) {
      const result = await signIn(database.db, config.argon2, { email, password: DEMO_PASSWORD, address: "127.0.0.1" });
      expect(result.ok).toBe(true);
    }
  });

  it("gives the trainer's unit every state, overdue and extended people among them", async () => {
    const today = tokyoDate(new Date());
    const rows = await database.db
      .selectFrom(assigneeStates(database.db, today).as("s"))
      .select(["s.state", "s.extended_to", "s.module_slug"])
      .execute();
    const states = new Set(rows.map((r) => r.state));
    for (const state of ["not_started", "in_progress", "completed", "overdue"]) expect(states).toContain(state);
    // Completed on their own record only (someone else's record of the module does not count).
    const strangers = await sql<{ n: number }>`select count(*)::int as n from (${assigneeStates(database.db, today)}) s
      join completion_records r on r.id = s.record_id where r.user_id <> s.user_id`.execute(database.db);
    expect(strangers.rows[0]!.n).toBe(0);
    const extended = rows.filter((r) => r.extended_to !== null);
    expect(extended).toHaveLength(2);
    // An extension beats the group's past date: those two are not overdue.
    expect(extended.every((r) => r.state !== "overdue")).toBe(true);
  });

  it("earns records through the quiz, a course certificate among them, on an unbroken chain", async () => {
    const kinds = await database.db
      .selectFrom("completion_records")
      .select(["kind", (eb) => eb.fn.countAll<number>().as("n")])
      .groupBy("kind")
      .execute();
    expect(Number(kinds.find((k) => k.kind === "course")?.n)).toBe(2);
    expect(Number(kinds.find((k) => k.kind === "module")?.n)).toBeGreaterThan(10);
    // Every module record rests on a submitted, passing final attempt.
    const unearned = await sql<{ n: number }>`select count(*)::int as n from completion_records r
      left join quiz_attempts a on a.id = r.attempt_id
      where r.kind = 'module' and not coalesce(a.passed, false)`.execute(database.db);
    expect(unearned.rows[0]!.n).toBe(0);
    expect(await verifyChain(database.db)).toMatchObject({ ok: true });
  });

  it("adds nothing when run again", { timeout: 300_000 }, async () => {
    const before = await counts();
    const again = await seedDemo(database.db, config);
    expect(again.progressMade).toBe(0);
    expect(again.admin.created).toBe(false);
    expect(await counts()).toEqual(before);
  });
});

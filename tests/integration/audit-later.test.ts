// Events written after the response (a person's records viewed by someone else): each lands in the
// hash chain with the time of the view, not of the write; a write that keeps failing is logged
// whole, never dropped silently.
import { describe, expect, it } from "vitest";
import { auditLater, verifyAuditChain } from "../../app/server/audit.server";
import { createLogger } from "../../app/server/shared/log.server";
import { createBackgroundTasks } from "../../app/server/shared/tasks.server";
import { engine, testDatabase } from "../support/db";
import { makeAgency, makeUser } from "../support/fixtures";

describe(`audit events written after the response (${engine})`, () => {
  it("are chained with the time of the view, once each, and the chain checks out", async () => {
    const db = (await testDatabase()).db;
    const agency = await makeAgency(db);
    const reader = await makeUser(db, { agencyId: agency.id, roles: ["reviewer"] });
    const person = await makeUser(db, { agencyId: agency.id });
    const logs: string[] = [];
    const log = createLogger("info", {}, (line) => logs.push(line));
    const tasks = createBackgroundTasks(log);
    const viewedAt = new Date(Date.now() - 5_000);
    for (let i = 0; i < 5; i++)
      await auditLater(
        { db, tasks, log },
        {
          actorId: reader.id,
          agencyId: agency.id,
          action: "records.viewed",
          subjectType: "user",
          subjectId: person.id,
          details: { records: i },
          at: new Date(viewedAt.getTime() + i),
        },
      );
    await tasks.settled();
    const events = await db
      .selectFrom("audit_events")
      .select(["at", "details"])
      .where("action", "=", "records.viewed")
      .where("subject_id", "=", person.id)
      .orderBy("seq")
      .execute();
    expect(events.map((e) => e.details.records).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const e of events) expect(e.at.getTime() - viewedAt.getTime()).toBe(e.details.records);
    expect((await verifyAuditChain(db)).ok).toBe(true);
    expect(logs.filter((l) => l.includes('"level":"error"'))).toEqual([]);
  });

  it("logs the whole event when the database keeps refusing it", async () => {
    // Every statement refused, as by a database that is down.
    const refusing = (await testDatabase()).db.withPlugin({
      transformQuery: () => {
        throw new Error("connection refused");
      },
      transformResult: async (args) => args.result,
    });
    const logs: string[] = [];
    const log = createLogger("info", {}, (line) => logs.push(line));
    const tasks = createBackgroundTasks(log);
    await auditLater(
      { db: refusing, tasks, log },
      {
        actorId: null,
        action: "records.viewed",
        subjectType: "user",
        subjectId: "11111111-1111-4111-8111-111111111111",
        details: { records: 3 },
      },
    );
    await tasks.settled();
    const errors = logs.filter((l) => l.includes("audit event not written"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("11111111-1111-4111-8111-111111111111");
    expect(errors[0]).toContain("records.viewed");
    expect(errors[0]).toContain('"records":3');
  }, 15_000);
});

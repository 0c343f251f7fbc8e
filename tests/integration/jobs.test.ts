// The job queue (pg-boss) on each engine: mail waits in the outbox and is retried while the mail
// server refuses it; on the Postgres server, two worker processes write and deliver each reminder
// once, and a worker killed in the middle of a delivery loses nothing and sends nothing twice.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { assign } from "../../app/server/assignments/assign.server";
import { enqueue, QUEUES, startWorkers } from "../../app/server/jobs/queue.server";
import { createMailer } from "../../app/server/mail/mailer.server";
import { createLogger } from "../../app/server/shared/log.server";
import { addDays, tokyoDate } from "../../app/server/shared/days.server";
import { engine, freshDatabase } from "../support/db";
import { runDir, scriptEnv } from "../support/engine";
import { makeAgency, makeUser } from "../support/fixtures";
import { syncSample } from "../support/learning";

const root = path.resolve(import.meta.dirname, "../..");
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
});

async function until<T>(check: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe(`job queue (${engine})`, () => {
  it("keeps a mail the mail server refuses and delivers it once on a later try", async () => {
    const { handle } = await freshDatabase();
    const log = createLogger("silent");
    const handed: string[] = [];
    let refusals = 1;
    const mailer = createMailer(handle.db, log, {
      smtpUrl: undefined,
      from: "Mamoru <no-reply@mamoru.test>",
      retryDelaySeconds: 1,
      transport: async (message) => {
        if (refusals-- > 0) throw new Error("421 try again later");
        handed.push(message.messageId);
      },
    });
    await mailer.send({ to: "aiko@example.test", subject: "Training assigned", text: "Hello" });
    const queued = await handle.db.selectFrom("mail_outbox").select(["id", "status"]).executeTakeFirstOrThrow();
    expect(queued.status).toBe("queued");

    const workers = await startWorkers(
      handle.db,
      log,
      { [QUEUES.mail]: (data, job) => mailer.deliver(String(data.outboxId), job.retryCount) },
      { pollingIntervalSeconds: 0.5 },
    );
    try {
      const sent = await until(async () => {
        const row = await handle.db
          .selectFrom("mail_outbox")
          .select(["status", "attempts", "body_text"])
          .where("id", "=", queued.id)
          .executeTakeFirstOrThrow();
        return row.status === "sent" && row;
      });
      expect(sent.attempts).toBe(2);
      expect(sent.body_text).toBe(""); // a sent mail's body does not linger
      expect(handed).toEqual([`<${queued.id}@mamoru.test>`]);
    } finally {
      await workers.stop();
    }
  });

  if (engine === "postgres")
    it("two worker processes write and deliver each reminder once; a worker killed mid-delivery loses nothing", async () => {
      const { handle, url } = await freshDatabase();
      const db = handle.db;
      await syncSample(db);
      const agencyId = (await makeAgency(db, "Chiba Prefectural Police")).id;
      const admin = await makeUser(db, { agencyId, roles: ["admin"] });
      const people = [];
      for (let i = 0; i < 12; i++) people.push((await makeUser(db, { agencyId, displayName: `Person ${i}` })).id);
      const now = new Date();
      await assign(
        db,
        { id: admin.id, agencyId, roles: ["admin"] },
        {
          agencyId,
          moduleSlug: "sample-module",
          audience: "people",
          userIds: people,
          due: { on: addDays(tokyoDate(now), 1) },
        },
      );
      const mailLog = path.join(runDir(), `mail-${Date.now()}.log`);
      writeFileSync(mailLog, "");
      const worker = (env: Record<string, string>) => {
        const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "tests/support/job-worker.ts")], {
          cwd: root,
          env: scriptEnv({ DATABASE_URL: url!, MAIL_LOG: mailLog, SWEEP_NOW: now.toISOString(), ...env }),
          stdio: ["ignore", "pipe", "inherit"],
        });
        children.push(child);
        return new Promise<ChildProcess>((resolve) => child.stdout!.once("data", () => resolve(child)));
      };

      // A worker that takes a mail and hangs; killed, its job expires and another delivers it.
      const holder = await worker({ HOLD_MAIL: "true" });
      await db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto("mail_outbox")
          .values({ to_address: "held@example.test", subject: "Held", body_text: "x", status: "queued" })
          .returning("id")
          .executeTakeFirstOrThrow();
        await enqueue(trx, QUEUES.mail, { outboxId: row.id }, { expireInSeconds: 2, retryLimit: 5, retryDelay: 1 });
      });
      await until(async () => {
        const active = await db
          .selectFrom("pgboss.job" as never)
          .select("state" as never)
          .where("name" as never, "=", QUEUES.mail as never)
          .where("state" as never, "=", "active" as never)
          .execute();
        return active.length > 0;
      }, 60_000); // a worker that has just started may wait for the CPU on a loaded machine
      holder.kill("SIGKILL");

      const [a, b] = await Promise.all([worker({}), worker({})]);
      for (let i = 0; i < 4; i++) await enqueue(db, QUEUES.reminders, { reason: "test" });
      const expected = people.length * 2 + 1; // 'assigned' and 'due soon' each, and the held mail
      const lines = await until(async () => {
        const got = readFileSync(mailLog, "utf8").trim().split("\n").filter(Boolean);
        return got.length >= expected && got;
      }, 60_000);
      await new Promise((r) => setTimeout(r, 1500)); // nothing more may come
      const final = readFileSync(mailLog, "utf8").trim().split("\n");
      expect(final).toHaveLength(expected);
      expect(new Set(final.map((l) => l.split(" ")[0])).size).toBe(expected);
      expect(lines.some((l) => l.endsWith("held@example.test"))).toBe(true);
      const notifications = await db.selectFrom("notifications").select("key").execute();
      expect(notifications).toHaveLength(people.length * 2);
      a.kill("SIGTERM");
      b.kill("SIGTERM");
    }, 120_000);
});

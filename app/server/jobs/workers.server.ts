// What each queue's jobs do in this app, and when the scheduled ones run. Every app instance with
// WORKERS on runs them; a job goes to one worker at a time, and every handler may safely run twice.
import { z } from "zod";
import { sweepReminders } from "../assignments/reminders.server";
import type { AppContext } from "../context.server";
import { QUEUES, startWorkers, type Workers } from "./queue.server";

const MailJob = z.object({ outboxId: z.string().uuid() });

export function startAppWorkers(app: AppContext): Promise<Workers> {
  return startWorkers(
    app.db,
    app.log,
    {
      [QUEUES.mail]: async (data, job) => {
        await app.mailer.deliver(MailJob.parse(data).outboxId, job.retryCount);
      },
      [QUEUES.reminders]: async () => {
        const result = await sweepReminders(app.db, app.mailer, { now: new Date(), publicUrl: app.config.publicUrl });
        if (result.notifications > 0) app.log.info("reminders written", { notifications: result.notifications });
      },
    },
    // The sweep also runs after every assignment; the schedule catches dates that come due.
    { schedules: [{ queue: QUEUES.reminders, cron: "*/15 * * * *" }] },
  );
}

// A separate worker process for the job tests: runs the app's queues on DATABASE_URL, with the
// reminder sweep's clock at SWEEP_NOW and every mail handed over appended to MAIL_LOG.
import { appendFileSync } from "node:fs";
import { sweepReminders } from "../../app/server/assignments/reminders.server";
import { QUEUES, startWorkers } from "../../app/server/jobs/queue.server";
import { createMailer } from "../../app/server/mail/mailer.server";
import { createLogger } from "../../app/server/shared/log.server";
import { connect } from "../../db/connect.server";

const database = await connect({ databaseUrl: process.env.DATABASE_URL!, poolSize: 4 });
const log = createLogger("silent");
const mailer = createMailer(database.db, log, {
  smtpUrl: undefined,
  from: "Mamoru <no-reply@mamoru.test>",
  transport: async (message) => {
    // HOLD_MAIL: take a mail and never finish it (a worker about to be killed mid-job).
    if (process.env.HOLD_MAIL === "true") await new Promise(() => {});
    appendFileSync(process.env.MAIL_LOG!, `${message.messageId} ${message.to}\n`);
  },
});
const workers = await startWorkers(
  database.db,
  log,
  {
    [QUEUES.mail]: async (data, job) => mailer.deliver(String(data.outboxId), job.retryCount),
    [QUEUES.reminders]: async () => {
      await sweepReminders(database.db, mailer, {
        now: new Date(process.env.SWEEP_NOW!),
        publicUrl: "http://mamoru.test",
      });
    },
  },
  { pollingIntervalSeconds: 0.5, maintenanceIntervalSeconds: 1 },
);
process.stdout.write("ready\n");
process.once(
  "SIGTERM",
  () =>
    void workers
      .stop()
      .then(() => database.close())
      .then(() => process.exit(0)),
);

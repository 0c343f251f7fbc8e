// The job queue's tables: pg-boss (schema `pgboss`) on whichever engine the app runs, reached
// through the app's own Kysely handle, so that on the embedded engine it queues for the one
// connection like every other query, and so that a job can be sent inside the transaction of the
// change that causes it. See docs/decisions/012-jobs-on-pg-boss-on-both-engines.md.
import { CompiledQuery, type Kysely } from "kysely";
import PgBoss from "pg-boss";

export const JOB_SCHEMA = "pgboss";

/** Every queue the app uses, created with the schema so that a job can be sent before any worker starts. */
export const QUEUES = {
  /** One outgoing mail (an outbox row), retried with backoff while the mail server is down. */
  mail: "mail.deliver",
  /** Finds the reminders, overdue notices and digests that are due, and writes each once. */
  reminders: "reminders.sweep",
} as const;

/** pg-boss's view of a database: one function that runs a text with values. */
export function jobExecutor(db: Kysely<any>): PgBoss.Db {
  return {
    async executeSql(text: string, values: unknown[] = []) {
      const result = await db.executeQuery(CompiledQuery.raw(text, values));
      return { rows: result.rows as any[] };
    },
  };
}

/** Creates or upgrades pg-boss's schema and the app's queues. Call under the migration lock. */
export async function installJobQueue(db: Kysely<any>): Promise<void> {
  const boss = new PgBoss({
    db: jobExecutor(db),
    schema: JOB_SCHEMA,
    supervise: false,
    schedule: false,
    migrate: true,
  });
  await boss.start();
  try {
    for (const name of Object.values(QUEUES)) {
      if (!(await boss.getQueue(name))) await boss.createQueue(name, { name, policy: "standard" });
    }
  } finally {
    await boss.stop({ graceful: false, close: false, wait: true });
  }
}

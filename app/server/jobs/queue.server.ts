// Background jobs on pg-boss, on either engine (docs/decisions/012-jobs-on-pg-boss-on-both-engines.md).
// `enqueue` takes the transaction of the change that causes the job, so the two commit or fail
// together; `startWorkers` runs the handlers in this process (every app instance may run them:
// pg-boss hands each job to one worker at a time, and each handler is written to be re-run safely).
import type { Kysely } from "kysely";
import PgBoss from "pg-boss";
import { JOB_SCHEMA, QUEUES, jobExecutor } from "../../../db/job-queue.server";
import type { Database } from "../../../db/schema";
import type { Logger } from "../shared/log.server";

export { QUEUES };
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface EnqueueOptions {
  /** Not before this time. */
  startAfter?: Date;
  retryLimit?: number;
  /** Seconds before the first retry; doubled each time when retryBackoff. */
  retryDelay?: number;
  retryBackoff?: boolean;
  /** A job running longer than this is taken to have died and is run again. */
  expireInSeconds?: number;
}

// A pg-boss instance only for composing inserts: every send passes the transaction to write in.
let composer: PgBoss | undefined;
const sender = () =>
  (composer ??= new PgBoss({
    schema: JOB_SCHEMA,
    db: {
      executeSql: () => Promise.reject(new Error("jobs are sent inside a transaction: pass it to enqueue")),
    },
  }));

/** Queues a job in the given transaction (or database handle). */
export async function enqueue(
  db: Kysely<Database>,
  queue: QueueName,
  data: Record<string, unknown>,
  options: EnqueueOptions = {},
): Promise<void> {
  await sender().send(queue, data, { ...options, db: jobExecutor(db) });
}

/** Many jobs of one queue in one statement, in the given transaction. */
export async function enqueueMany(
  db: Kysely<Database>,
  queue: QueueName,
  items: readonly Record<string, unknown>[],
  options: Omit<EnqueueOptions, "startAfter"> = {},
): Promise<void> {
  if (items.length === 0) return;
  await sender().insert(
    items.map((data) => ({ name: queue, data, ...options })),
    { db: jobExecutor(db) },
  );
}

export type Handler = (data: Record<string, unknown>, job: { id: string; retryCount: number }) => Promise<void>;

export interface WorkerOptions {
  /** Seconds between polls of an idle queue. */
  pollingIntervalSeconds?: number;
  /** Seconds between maintenance runs (expiring dead jobs, cleaning up). */
  maintenanceIntervalSeconds?: number;
  /** Cron schedules to keep, e.g. the reminder sweep every 15 minutes. */
  schedules?: readonly { queue: QueueName; cron: string; data?: Record<string, unknown> }[];
}

export interface Workers {
  stop(): Promise<void>;
}

export async function startWorkers(
  db: Kysely<Database>,
  log: Logger,
  handlers: Partial<Record<QueueName, Handler>>,
  options: WorkerOptions = {},
): Promise<Workers> {
  const boss = new PgBoss({
    db: jobExecutor(db),
    schema: JOB_SCHEMA,
    migrate: false,
    supervise: true,
    schedule: (options.schedules?.length ?? 0) > 0,
    maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 60,
  });
  boss.on("error", (error) => log.error("job queue error", { error }));
  await boss.start();
  for (const [queue, handler] of Object.entries(handlers) as [QueueName, Handler][]) {
    await boss.work<Record<string, unknown>>(
      queue,
      { pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2, batchSize: 1, includeMetadata: true },
      async ([job]) => {
        if (!job) return;
        try {
          await handler(job.data, { id: job.id, retryCount: job.retryCount });
        } catch (error) {
          log.warn("job failed; it will be retried while retries remain", { queue, jobId: job.id, error });
          throw error;
        }
      },
    );
  }
  for (const s of options.schedules ?? []) await boss.schedule(s.queue, s.cron, s.data ?? {}, { tz: "Asia/Tokyo" });
  return {
    async stop() {
      await boss.stop({ graceful: true, close: false, wait: true, timeout: 10_000 });
    },
  };
}

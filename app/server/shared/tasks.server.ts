// Work a request starts but does not wait for (a reset mail: answering only after it would tell
// who has an account by the time it takes). At most `limit` run at once; a request that finds them
// all busy waits for a free slot, never for the work, so a flood of requests cannot pile up
// unbounded work in memory. Failures are logged; shutdown waits for what is running and queued.
import type { Logger } from "./log.server";

export interface BackgroundTasks {
  /** Resolves once the work has started (at once unless `limit` tasks are running). */
  run(name: string, work: () => Promise<unknown>): Promise<void>;
  /** Resolves once nothing is running or waiting (tasks started meanwhile included). */
  settled(): Promise<void>;
}

export function createBackgroundTasks(log: Logger, limit = 32): BackgroundTasks {
  const running = new Set<Promise<void>>();
  const waiting: { name: string; work: () => Promise<unknown>; started: () => void }[] = [];

  const start = (name: string, work: () => Promise<unknown>) => {
    const task: Promise<void> = Promise.resolve()
      .then(work)
      .then(
        () => {},
        (error: unknown) => log.error("background task failed", { task: name, error }),
      )
      .finally(() => {
        running.delete(task);
        // The next one starts here, so that there is never a moment with work queued and none running.
        const next = waiting.shift();
        if (next) {
          start(next.name, next.work);
          next.started();
        }
      });
    running.add(task);
  };

  return {
    run(name, work) {
      if (running.size < limit) {
        start(name, work);
        return Promise.resolve();
      }
      return new Promise<void>((started) => waiting.push({ name, work, started }));
    },
    async settled() {
      while (running.size > 0 || waiting.length > 0) await Promise.all(running);
    },
  };
}

// What a test file made is removed when the file ends. Vitest 3 ignores hooks registered inside
// beforeAll, beforeEach or a test, so helpers that create something register a disposer here
// instead, and this file (a setup file, run at the top level of every test file) runs them.
// The list lives on globalThis: the files of a worker share their modules (isolate: false), and
// Vitest runs a setup file afresh for each file while the helpers that import it keep the first.
import { afterAll } from "vitest";

type Disposer = { what: string; dispose: () => Promise<unknown> | unknown };
const shared = globalThis as { mamoruDisposers?: Disposer[] };
const disposers = (shared.mamoruDisposers ??= []);

/** Runs `dispose` when the current test file ends (last registered, first run); `what` names it in messages. */
export function disposeAfterFile(what: string, dispose: Disposer["dispose"]): void {
  disposers.push({ what, dispose });
}

/**
 * Settles with `work`, or rejects after `ms` naming `what`: for a disposer that may wait on
 * something a test left hanging (a pool waits for every connection it lent to come back).
 */
export async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still waiting after ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

afterAll(async () => {
  // This file's disposers are taken at once: if the hook times out on a loaded machine, its loop
  // goes on in the background, and must not reach what the worker's next file registers (it once
  // closed the next file's server mid-test).
  const mine = disposers.splice(0).reverse();
  const errors: unknown[] = [];
  for (const { what, dispose } of mine) {
    try {
      // Within the hook's own limit, so that a disposer that hangs is named and the rest still run.
      await within(30_000, what, Promise.resolve().then(dispose));
    } catch (error) {
      errors.push(error);
    }
  }
  // The reporter shows an AggregateError's message only: the causes go in it.
  const causes = errors.map((e) => (e instanceof Error ? e.message : String(e))).join("\n");
  if (errors.length) throw new AggregateError(errors, `cleanup after the test file failed:\n${causes}`);
});

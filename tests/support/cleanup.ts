// What a test file made is removed when the file ends. Vitest 3 ignores hooks registered inside
// beforeAll, beforeEach or a test, so helpers that create something register a disposer here
// instead, and this file (a setup file, run at the top level of every test file) runs them.
// The list lives on globalThis: the files of a worker share their modules (isolate: false), and
// Vitest runs a setup file afresh for each file while the helpers that import it keep the first.
import { afterAll } from "vitest";

type Disposer = () => Promise<unknown> | unknown;
const shared = globalThis as { mamoruDisposers?: Disposer[] };
const disposers = (shared.mamoruDisposers ??= []);

/** Runs `dispose` when the current test file ends (last registered, first run). */
export function disposeAfterFile(dispose: Disposer): void {
  disposers.push(dispose);
}

afterAll(async () => {
  // This file's disposers are taken at once: if the hook times out on a loaded machine, its loop
  // goes on in the background, and must not reach what the worker's next file registers (it once
  // closed the next file's server mid-test).
  const mine = disposers.splice(0).reverse();
  const errors: unknown[] = [];
  for (const dispose of mine) {
    try {
      await dispose();
    } catch (error) {
      errors.push(error);
    }
  }
  // The reporter shows an AggregateError's message only: the causes go in it.
  const causes = errors.map((e) => (e instanceof Error ? e.message : String(e))).join("\n");
  if (errors.length) throw new AggregateError(errors, `cleanup after the test file failed:\n${causes}`);
});

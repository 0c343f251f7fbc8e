// What a test file made is removed when the file ends. Vitest 3 ignores hooks registered inside
// beforeAll, beforeEach or a test, so helpers that create something register a disposer here
// instead, and this file (a setup file, run at the top level of every test file) runs them.
import { afterAll } from "vitest";

const disposers: (() => Promise<unknown> | unknown)[] = [];

/** Runs `dispose` when the current test file ends (last registered, first run). */
export function disposeAfterFile(dispose: () => Promise<unknown> | unknown): void {
  disposers.push(dispose);
}

afterAll(async () => {
  const errors: unknown[] = [];
  while (disposers.length) {
    try {
      await disposers.pop()!();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length) throw new AggregateError(errors, "cleanup after the test file failed");
});

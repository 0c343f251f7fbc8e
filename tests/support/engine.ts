// Where a test run keeps its databases. Every run has an id: its folders live under one run
// folder and its server databases share one name prefix, so the global teardown removes
// everything the run made, whatever a test file left behind.
// Only what runs inside test files here; what the global setup needs too is in run.ts.
import { inject } from "vitest";

export { adminQuery, databaseUrl, engine, serverUrl } from "./run";

declare module "vitest" {
  export interface ProvidedContext {
    /** This run's folder (PGlite templates, data folders of platform processes, content copies). */
    runDir: string;
    /** Prefix of this run's databases on the Postgres server. */
    runPrefix: string;
  }
}

export const runDir = () => inject("runDir");
export const runPrefix = () => inject("runPrefix");

/**
 * The environment of a script a test starts as a process of its own: its temporary files (tsx's
 * compile cache among them) go in the run's folder, which goes with the run.
 */
export const scriptEnv = (extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  TMPDIR: runDir(),
  ...extra,
});

/** A database name of this run's: removed at the end of the run if not before. */
export const runDatabaseName = (what: string) => `${runPrefix()}_${what}`;
export const templateDatabase = () => runDatabaseName("template");

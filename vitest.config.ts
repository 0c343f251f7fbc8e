import { defineConfig } from "vitest/config";

const alias = { "~": new URL("./app", import.meta.url).pathname };

/** Files about what only a Postgres server has (roles): not collected on the embedded engine. */
const SERVER_ONLY = ["tests/integration/db-roles.test.ts"];

/**
 * Files about the HTTP surface alone — hostile input to every route, the permission matrix, the
 * attack run's requests, the bytes of every page — whose answers no engine changes: the queries
 * behind those routes are proven on both engines by the other files. Their own project, so that CI
 * runs them once, on the server, where a page costs half the CPU (docs/decisions/009).
 */
const HTTP_SURFACE = [
  "tests/integration/properties.test.ts",
  "tests/integration/permissions.test.ts",
  "tests/integration/hardening.test.ts",
  "tests/integration/page-bytes.test.ts",
];

// `npm test`: unit tests (no database, no build) and integration tests. With DATABASE_URL set the
// integration tests run on that Postgres server (a database per test file, made from the run's
// migrated template); without it, on embedded PGlite (an in-memory database per test file, loaded
// from the run's migrated image). Each file's databases go when the file ends, the run's when the
// run ends (tests/support/cleanup.ts, global-setup.ts).
const integration = {
  globalSetup: ["tests/support/global-setup.ts"],
  setupFiles: ["tests/support/cleanup.ts", "tests/support/chain.ts"],
  pool: "forks" as const,
  // The files of a worker share one module graph: the app and its build are loaded once, not once
  // per file. Each file still has its own database (tests/support/db.ts) and removes what it made
  // (tests/support/cleanup.ts).
  isolate: false,
  // Hang guards: while CI runs every suite at once on two cores, a file's set-up or clean-up
  // (a database made or dropped, a server stopped) can take ten times what it takes alone.
  testTimeout: 60_000,
  hookTimeout: 120_000,
  // expect.poll waits for work done after a response (an audit row): not its default second.
  expect: { poll: { timeout: 30_000, interval: 100 } },
  // The build is served as in production: React's development build renders a page several times
  // slower. The app's own settings come from testConfig(), not from NODE_ENV.
  env: { NODE_ENV: "production" as const },
};

export default defineConfig({
  resolve: { alias },
  test: {
    // The pool is the root's: a project's own `isolate: false` does not reach it (Vitest 3 reads
    // the root's poolOptions), and every file would start a new process and load the app again.
    poolOptions: { forks: { isolate: false } },
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["tests/unit/**/*.test.ts"],
          globalSetup: ["tests/support/global-setup.ts"],
          setupFiles: ["tests/support/cleanup.ts", "tests/support/chain.ts"],
          pool: "threads",
          testTimeout: 30_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          exclude: [...HTTP_SURFACE, ...(process.env.DATABASE_URL ? [] : SERVER_ONLY)],
          ...integration,
        },
      },
      { resolve: { alias }, test: { name: "http-surface", include: HTTP_SURFACE, ...integration } },
    ],
  },
});

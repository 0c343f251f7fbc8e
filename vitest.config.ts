import { defineConfig } from "vitest/config";

// Unit and integration tests. With DATABASE_URL set they run on that Postgres server (a database
// per test file, copied from a migrated template); without it, on embedded PGlite (a data folder
// per test file, copied from a migrated template).
export default defineConfig({
  resolve: { alias: { "~": new URL("./app", import.meta.url).pathname } },
  test: {
    include: ["tests/unit/**/*.test.ts", "tests/integration/**/*.test.ts"],
    globalSetup: ["tests/support/global-setup.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ["default"],
  },
});

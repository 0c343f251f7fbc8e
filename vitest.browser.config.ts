import { defineConfig } from "vitest/config";

// Browser tests: Debian's Chromium driven by playwright-core against the production build.
export default defineConfig({
  resolve: { alias: { "~": new URL("./app", import.meta.url).pathname } },
  test: {
    include: ["tests/browser/**/*.test.ts"],
    globalSetup: ["tests/support/global-setup.ts"],
    setupFiles: ["tests/support/cleanup.ts", "tests/support/chain.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 90_000,
  },
});

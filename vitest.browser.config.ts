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
    // One module graph for all the files (the build is loaded once); each file has its own server,
    // database and browser, removed when it ends (tests/support/cleanup.ts).
    isolate: false,
    testTimeout: 120_000,
    hookTimeout: 90_000,
  },
});

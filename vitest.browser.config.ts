import { defineConfig } from "vitest/config";

// Browser tests: Debian's Chromium driven by playwright-core against the production build.
export default defineConfig({
  resolve: { alias: { "~": new URL("./app", import.meta.url).pathname } },
  test: {
    include: ["tests/browser/**/*.test.ts"],
    globalSetup: ["tests/support/global-setup.ts"],
    setupFiles: ["tests/support/cleanup.ts", "tests/support/chain.ts"],
    pool: "forks",
    // Two files at a time: a journey waits on its browser more than on the CPU. Within a worker the
    // files share one module graph (the build is loaded once); each file has its own server,
    // database and browser, removed when it ends (tests/support/cleanup.ts).
    maxWorkers: 2,
    isolate: false,
    // Hang guards, not speed targets: the longest journey takes 50–95 s on a quiet 2-core machine
    // (six axe runs are half of it) and three times that while CI runs every suite at once.
    testTimeout: 300_000,
    hookTimeout: 180_000,
    // expect.poll waits for what a page shows after a click: its default second is less than a
    // form post and the next page take while CI runs every suite on two cores.
    expect: { poll: { timeout: 30_000, interval: 100 } },
    // Served as in production (see vitest.config.ts).
    env: { NODE_ENV: "production" },
  },
});

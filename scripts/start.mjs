// `npm start`: builds the app when the build is missing or older than the source, then serves it
// in production mode on the embedded database (or on DATABASE_URL when set).
import { spawnSync } from "node:child_process";
import v8 from "node:v8";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.chdir(root);
process.env.NODE_ENV ??= "production";
// When collecting is cheap, V8 lets the old generation grow to about four times what is live before
// a full collection. A CSV export promotes short-lived rows at ~30 MB/s, so the heap swelled by
// 90-130 MB of garbage during one. Growing it to twice what is live at most keeps a million-row
// export within about 20 MB of idle, at the same rows/s and page CPU (docs/performance.md). The
// factor is read at every collection, so it applies when set here, before the app allocates.
v8.setFlagsFromString("--heap-growing-percent=100");

const BUILD = path.join(root, "build/server/index.js");
const SOURCES = ["app", "db", "remix.config.js", "vite.config.ts", "package.json"];

function newestMtime(p) {
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(p).reduce((max, name) => Math.max(max, newestMtime(path.join(p, name))), s.mtimeMs);
}

const stale = !existsSync(BUILD) || SOURCES.some((s) => existsSync(s) && newestMtime(s) > statSync(BUILD).mtimeMs);
if (stale) {
  console.log("Building the app…");
  const result = spawnSync(
    process.execPath,
    [path.join(root, "node_modules/@remix-run/dev/dist/cli.js"), "vite:build"],
    {
      stdio: "inherit",
      env: { ...process.env, NODE_ENV: "production" },
    },
  );
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const build = await import(BUILD);
const { startServer, stopOnSignals } = build.entry.module;
try {
  const running = await startServer({ getBuild: () => build });
  stopOnSignals(running);
} catch (error) {
  console.error(JSON.stringify({ level: "error", msg: "could not start", error: String(error?.message ?? error) }));
  process.exit(1);
}

// The audit trail's CSV export alone, on the national data set (BENCH_NATIONAL_URL, by default the
// server's mamoru_national): ~100k rows, then all of them, with rows/s and the server's peak RSS
// growth over idle. `npx tsx tests/bench/export-only.ts` (the server needs CHAIN_KEYS, as in the bench).
import { exportMemoryRuns, startNationalServer } from "./scale";

const url =
  process.env.BENCH_NATIONAL_URL ||
  Object.assign(new URL(process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres"), {
    pathname: "/mamoru_national",
  }).toString();
const server = await startNationalServer(url);
try {
  await exportMemoryRuns(server, url);
} finally {
  await server.stop();
}

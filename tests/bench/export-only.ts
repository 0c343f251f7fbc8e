// The audit trail's CSV export alone, on the national data set (BENCH_NATIONAL_URL, by default the
// server's mamoru_national): ~100k rows, then all of them, with rows/s and the server's peak RSS
// growth over idle. `npx tsx tests/bench/export-only.ts` (the server needs CHAIN_KEYS, as in the bench).
import { auditRangeFor, measureExport, startNationalServer } from "./scale";

const url =
  process.env.BENCH_NATIONAL_URL ||
  Object.assign(new URL(process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres"), {
    pathname: "/mamoru_national",
  }).toString();
const server = await startNationalServer(url);
try {
  const admin = await server.cookie("admin@national.example");
  const range = await auditRangeFor(url, 100_000);
  const warm = await auditRangeFor(url, 10_000).then((w) => (w.from ? w : undefined));
  for (const [label, query] of [
    // First a small export, unreported: the first one of a process also pays for what stays
    // (code compiled, the heap grown to its working size), which says nothing of rows.
    ...(warm ? [[`warm-up, ~${warm.expected} rows`, `?from=${warm.from}`] as const] : []),
    [`audit CSV, ~${range.expected} rows`, range.from ? `?from=${range.from}` : ""],
    [`audit CSV, all ${range.all} rows`, ""],
  ] as const) {
    const e = await measureExport(server, admin, query);
    console.log(
      `${label}: ${e.rows} rows in ${e.seconds.toFixed(1)} s, ${e.rowsPerSecond.toFixed(0)} rows/s; ` +
        `server RSS ${e.idleMb.toFixed(0)} MB before, peak growth ${e.growthMb.toFixed(1)} MB`,
    );
  }
} finally {
  await server.stop();
}

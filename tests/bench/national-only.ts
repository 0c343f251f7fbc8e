// The bench's national-scale part alone (`npx tsx tests/bench/national-only.ts`), on the data set
// `npm run db:generate` made (BENCH_NATIONAL_URL, by default the server's mamoru_national): the
// reviewer's pages against hand-written SQL, then the CSV export's memory. The server needs
// CHAIN_KEYS, as in the bench.
import { national } from "./scale";

const url =
  process.env.BENCH_NATIONAL_URL ||
  Object.assign(new URL(process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres"), {
    pathname: "/mamoru_national",
  }).toString();
await national(url, Number(process.env.BENCH_ROUNDS ?? 5));

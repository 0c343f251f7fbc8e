// Measures the reminder sweep alone (BENCH_SWEEP obligations, default 10,000), on a database of its
// own on the Postgres server: `npx tsx tests/bench/sweep-only.ts`.
import path from "node:path";
import pg from "pg";
import { syncContentFrom } from "../../app/server/catalog/content-sync.server";
import { createLogger } from "../../app/server/shared/log.server";
import { connect } from "../../db/connect.server";
import { prepareDatabase } from "../../db/roles.server";
import { sweepBench } from "./scale";

const SERVER = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
const SWEEP = Number(process.env.BENCH_SWEEP ?? 10_000);

async function admin(text: string) {
  const c = new pg.Client({ connectionString: SERVER });
  await c.connect();
  await c.query(text).finally(() => c.end());
}

const name = `mamoru_sweep_${process.pid}`;
const url = new URL(SERVER);
url.pathname = `/${name}`;
await admin(`create database ${name}`);
try {
  const handle = await connect({ databaseUrl: url.toString(), poolSize: 2 });
  await prepareDatabase(handle.db, undefined);
  await syncContentFrom(handle.db, path.resolve(import.meta.dirname, "../../modules"), createLogger("silent"));
  await handle.close();
  const r = await sweepBench(url.toString(), SWEEP);
  console.log(
    `sweep of ${r.count}: ${r.written} notifications and ${r.mails} mails in ${r.seconds.toFixed(1)} s, ` +
      `${r.perSecond.toFixed(0)} written per second, ${(r.count / r.seconds).toFixed(0)} reminders per second`,
  );
} finally {
  await admin(`drop database if exists ${name} with (force)`);
}

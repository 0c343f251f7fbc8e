// `npx tsx tests/bench/trainer-only.ts`: the bench's trainer's view of one assignment of
// BENCH_COHORT people (default 5,000; a third part-way through) against the sign-in page, over HTTP
// on the production build, in BENCH_ROUNDS interleaved rounds of BENCH_SECONDS each: requests per
// second, the ratio within each round, and CPU milliseconds per request of the server and of
// Postgres. The same page, data and checks as `npm run bench`, without its other parts, to see the
// effect of a change in a minute. BENCH_PROFILE=dir writes a CPU profile of the server there (with
// BENCH_ONLY=trainer or BENCH_ONLY=sign-in, of that page alone).
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import autocannon from "autocannon";
import pg from "pg";
import os from "node:os";
import { installChainAnchor, newKeyLine, parseKeyring } from "../../app/server/chain/anchor.server";
import { connect } from "../../db/connect.server";
import { makeAgency, PASSWORD } from "../support/fixtures";
import { freePort } from "../support/run";
import { trainerCohort } from "./scale";

const root = path.resolve(import.meta.dirname, "../..");
const SERVER = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
const COHORT = Number(process.env.BENCH_COHORT ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
/** Measure one page only (for a profile of it alone): "trainer" or "sign-in". */
const ONLY = process.env.BENCH_ONLY;

const TICK_MS = 10;
function cpuMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}
function postgresCpuMs(): number {
  let total = 0;
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "postgres") total += cpuMs(Number(pid));
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

async function admin(text: string) {
  const c = new pg.Client({ connectionString: SERVER });
  await c.connect();
  await c.query(text).finally(() => c.end());
}

const name = `mamoru_trainer_${process.pid}`;
const url = Object.assign(new URL(SERVER), { pathname: `/${name}` }).toString();
await admin(`create database ${name}`);
// The server and this process (which assigns, writing audit events) seal the chains with one key.
const chainKeys = newKeyLine();
installChainAnchor({ keyring: parseKeyring(chainKeys), checkpointDir: null });
const checkpoints = fs.mkdtempSync(path.join(os.tmpdir(), "mamoru-bench-checkpoints-"));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
const child = spawn(process.execPath, [...profile, path.join(root, "scripts/start.mjs")], {
  cwd: root,
  env: {
    ...process.env,
    DATABASE_URL: url,
    PORT: String(port),
    HOST: "127.0.0.1",
    NODE_ENV: "production",
    LOG_LEVEL: "warn",
    PUBLIC_URL: base,
    WORKERS: "false",
    CHAIN_KEYS: chainKeys,
    CHAIN_CHECKPOINT_DIR: checkpoints,
  },
  stdio: ["ignore", "ignore", "inherit"],
});
try {
  for (let i = 0; ; i++) {
    if ((await fetch(`${base}/readyz`).catch(() => null))?.ok) break;
    if (child.exitCode !== null || i > 1500) throw new Error("the server did not start");
    await new Promise((r) => setTimeout(r, 200));
  }
  const handle = await connect({ databaseUrl: url, poolSize: 2 });
  const db = handle.db;
  const agency = await makeAgency(db, "Bench Police");
  const { trainer, assignmentId } = await trainerCohort(db, agency.id, COHORT);
  await handle.close();

  const signIn = await fetch(`${base}/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: { origin: base, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ email: trainer.email, password: PASSWORD }),
  });
  const cookie = signIn.headers.getSetCookie()[0]!.split(";")[0]!;
  const page = `${base}/training/assignments/${assignmentId}`;
  const first = await fetch(page, { headers: { cookie, "accept-language": "en" } });
  if (first.status !== 200) throw new Error(`the trainer's page answered ${first.status}`);
  console.log(`trainer's page: ${(await first.arrayBuffer()).byteLength} bytes`);

  // Statements outside a transaction are one transaction each: the database's count of them, read
  // around a run, is the statements a request takes (a transaction counts once).
  const transactions = async () => {
    const c = new pg.Client({ connectionString: SERVER });
    await c.connect();
    try {
      const r = await c.query("select xact_commit + xact_rollback as n from pg_stat_database where datname = $1", [
        name,
      ]);
      return Number(r.rows[0].n);
    } finally {
      await c.end();
    }
  };
  const measure = async (target: string, headers: Record<string, string>, seconds: number) => {
    const before = { server: cpuMs(child.pid!), db: postgresCpuMs(), xacts: await transactions() };
    const r = await autocannon({ url: target, headers, connections: CONNECTIONS, duration: seconds });
    if (r.errors > 0 || r.non2xx > 0) throw new Error(`${target}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    // The statistics reach pg_stat_database when a backend goes idle: a moment's wait.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    return {
      rps: r.requests.total / r.duration,
      server: (cpuMs(child.pid!) - before.server) / r.requests.total,
      db: (postgresCpuMs() - before.db) / r.requests.total,
      statements: ((await transactions()) - before.xacts) / r.requests.total,
    };
  };
  const signInPage = () => measure(`${base}/sign-in`, { "accept-language": "en" }, SECONDS);
  const trainerPage = () => measure(page, { cookie, "accept-language": "en" }, SECONDS);
  if (ONLY !== "trainer") await measure(`${base}/sign-in`, { "accept-language": "en" }, 2);
  if (ONLY !== "sign-in") await measure(page, { cookie, "accept-language": "en" }, 2);
  const f = (v: number) => v.toFixed(2).padStart(7);
  for (let round = 1; round <= ROUNDS; round++) {
    if (ONLY) {
      const t = await (ONLY === "trainer" ? trainerPage() : signInPage());
      console.log(
        `round ${round}: ${ONLY} ${t.rps.toFixed(0)} req/s, CPU ms/request server ${f(t.server)} db ${f(t.db)}, ` +
          `${t.statements.toFixed(1)} transactions/request`,
      );
      continue;
    }
    const s = await signInPage();
    const t = await trainerPage();
    console.log(
      `round ${round}: sign-in ${s.rps.toFixed(0).padStart(4)} req/s (server ${f(s.server)} ms, ` +
        `${s.statements.toFixed(1)} tx)   trainer ${t.rps.toFixed(0).padStart(4)} req/s (server ${f(t.server)} ms, ` +
        `db ${f(t.db)} ms, ${t.statements.toFixed(1)} tx)   ` +
        `ratio ${((t.rps / s.rps) * 100).toFixed(1)}%`,
    );
  }
} finally {
  child.kill("SIGTERM");
  await new Promise((r) => child.on("exit", r));
  await admin(`drop database if exists ${name} with (force)`);
  fs.rmSync(checkpoints, { recursive: true, force: true });
}

// `npm run bench`: the production build on the Postgres server, loaded with autocannon. Prints,
// from one run, requests/s and latency of the server's floor (/healthz), the stack's floor (the
// sign-in page: Remix rendering, no database) and a signed-in trainee's home page (session check
// plus queries), with the ratios between them.
import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import pg from "pg";
import { connect } from "../../db/connect";
import { freePort } from "../support/process";
import { makeAgency, makeUser, PASSWORD } from "../support/fixtures";

const root = path.resolve(import.meta.dirname, "../..");
const SERVER = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);

function databaseUrl(name: string) {
  const url = new URL(SERVER);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin(sql: string) {
  const c = new pg.Client({ connectionString: SERVER });
  await c.connect();
  await c.query(sql).finally(() => c.end());
}

async function main() {
  const name = `mamoru_bench_${process.pid}`;
  await admin(`create database ${name}`);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [path.join(root, "scripts/start.mjs")], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl(name), PORT: String(port), HOST: "127.0.0.1", NODE_ENV: "production", LOG_LEVEL: "warn", PUBLIC_URL: base },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (c: Buffer) => {
        out += c.toString();
        if (out.includes("Create the first admin account")) resolve();
      });
      child.on("exit", (code) => reject(new Error(`server exited with ${code}`)));
    });
    for (;;) {
      if ((await fetch(`${base}/readyz`).catch(() => null))?.ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }

    const handle = await connect({ databaseUrl: databaseUrl(name), poolSize: 2 });
    const agency = await makeAgency(handle.db, "Bench Police");
    const user = await makeUser(handle.db, { agencyId: agency.id, roles: ["trainee"] });
    await handle.close();
    const signIn = await fetch(`${base}/sign-in`, {
      method: "POST",
      redirect: "manual",
      headers: { origin: base, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email: user.email, password: PASSWORD }),
    });
    const cookie = signIn.headers.getSetCookie()[0]!.split(";")[0]!;
    const home = await fetch(`${base}/`, { headers: { cookie } });
    if (home.status !== 200 || !(await home.text()).includes("Welcome")) throw new Error("signed-in home page did not render");

    const targets = [
      { name: "healthz (server floor)", path: "/healthz", headers: {} },
      { name: "sign-in page (render, no DB)", path: "/sign-in", headers: { "accept-language": "en" } },
      { name: "trainee home (session + queries)", path: "/", headers: { cookie, "accept-language": "en" } },
    ];
    const results: { name: string; rps: number; p50: number; p99: number }[] = [];
    for (const t of targets) {
      const r = await autocannon({ url: base + t.path, headers: t.headers, connections: CONNECTIONS, duration: DURATION, pipelining: 1 });
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${t.path}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      results.push({ name: t.name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99 });
    }

    const [health, render, signedIn] = results as [typeof results[0], typeof results[0], typeof results[0]];
    console.log(`\nMamoru benchmark — ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, Postgres server`);
    console.log(`${CONNECTIONS} connections, ${DURATION}s per target, no pipelining\n`);
    console.log("target".padEnd(36) + "req/s".padStart(10) + "p50 ms".padStart(10) + "p99 ms".padStart(10));
    for (const r of results) console.log(r.name.padEnd(36) + r.rps.toFixed(0).padStart(10) + String(r.p50).padStart(10) + String(r.p99).padStart(10));
    const ratio = (a: number, b: number) => `${((a / b) * 100).toFixed(1)}%`;
    console.log(`\nsign-in page / healthz:        ${ratio(render.rps, health.rps)}`);
    const homeRatio = signedIn.rps / render.rps;
    console.log(`trainee home / sign-in page:   ${ratio(signedIn.rps, render.rps)}  (target ≥ 60%: ${homeRatio >= 0.6 ? "met" : "NOT met"})`);
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.on("exit", r));
    await admin(`drop database if exists ${name} with (force)`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

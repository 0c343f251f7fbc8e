// `npm run bench`: the production build on the Postgres server, loaded with autocannon. Prints,
// from one run, requests/s and latency of the server's floor (/healthz), the stack's floor (the
// sign-in page: Remix rendering, no database), a signed-in trainee's home page and lesson page
// (session check plus queries) and quiz submissions (grading and completion records, each one a
// real first submission), with the ratios between them.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import pg from "pg";
import { connect } from "../../db/connect.server";
import { freePort } from "../support/run";
import { makeAgency, makeUser, PASSWORD } from "../support/fixtures";
import { startAttempt, submitAttempt } from "../../app/server/learning/attempts.server";
import { completeLesson, enrol } from "../../app/server/learning/progress.server";
import { openLesson } from "../../app/server/learning/reading.server";
import { answerAll } from "../support/quiz-answers";
import { installChainAnchor, newKeyLine, parseKeyring } from "../../app/server/chain/anchor.server";
import { national, sweepBench, trainerCohort } from "./scale";

const root = path.resolve(import.meta.dirname, "../..");
const SERVER = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
const DURATION = Number(process.env.BENCH_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const TRAINEES = Number(process.env.BENCH_TRAINEES ?? 30);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** People in the trainer's assignment, and obligations in the reminder sweep. */
const COHORT = Number(process.env.BENCH_COHORT ?? 5000);
const SWEEP = Number(process.env.BENCH_SWEEP ?? 100_000);

// CPU time (ms) used so far by a process, and by every Postgres server process, from /proc: where
// each request's cost goes on a machine the server, the database and the load generator share.
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
  // The server and this process (which prepares the submissions) seal the chains with one key.
  const chainKeys = newKeyLine();
  const checkpoints = fs.mkdtempSync(path.join(os.tmpdir(), "mamoru-bench-checkpoints-"));
  installChainAnchor({ keyring: parseKeyring(chainKeys), checkpointDir: null });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // BENCH_PROFILE=dir writes a CPU profile of the server there, to see where the time goes.
  const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...profile, path.join(root, "scripts/start.mjs")], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl(name),
      PORT: String(port),
      HOST: "127.0.0.1",
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
      PUBLIC_URL: base,
      CHAIN_KEYS: chainKeys,
      CHAIN_CHECKPOINT_DIR: checkpoints,
      // The reminder sweep is measured on its own below; a worker in the server would run it too.
      WORKERS: "false",
    },
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

    const handle = await connect({ databaseUrl: databaseUrl(name), poolSize: 4 });
    const db = handle.db;
    const agency = await makeAgency(db, "Bench Police");
    const versions = await db
      .selectFrom("modules as m")
      .innerJoin("module_versions as v", (j) =>
        j.onRef("v.module_slug", "=", "m.slug").onRef("v.version", "=", "m.latest_version"),
      )
      .select(["v.id", "v.module_slug"])
      .execute();
    const lessons = await db.selectFrom("lessons").select(["module_version_id", "lesson_id"]).execute();
    // Each trainee gets, in every module, a final attempt answered and ready to submit: every
    // submission measured below is a first one, graded and recorded.
    console.log(`Preparing ${TRAINEES} trainees × ${versions.length} modules of answered final attempts…`);
    const users = await Promise.all(
      Array.from({ length: TRAINEES }, () => makeUser(db, { agencyId: agency.id, roles: ["trainee"] })),
    );
    const submissions: { attemptId: string; userIndex: number }[] = [];
    for (const [userIndex, user] of users.entries()) {
      await enrol(db, user.id, "police");
      for (const v of versions) {
        const pretest = await startAttempt(db, { userId: user.id, moduleVersionId: v.id, stage: "pretest" });
        await answerAll(db, user.id, pretest, false);
        await submitAttempt(db, user.id, pretest);
        // Each lesson served an hour ago (the injectable clock), so its minimum reading time has passed.
        const servedAt = new Date(Date.now() - 3_600_000);
        for (const l of lessons.filter((x) => x.module_version_id === v.id)) {
          await openLesson(db, {
            userId: user.id,
            moduleVersionId: v.id,
            lessonId: l.lesson_id,
            locale: "en",
            now: servedAt,
          });
          await completeLesson(db, user.id, v.id, l.lesson_id);
        }
        const final = await startAttempt(db, { userId: user.id, moduleVersionId: v.id, stage: "final" });
        await answerAll(db, user.id, final, true);
        submissions.push({ attemptId: final, userIndex });
      }
    }
    const { trainer, assignmentId: cohortAssignment } = await trainerCohort(db, agency.id, COHORT);
    await handle.close();

    const cookies: string[] = [];
    for (const user of users) {
      const res = await fetch(`${base}/sign-in`, {
        method: "POST",
        redirect: "manual",
        headers: { origin: base, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ email: user.email, password: PASSWORD }),
      });
      cookies.push(res.headers.getSetCookie()[0]!.split(";")[0]!);
    }
    const cookie = cookies[0]!;
    const trainerCookie = (
      await fetch(`${base}/sign-in`, {
        method: "POST",
        redirect: "manual",
        headers: { origin: base, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ email: trainer.email, password: PASSWORD }),
      })
    ).headers
      .getSetCookie()[0]!
      .split(";")[0]!;
    const cohortPath = `/training/assignments/${cohortAssignment}`;
    const cohortPage = await fetch(base + cohortPath, { headers: { cookie: trainerCookie, "accept-language": "en" } });
    if (cohortPage.status !== 200) throw new Error(`the trainer's assignment page answered ${cohortPage.status}`);
    const home = await fetch(`${base}/`, { headers: { cookie } });
    if (home.status !== 200 || !(await home.text()).includes("Welcome"))
      throw new Error("signed-in home page did not render");
    const lessonPath = `/learn/victim-not-offender/lessons/${lessons.find((l) => l.module_version_id === versions.find((v) => v.module_slug === "victim-not-offender")!.id)!.lesson_id}?continue=1`;
    const lesson = await fetch(base + lessonPath, { headers: { cookie } });
    if (lesson.status !== 200) throw new Error(`lesson page answered ${lesson.status}`);

    const measure = async (name: string, options: autocannon.Options, expected: number) => {
      const before = { server: cpuMs(child.pid!), db: postgresCpuMs(), load: process.cpuUsage() };
      const r = await autocannon({ connections: CONNECTIONS, pipelining: 1, ...options });
      const load = process.cpuUsage(before.load);
      const cpu = {
        server: (cpuMs(child.pid!) - before.server) / r.requests.total,
        db: (postgresCpuMs() - before.db) / r.requests.total,
        load: (load.user + load.system) / 1000 / r.requests.total,
      };
      const statuses = Object.keys(r.statusCodeStats ?? {});
      if (r.errors > 0 || statuses.some((s) => Number(s) !== expected))
        throw new Error(`${name}: statuses ${statuses.join(",")}, ${r.errors} errors`);
      // Completed requests over the run's whole duration (not the mean of one-second buckets,
      // which a short fixed-amount run would skew).
      // A fixed number of requests ends within a second or two, too short for autocannon's
      // whole-second clock: there, throughput follows from the closed loop (Little's law), the
      // connections kept busy divided by the mean latency.
      const busy = Math.min(options.connections ?? CONNECTIONS, options.amount ?? Infinity);
      const rps = options.amount ? busy / (r.latency.mean / 1000) : r.requests.total / r.duration;
      return { name, rps, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, cpu };
    };
    // The machine's speed drifts (other work, CPU boost): every target is measured in several
    // short rounds, interleaved, and each ratio is taken within a round, against the sign-in page
    // measured just before it. The report gives the median ratio and every round's figures.
    const roundSeconds = Math.max(2, Math.round(DURATION / ROUNDS));
    const perRound = Math.floor(submissions.length / ROUNDS);
    let next = 0;
    const submit = (amount: number) =>
      measure(
        "quiz submission (grade + records)",
        {
          url: base,
          amount,
          connections: Math.min(CONNECTIONS, amount),
          requests: [
            {
              method: "POST",
              setupRequest: (req: autocannon.Request) => {
                const s = submissions[next++ % submissions.length]!;
                return {
                  ...req,
                  path: `/attempts/${s.attemptId}`,
                  headers: {
                    origin: base,
                    cookie: cookies[s.userIndex]!,
                    "content-type": "application/x-www-form-urlencoded",
                  },
                  body: "intent=submit",
                };
              },
            },
          ],
        },
        302,
      );
    // Warm up first (JIT, caches, pool connections): the first seconds of a fresh process are slower.
    for (const [url, headers] of [
      [`${base}/healthz`, {}],
      [`${base}/sign-in`, {}],
      [`${base}/`, { cookie }],
      [base + lessonPath, { cookie }],
      [base + cohortPath, { cookie: trainerCookie }],
    ] as const) {
      await measure("warm-up", { url, headers, duration: 2 }, 200);
    }
    type Result = Awaited<ReturnType<typeof measure>>;
    const rounds: Result[][] = [];
    for (let round = 0; round < ROUNDS; round++) {
      rounds.push([
        await measure("healthz (server floor)", { url: `${base}/healthz`, duration: roundSeconds }, 200),
        await measure(
          "sign-in page (render, no DB)",
          { url: `${base}/sign-in`, headers: { "accept-language": "en" }, duration: roundSeconds },
          200,
        ),
        await measure(
          "trainee home (session + queries)",
          { url: `${base}/`, headers: { cookie, "accept-language": "en" }, duration: roundSeconds },
          200,
        ),
        await measure(
          "lesson page (session + lesson)",
          { url: base + lessonPath, headers: { cookie, "accept-language": "en" }, duration: roundSeconds },
          200,
        ),
        await submit(round === ROUNDS - 1 ? submissions.length - perRound * (ROUNDS - 1) : perRound),
        await measure(
          `trainer: assignment of ${COHORT}, page 1`,
          {
            url: base + cohortPath,
            headers: { cookie: trainerCookie, "accept-language": "en" },
            duration: roundSeconds,
          },
          200,
        ),
      ]);
    }
    const check = await connect({ databaseUrl: databaseUrl(name), poolSize: 1 });
    const recorded = await check.db
      .selectFrom("completion_records")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("kind", "=", "module")
      .executeTakeFirstOrThrow();
    await check.close();
    if (Number(recorded.n) !== submissions.length)
      throw new Error(`expected ${submissions.length} module completions, found ${recorded.n}`);

    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    console.log(
      `\nMamoru benchmark — ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, Postgres server`,
    );
    console.log(
      `${CONNECTIONS} connections, no pipelining; ${ROUNDS} interleaved rounds of ${roundSeconds}s per page; ${submissions.length} distinct submissions, each recorded once\n`,
    );
    const ms = (v: number) => v.toFixed(2).padStart(9);
    console.log(
      "target".padEnd(36) +
        rounds.map((_, i) => `round ${i + 1} req/s`.padStart(16)).join("") +
        "p50 ms".padStart(9) +
        "p99 ms".padStart(9) +
        "  CPU ms per request: server  database  load",
    );
    for (let t = 0; t < rounds[0]!.length; t++) {
      const row = rounds.map((r) => r[t]!);
      const cpu = (k: "server" | "db" | "load") => ms(median(row.map((r) => r.cpu[k])));
      console.log(
        row[0]!.name.padEnd(36) +
          row.map((r) => r.rps.toFixed(0).padStart(16)).join("") +
          String(median(row.map((r) => r.p50))).padStart(9) +
          String(median(row.map((r) => r.p99))).padStart(9) +
          " ".repeat(19) +
          cpu("server") +
          cpu("db") +
          cpu("load"),
      );
    }
    const report = (label: string, target: number, goal: number | null, base = 1) => {
      const values = rounds.map((r) => r[target]!.rps / r[base]!.rps);
      const m = median(values);
      const verdict = goal === null ? "" : `  (target ≥ ${goal * 100}%: ${m >= goal ? "met" : "NOT met"})`;
      console.log(`${label.padEnd(32)}${pct(m).padStart(7)}   rounds: ${values.map(pct).join(", ")}${verdict}`);
    };
    console.log("\nmedian ratio");
    report("sign-in page / healthz", 1, null, 0);
    report("trainee home / sign-in page", 2, 0.6);
    report("lesson page / sign-in page", 3, 0.6);
    report("quiz submission / sign-in page", 4, 0.35);
    report(`trainer's ${COHORT} / sign-in page`, 5, 0.6);

    // The reminder sweep: SWEEP obligations due, two workers at once, each notice and mail once.
    console.log(`\nReminder sweep: ${SWEEP} due obligations (half due tomorrow, half overdue), two workers at once…`);
    const sweep = await sweepBench(databaseUrl(name), SWEEP);
    console.log(
      `  ${sweep.written} notifications and ${sweep.mails} mails, each once, in ${sweep.seconds.toFixed(1)} s: ` +
        `${sweep.perSecond.toFixed(0)} notifications+mails written per second`,
    );

    await national(process.env.BENCH_NATIONAL_URL || databaseUrl("mamoru_national"), ROUNDS);
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.on("exit", r));
    await admin(`drop database if exists ${name} with (force)`);
    fs.rmSync(checkpoints, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

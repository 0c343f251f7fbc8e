// The bench's measurements at size (`npm run bench`, see run.ts): a trainer's assignment of 5,000
// people, the reminder sweep over 100,000 due obligations, and — when a national data set made by
// `npm run db:generate` is present — the reviewer's pages against hand-written SQL for the same rows,
// and CSV exports of 100k and 1M rows with the server's memory.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { sql, type Kysely } from "kysely";
import pg from "pg";
import { assign } from "../../app/server/assignments/assign.server";
import { sweepReminders } from "../../app/server/assignments/reminders.server";
import { scopeFor } from "../../app/server/auth/scope.server";
import { createMailer } from "../../app/server/mail/mailer.server";
import { auditPage } from "../../app/server/review/audit-log.server";
import { DEFAULT_WINDOW_DAYS, matrixPage } from "../../app/server/review/matrix.server";
import { personForReview, personRecordRows } from "../../app/server/review/person.server";
import { recordsPage } from "../../app/server/review/records.server";
import { addDays, tokyoDate } from "../../app/server/shared/days.server";
import { createLogger } from "../../app/server/shared/log.server";
import { connect } from "../../db/connect.server";
import type { Database } from "../../db/schema";
import { GENERATED_DOMAIN, GENERATED_PASSWORD } from "../../scripts/generate";
import { makeUser, secondFactorRequiredFor } from "../support/fixtures";
import { handMatrix } from "./matrix-sql";
import { freePort } from "../support/run";

const root = path.resolve(import.meta.dirname, "../..");

/** People made in bulk (no password: they never sign in), in one agency and one group. */
export async function bulkPeople(
  db: Kysely<Database>,
  input: { agencyId: string; groupId: string; count: number; label: string },
) {
  await sql`
    with made as (
      insert into users (email, display_name, profession, locale, agency_id)
      select ${input.label} || '-' || n || '@bench.example',
        (array['佐藤','鈴木','高橋','田中','Carter','Wilson','Brown','伊藤'])[1 + n % 8] || ' ' || lpad(n::text, 6, '0'),
        'police', case when n % 3 = 0 then 'en' else 'ja' end, ${input.agencyId}::uuid
      from generate_series(1, ${input.count}::int) n
      returning id)
    insert into group_members (group_id, user_id) select ${input.groupId}::uuid, id from made
  `.execute(db);
  await sql`insert into user_roles (user_id, role) select user_id, 'trainee' from group_members where group_id = ${input.groupId}::uuid`.execute(
    db,
  );
}

/**
 * A third of the group's people have read some lessons of the module (in progress), the rest have
 * not started: the page computes every person's state, as it would for a real cohort.
 */
/**
 * A trainer's cohort: `count` people in one group, given a module with a due date through the
 * product's assign(), a third of them part-way through its lessons. The benches sign in with
 * passwords to time the pages, so no role needs a second factor.
 */
export async function trainerCohort(db: Kysely<Database>, agencyId: string, count: number) {
  const cohort = await db
    .insertInto("groups")
    .values({ agency_id: agencyId, name: "Bench cohort", kind: "cohort" })
    .returning("id")
    .executeTakeFirstOrThrow();
  await bulkPeople(db, { agencyId, groupId: cohort.id, count, label: "cohort" });
  const trainer = await makeUser(db, { agencyId, roles: ["trainer"] });
  await db.insertInto("group_trainers").values({ group_id: cohort.id, user_id: trainer.id }).execute();
  const assignmentId = await assign(
    db,
    { id: trainer.id, agencyId, roles: ["trainer"], trainerOf: [cohort.id] },
    { agencyId, moduleSlug: "victim-not-offender", audience: "group", groupId: cohort.id, due: { days: 30 } },
  );
  await someProgress(db, cohort.id, "victim-not-offender");
  await secondFactorRequiredFor(db, []);
  await sql`analyze`.execute(db);
  return { trainer, assignmentId };
}

export async function someProgress(db: Kysely<Database>, groupId: string, moduleSlug: string) {
  await sql`
    insert into lesson_progress (user_id, module_version_id, lesson_id, completed_at)
    select m.user_id, l.module_version_id, l.lesson_id, now() - interval '2 days'
    from (select user_id, row_number() over (order by user_id) as n from group_members where group_id = ${groupId}::uuid) m
    join modules mo on mo.slug = ${moduleSlug}
    join module_versions v on v.module_slug = mo.slug and v.version = mo.latest_version
    join lessons l on l.module_version_id = v.id and l.position <= 3
    where m.n % 3 = 0
  `.execute(db);
}

/** The reminder sweep over `count` due obligations: half due tomorrow, half overdue; two workers at once. */
export async function sweepBench(databaseUrl: string, count: number) {
  const make = () => connect({ databaseUrl, poolSize: 2 });
  const setup = await make();
  const db = setup.db;
  const mailer = createMailer(db, createLogger("silent"), { smtpUrl: undefined, from: "bench" });
  const now = new Date();
  const today = tokyoDate(now);
  // Whatever else is due in the bench database is written first, so the measured run holds only these.
  await sweepReminders(db, mailer, { now, publicUrl: "http://bench.example" });
  const agency = await db
    .insertInto("agencies")
    .values({ name: "Sweep Bench", kind: "police" })
    .returning("id")
    .executeTakeFirstOrThrow();
  const trainer = await db
    .insertInto("users")
    .values({
      email: "sweep-trainer@bench.example",
      display_name: "Sweep Trainer",
      profession: "police",
      agency_id: agency.id,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const groups: string[] = [];
  for (const [name, due] of [
    ["Due tomorrow", addDays(today, 1)],
    ["Overdue", addDays(today, -3)],
  ] as const) {
    const group = await db
      .insertInto("groups")
      .values({ agency_id: agency.id, name, kind: "unit" })
      .returning("id")
      .executeTakeFirstOrThrow();
    groups.push(group.id);
    await bulkPeople(db, { agencyId: agency.id, groupId: group.id, count: count / 2, label: `sweep-${groups.length}` });
    await db.insertInto("group_trainers").values({ group_id: group.id, user_id: trainer.id }).execute();
    const a = await db
      .insertInto("assignments")
      .values({
        agency_id: agency.id,
        module_slug: "victim-not-offender",
        audience: "group",
        group_id: group.id,
        due_on: due,
        assigned_by: trainer.id,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    // Assigned a month ago: no 'assigned' notice is due any more, only the reminder or the overdue notice.
    await sql`insert into assignees (assignment_id, user_id, since)
      select ${a.id}::uuid, user_id, now() - interval '30 days' from group_members where group_id = ${group.id}::uuid`.execute(
      db,
    );
  }
  await sql`analyze`.execute(db);
  const before = await tally(db);
  // Two workers, as two app instances would run them, each on its own connections.
  const workers = await Promise.all([make(), make()]);
  const started = performance.now();
  await Promise.all(
    workers.map((w) =>
      sweepReminders(w.db, createMailer(w.db, createLogger("silent"), { smtpUrl: undefined, from: "bench" }), {
        now,
        publicUrl: "http://bench.example",
      }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const after = await tally(db);
  for (const w of workers) await w.close();
  await setup.close();
  // Each obligation once (due_soon or overdue) and one digest for the trainer of the overdue group.
  const expected = count + 1;
  const written = after.notifications - before.notifications;
  const mails = after.mails - before.mails;
  if (written !== expected || mails !== expected || after.unmailed !== 0)
    throw new Error(
      `sweep: expected ${expected} notifications and mails, found ${written} and ${mails} (${after.unmailed} without mail)`,
    );
  return { count, written, mails, seconds, perSecond: (written + mails) / seconds };
}

async function tally(db: Kysely<Database>) {
  const r = await sql<{ notifications: number; mails: number; unmailed: number }>`select
    (select count(*)::int from notifications) as notifications, (select count(*)::int from mail_outbox) as mails,
    (select count(*)::int from notifications where mail_id is null) as unmailed`.execute(db);
  return r.rows[0]!;
}

// ---------------------------------------------------------------------------------------------
// National scale.

export interface NationalServer {
  base: string;
  child: ChildProcess;
  cookie(email: string): Promise<string>;
  stop(): Promise<void>;
}

/** Whether the database holds a generated national data set (made by `npm run db:generate`). */
export async function nationalPresent(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url });
  try {
    await c.connect();
    const r = await c.query<{ n: number }>("select count(*)::int as n from users where email like $1", [
      `%.${GENERATED_DOMAIN}`,
    ]);
    return r.rows[0]!.n >= 10_000;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

export async function startNationalServer(databaseUrl: string): Promise<NationalServer> {
  // The generated people have no second factor; the bench signs in with passwords to time pages.
  const settings = new pg.Client({ connectionString: databaseUrl });
  await settings.connect();
  // Nor usage limits left from an earlier run: the export runs would meet the hourly export limit.
  await settings
    .query("delete from mfa_required_roles")
    .then(() => settings.query("delete from throttles"))
    .finally(() => settings.end());
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // BENCH_SERVER_FLAGS: V8 or Node flags for the server alone (`--trace-gc`, `--max-semi-space-size=4`),
  // to see where its memory goes.
  const flags = (process.env.BENCH_SERVER_FLAGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...flags, path.join(root, "scripts/start.mjs")], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: "127.0.0.1",
      NODE_ENV: "production",
      LOG_LEVEL: "warn",
      PUBLIC_URL: base,
      WORKERS: "false",
    },
    stdio: ["ignore", flags.length ? "inherit" : "ignore", "inherit"],
  });
  for (let i = 0; ; i++) {
    if ((await fetch(`${base}/readyz`).catch(() => null))?.ok) break;
    if (child.exitCode !== null || i > 600) throw new Error("the server on the national data did not start");
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    base,
    child,
    async cookie(email) {
      const res = await fetch(`${base}/sign-in`, {
        method: "POST",
        redirect: "manual",
        headers: { origin: base, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ email, password: GENERATED_PASSWORD }),
      });
      const cookie = res.headers.getSetCookie()[0]?.split(";")[0];
      if (!cookie) throw new Error(`could not sign in as ${email}`);
      return cookie;
    },
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.on("exit", r));
    },
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** Mean milliseconds of `n` sequential runs of `fn`. */
async function timed(n: number, fn: () => Promise<unknown>) {
  const t = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return (performance.now() - t) / n;
}

/**
 * What the reviewer's pages are measured on: the person of the agency with the most records (the
 * longest person page) and the agency's largest group (the most people one group's matrix shows).
 */
export async function reviewSubjects(db: Kysely<Database>, agencyId: string) {
  const person = await db
    .selectFrom("completion_records as r")
    .innerJoin("users as u", "u.id", "r.user_id")
    .select("r.user_id")
    .where("u.agency_id", "=", agencyId)
    .groupBy("r.user_id")
    .orderBy((eb) => eb.fn.countAll(), "desc")
    .orderBy("r.user_id")
    .limit(1)
    .executeTakeFirstOrThrow();
  const group = await db
    .selectFrom("group_members as m")
    .innerJoin("groups as g", "g.id", "m.group_id")
    .select("m.group_id")
    .where("g.agency_id", "=", agencyId)
    .groupBy("m.group_id")
    .orderBy((eb) => eb.fn.countAll(), "desc")
    .orderBy("m.group_id")
    .limit(1)
    .executeTakeFirstOrThrow();
  return { person: person.user_id, group: group.group_id };
}

export interface PageComparison {
  name: string;
  pageMs: number;
  appMs: number;
  sqlMs: number;
}

/**
 * Each reviewer page three ways, interleaved in rounds: the page over HTTP (session, statements,
 * rendering), the app's own statements for it called in-process, and the best hand-written SQL for
 * the same rows; all on one connection, one after another, so that each is a latency.
 */
export async function comparePages(server: NationalServer, databaseUrl: string, rounds: number, perRound: number) {
  const handle = await connect({ databaseUrl, poolSize: 1 });
  const db = handle.db;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query("set jit = off"); // as the app's connections
  try {
    const reviewer = await db
      .selectFrom("users")
      .select(["id", "agency_id"])
      .where("email", "=", `reviewer@a01.${GENERATED_DOMAIN}`)
      .executeTakeFirstOrThrow();
    const cookie = await server.cookie(`reviewer@a01.${GENERATED_DOMAIN}`);
    const actor = { id: reviewer.id, agencyId: reviewer.agency_id, roles: ["reviewer", "trainee"] as const };
    const scope = scopeFor({ ...actor, roles: [...actor.roles] }, "records.view");
    const auditScope = { kind: "agency" as const, agencyId: reviewer.agency_id };
    const { person, group } = await reviewSubjects(db, reviewer.agency_id);
    const matrix = (groupId: string | null) => {
      const now = new Date();
      return handMatrix({
        agencyId: reviewer.agency_id,
        groupId,
        today: tokyoDate(now),
        now,
        windowDays: DEFAULT_WINDOW_DAYS,
      }).execute(db);
    };
    const get = async (p: string) => {
      const res = await fetch(server.base + p, { headers: { cookie, "accept-language": "en" } });
      if (res.status !== 200) throw new Error(`${p} answered ${res.status}`);
      await res.arrayBuffer();
    };
    // Prepared, as the app's statements are (db/connect.server.ts): planned once, not per call.
    const prepared = (name: string, text: string, values: unknown[]) => client.query({ name, text, values });
    const handSql = {
      records: () =>
        prepared(
          "hand-records",
          `select r.seq, r.id, r.kind, r.user_id, u.display_name, u.email, a.name as agency_name, mv.module_slug,
             mv.version, mv.title, r.course_slug, c.title, r.score, r.pretest_score, r.started_at, r.completed_at,
             r.expires_at, r.certificate_code
           from completion_records r join users u on u.id = r.user_id join agencies a on a.id = u.agency_id
           left join module_versions mv on mv.id = r.module_version_id left join courses c on c.slug = r.course_slug
           where u.agency_id = $1 order by r.seq desc limit 51`,
          [reviewer.agency_id],
        ),
      person: async () => {
        await prepared(
          "hand-person",
          `select u.id, u.display_name, u.email, u.profession, u.agency_id, u.disabled_at, a.name,
             (select json_agg(json_build_object('id', g.id, 'name', g.name) order by g.name)
              from group_members m join groups g on g.id = m.group_id where m.user_id = u.id)
           from users u join agencies a on a.id = u.agency_id where u.id = $1`,
          [person],
        );
        // The chain neighbours by the primary key, as the page needs them.
        await prepared(
          "hand-person-records",
          `select r.*, mv.module_slug, mv.version, mv.title, c.title,
             (select p.hash from completion_records p where p.seq < r.seq order by p.seq desc limit 1) as before_hash,
             (select n.prev_hash from completion_records n where n.seq > r.seq order by n.seq limit 1) as next_link
           from completion_records r left join module_versions mv on mv.id = r.module_version_id
           left join courses c on c.slug = r.course_slug where r.user_id = $1 order by r.seq desc`,
          [person],
        );
      },
      // The page first, then its people: joined over the whole agency's events, the planner sized
      // its look-up caches for 125,000 rows, and the statement took 10 ms for 51.
      audit: () =>
        prepared(
          "hand-audit",
          `select e.id, e.at, e.action, e.subject_type, e.subject_id, e.details, e.actor_id, actor.display_name,
             actor.email, subject.display_name, ag.name
           from (select * from audit_events e where e.agency_id = $1 order by e.at desc, e.id desc limit 51) e
           left join users actor on actor.id = e.actor_id
           left join users subject on e.subject_type = 'user' and subject.id::text = e.subject_id
           left join agencies ag on ag.id = e.agency_id
           order by e.at desc, e.id desc`,
          [reviewer.agency_id],
        ),
    };
    const targets = [
      {
        name: "training matrix (reviewer, page 1)",
        page: () => get("/agency/matrix"),
        app: () => matrixPage(db, scope, {}),
        sql: () => matrix(null),
      },
      {
        name: "training matrix, one group",
        page: () => get(`/agency/matrix?group=${group}`),
        app: () => matrixPage(db, scope, { group }),
        sql: () => matrix(group),
      },
      {
        name: "records list (reviewer, page 1)",
        page: () => get("/agency/records"),
        app: () => recordsPage(db, scope, {}),
        sql: handSql.records,
      },
      {
        name: "a person's records",
        page: () => get(`/agency/people/${person}`),
        // What the page reads: the person and their records. Checking each record's hash (the
        // page's own work, not a read) and the "records viewed" audit event written after the
        // response are in the page's time, not here.
        app: async () => {
          await personForReview(db, person);
          await personRecordRows(db, person);
        },
        sql: handSql.person,
      },
      {
        name: "audit log (reviewer, page 1)",
        page: () => get("/agency/audit"),
        app: () => auditPage(db, auditScope, {}),
        sql: handSql.audit,
      },
    ];
    // Warm up: plans, caches, the server's JIT.
    for (const t of targets) for (let i = 0; i < 5; i++) await Promise.all([t.page(), t.app(), t.sql()]);
    const results: PageComparison[] = [];
    for (const t of targets) {
      const page: number[] = [];
      const app: number[] = [];
      const hand: number[] = [];
      for (let r = 0; r < rounds; r++) {
        page.push(await timed(perRound, t.page));
        app.push(await timed(perRound, t.app));
        hand.push(await timed(perRound, t.sql));
      }
      results.push({ name: t.name, pageMs: median(page), appMs: median(app), sqlMs: median(hand) });
    }
    return results;
  } finally {
    await client.end();
    await handle.close();
  }
}

/** Resident memory of a process in bytes (VmRSS). */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Downloads an export, counting its lines, while sampling the server's memory. */
export async function measureExport(
  server: NationalServer,
  cookie: string,
  query: string,
  encoding: "gzip" | "identity" = "gzip",
) {
  const pid = server.child.pid!;
  global.gc?.();
  const idle = rss(pid);
  let peak = idle;
  const sampler = setInterval(() => (peak = Math.max(peak, rss(pid))), 50);
  const started = performance.now();
  // fetch asks for gzip (as a browser does) unless told otherwise; identity: no compression at all.
  const res = await fetch(`${server.base}/agency/audit/export${query}`, {
    headers: { cookie, "accept-language": "en", ...(encoding === "identity" ? { "accept-encoding": "identity" } : {}) },
  });
  if (res.status !== 200 || !res.body) throw new Error(`export answered ${res.status}`);
  let lines = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, rss(pid));
  const rows = lines - 1; // the header
  return { rows, seconds, rowsPerSecond: rows / seconds, growthMb: (peak - idle) / 2 ** 20, idleMb: idle / 2 ** 20 };
}

/** A date filter (Japan days) that selects about `rows` of the newest audit events, and how many it selects. */
export async function auditRangeFor(databaseUrl: string, rows: number) {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const r = await c.query<{ day: string; total: number }>(
      `select day::text, total::int from (
         select day, sum(n) over (order by day desc) as total from (
           select (at at time zone 'Asia/Tokyo')::date as day, count(*) as n from audit_events group by 1) d) s
       where total >= $1 order by day desc limit 1`,
      [rows],
    );
    const all = await c.query<{ n: number }>("select count(*)::int as n from audit_events");
    return { from: r.rows[0]?.day, expected: r.rows[0]?.total ?? all.rows[0]!.n, all: all.rows[0]!.n };
  } finally {
    await c.end();
  }
}

/**
 * The audit trail's CSV export, ~100k rows then all of them, compressed (gzip, as a browser asks)
 * and not (identity), after a small unreported warm-up (the first export of a process also pays for
 * what stays: code compiled, the heap at its working size).
 */
export async function exportMemoryRuns(
  server: Awaited<ReturnType<typeof startNationalServer>>,
  url: string,
  indent = "",
) {
  const admin = await server.cookie("admin@national.example");
  const range = await auditRangeFor(url, 100_000);
  const warm = await auditRangeFor(url, 10_000).then((w) => (w.from ? w : undefined));
  for (const [label, query, encoding] of [
    ...(warm ? [[`warm-up, ~${warm.expected} rows`, `?from=${warm.from}`, "gzip"] as const] : []),
    [`audit CSV (gzip), ~${range.expected} rows`, range.from ? `?from=${range.from}` : "", "gzip"],
    [`audit CSV (gzip), all ${range.all} rows`, "", "gzip"],
    [`audit CSV (identity), ~${range.expected} rows`, range.from ? `?from=${range.from}` : "", "identity"],
    [`audit CSV (identity), all ${range.all} rows`, "", "identity"],
  ] as const) {
    const e = await measureExport(server, admin, query, encoding);
    console.log(
      `${indent}${label}: ${e.rows} rows in ${e.seconds.toFixed(1)} s, ${e.rowsPerSecond.toFixed(0)} rows/s; ` +
        `server RSS ${e.idleMb.toFixed(0)} MB before, peak growth ${e.growthMb.toFixed(1)} MB`,
    );
  }
}

// The bench's national-scale part, on the data set `npm run db:generate` made at `url`: the reviewer's
// pages against hand-written SQL, and the CSV export's memory. Skipped with a note when it is not there.
export async function national(url: string, rounds: number) {
  console.log(`\nNational scale (${new URL(url).pathname.slice(1)}):`);
  if (!(await nationalPresent(url))) {
    console.log(
      "  skipped: no generated data set there. Make one with `DATABASE_URL=… npm run db:generate -- --trainees 100000`\n" +
        "  and point BENCH_NATIONAL_URL at it.",
    );
    return;
  }
  const server = await startNationalServer(url);
  try {
    const pages = await comparePages(server, url, rounds, 20);
    console.log(
      "  page (one connection, one after another)".padEnd(44) +
        "page ms".padStart(9) +
        "app's SQL ms".padStart(14) +
        "hand SQL ms".padStart(13) +
        "app/hand".padStart(10) +
        "page/hand".padStart(11),
    );
    for (const p of pages) {
      const ratio = p.appMs / p.sqlMs;
      console.log(
        `  ${p.name}`.padEnd(44) +
          p.pageMs.toFixed(2).padStart(9) +
          p.appMs.toFixed(2).padStart(14) +
          p.sqlMs.toFixed(2).padStart(13) +
          `${ratio.toFixed(2)}×`.padStart(10) +
          `${(p.pageMs / p.sqlMs).toFixed(2)}×`.padStart(11) +
          `  (target app/hand ≤ 2×: ${ratio <= 2 ? "met" : "NOT met"})`,
      );
    }
    await exportMemoryRuns(server, url, "  ");
  } finally {
    await server.stop();
  }
}

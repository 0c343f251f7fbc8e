// `npx tsx tests/bench/cohort-explain.ts`: the plan and in-process time of the trainer's view of one
// assignment of BENCH_COHORT people (default 5,000; the bench's cohort: a third part-way through),
// page 1, a state filter and a group filter, on a database of its own on the Postgres server.
import path from "node:path";
import { Kysely, PostgresDialect, sql, type CompiledQuery } from "kysely";
import pg from "pg";
import { assign } from "../../app/server/assignments/assign.server";
import { assignmentPage, type PeopleFilter } from "../../app/server/assignments/views.server";
import type { Actor } from "../../app/server/auth/policy.server";
import { installChainAnchor, newKeyLine, parseKeyring } from "../../app/server/chain/anchor.server";
import { syncContentFrom } from "../../app/server/catalog/content-sync.server";
import { createLogger } from "../../app/server/shared/log.server";
import { connect } from "../../db/connect.server";
import { prepareDatabase } from "../../db/roles.server";
import type { Database } from "../../db/schema";
import { makeAgency, makeUser } from "../support/fixtures";
import { bulkPeople, someProgress } from "./scale";

const SERVER = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
const COHORT = Number(process.env.BENCH_COHORT ?? 5000);

async function admin(text: string) {
  const c = new pg.Client({ connectionString: SERVER });
  await c.connect();
  await c.query(text).finally(() => c.end());
}

installChainAnchor({ keyring: parseKeyring(newKeyLine()), checkpointDir: null });
const name = `mamoru_cohort_${process.pid}`;
const url = Object.assign(new URL(SERVER), { pathname: `/${name}` }).toString();
await admin(`create database ${name}`);
try {
  const handle = await connect({ databaseUrl: url, poolSize: 2 });
  await prepareDatabase(handle.db, undefined);
  await syncContentFrom(handle.db, path.resolve(import.meta.dirname, "../../modules"), createLogger("silent"));
  const agency = await makeAgency(handle.db, "Bench Police");
  const cohort = await handle.db
    .insertInto("groups")
    .values({ agency_id: agency.id, name: "Bench cohort", kind: "cohort" })
    .returning("id")
    .executeTakeFirstOrThrow();
  await bulkPeople(handle.db, { agencyId: agency.id, groupId: cohort.id, count: COHORT, label: "cohort" });
  const trainer = await makeUser(handle.db, { agencyId: agency.id, roles: ["trainer"] });
  await handle.db.insertInto("group_trainers").values({ group_id: cohort.id, user_id: trainer.id }).execute();
  const actor: Actor = { id: trainer.id, agencyId: agency.id, roles: ["trainer"], trainerOf: [cohort.id] };
  const assignmentId = await assign(handle.db, actor, {
    agencyId: agency.id,
    moduleSlug: "victim-not-offender",
    audience: "group",
    groupId: cohort.id,
    due: { days: 30 },
  });
  await someProgress(handle.db, cohort.id, "victim-not-offender");
  await sql`analyze`.execute(handle.db);
  await handle.close();

  const pool = new pg.Pool({ connectionString: url, max: 1 });
  let captured: CompiledQuery[] = [];
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (e) => void (e.level === "query" && captured.push(e.query)),
  });
  const cases: [string, PeopleFilter][] = [
    ["page 1", {}],
    ["page 1, in progress (a third)", { state: "in_progress" }],
    ["page 1, completed (nobody: skipped by the record index)", { state: "completed" }],
    ["page 1, the cohort's group", { groupId: cohort.id }],
  ];
  for (const [label, filter] of cases) {
    for (let i = 0; i < 5; i++) await assignmentPage(db, actor, assignmentId, filter);
    const t = performance.now();
    for (let i = 0; i < 20; i++) await assignmentPage(db, actor, assignmentId, filter);
    const ms = (performance.now() - t) / 20;
    captured = [];
    await assignmentPage(db, actor, assignmentId, filter);
    console.log(`### ${label}: ${ms.toFixed(2)} ms in-process (${COHORT} people)\n`);
    if (process.env.SHOW_SQL) console.log("```sql\n" + captured[0]!.sql + "\n```\n");
    const plan = await pool.query(`explain (analyze, costs off, summary) ${captured[0]!.sql}`, [
      ...captured[0]!.parameters,
    ]);
    console.log("```");
    for (const row of plan.rows as { "QUERY PLAN": string }[]) console.log(row["QUERY PLAN"]);
    console.log("```\n");
  }
  await db.destroy();
} finally {
  await admin(`drop database if exists ${name} with (force)`);
}

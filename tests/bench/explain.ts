// `npx tsx tests/bench/explain.ts`: the plan of every statement behind the pages measured at national
// scale, as the app sends it (captured from the app's own functions, then run again under EXPLAIN
// ANALYZE with the same parameters). On the generated data set (BENCH_NATIONAL_URL, by default the
// server's mamoru_national); docs/performance.md shows its output.
import { Kysely, PostgresDialect, type CompiledQuery } from "kysely";
import pg from "pg";
import { assignmentPage } from "../../app/server/assignments/views.server";
import { scopeFor } from "../../app/server/auth/scope.server";
import { auditPage } from "../../app/server/review/audit-log.server";
import { matrixPage } from "../../app/server/review/matrix.server";
import { personForReview, personRecords } from "../../app/server/review/person.server";
import { recordsPage } from "../../app/server/review/records.server";
import type { Database } from "../../db/schema";
import { GENERATED_DOMAIN } from "../../scripts/generate";
import { reviewSubjects } from "./scale";

const url =
  process.env.BENCH_NATIONAL_URL ||
  Object.assign(new URL(process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres"), {
    pathname: "/mamoru_national",
  }).toString();
const pool = new pg.Pool({ connectionString: url, max: 1 });
// As the app's connections (db/connect.server.ts): no JIT compilation.
pool.on("connect", (client) => void client.query("set jit = off"));
let captured: CompiledQuery[] = [];
const db = new Kysely<Database>({
  dialect: new PostgresDialect({ pool }),
  log: (event) => {
    if (event.level === "query") captured.push(event.query);
  },
});

async function explain(title: string, run: () => Promise<unknown>) {
  captured = [];
  await run();
  for (const q of captured.filter((q) => /^\s*(select|with)\b/i.test(q.sql))) {
    const plan = await pool.query(`explain (analyze, buffers, costs off) ${q.sql}`, [...q.parameters]);
    console.log(`### ${title}\n\n\`\`\`sql\n${q.sql}\n\`\`\`\n\n\`\`\``);
    for (const row of plan.rows as { "QUERY PLAN": string }[]) console.log(row["QUERY PLAN"]);
    console.log("```\n");
  }
}

try {
  const reviewer = await db
    .selectFrom("users")
    .select(["id", "agency_id"])
    .where("email", "=", `reviewer@a01.${GENERATED_DOMAIN}`)
    .executeTakeFirstOrThrow();
  const actor = { id: reviewer.id, agencyId: reviewer.agency_id, roles: ["reviewer" as const] };
  const { person, group: largest } = await reviewSubjects(db, reviewer.agency_id);
  const group = await db
    .selectFrom("assignments as a")
    .innerJoin("group_trainers as gt", "gt.group_id", "a.group_id")
    .select(["a.id", "a.agency_id", "a.group_id", "gt.user_id"])
    .where("a.agency_id", "=", reviewer.agency_id)
    .limit(1)
    .executeTakeFirstOrThrow();

  await explain("Training matrix, a reviewer's first page", () => matrixPage(db, scopeFor(actor, "records.view"), {}));
  await explain("Training matrix, one group", () =>
    matrixPage(db, scopeFor(actor, "records.view"), { group: largest }),
  );
  await explain("Records list, a reviewer's first page", () => recordsPage(db, scopeFor(actor, "records.view"), {}));
  await explain("A person's records", async () => {
    await personForReview(db, person);
    await personRecords(db, person);
  });
  await explain("Audit log, a reviewer's first page", () =>
    auditPage(db, { kind: "agency", agencyId: reviewer.agency_id }, {}),
  );
  await explain("An assignment's people, the trainer's first page", () =>
    assignmentPage(
      db,
      { id: group.user_id, agencyId: group.agency_id, roles: ["trainer"], trainerOf: [group.group_id!] },
      group.id,
      {},
    ),
  );
} finally {
  await db.destroy();
}

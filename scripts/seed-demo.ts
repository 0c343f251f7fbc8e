// `npm run db:seed-demo`: a small agency to look around in, on the configured database (DATABASE_URL,
// else the embedded one in DATA_DIR, as `npm start`): two groups, a trainer of one of them, a
// reviewer, an admin when there is none, and 36 trainees with every kind of progress. Everything goes
// through the product's own functions — invitations, groups, assignments, the pre-test, reading
// lessons, quizzes graded and recorded on the hash chain — so the pages show what real use would.
// Running it again adds nothing: people, groups and assignments are found by e-mail and name, and a
// person's progress is only made while they have none.
import path from "node:path";
import type { Kysely } from "kysely";
import { agencyOfAudience, assign, extend } from "../app/server/assignments/assign.server";
import { createFirstAdmin, issueSetupToken } from "../app/server/auth/first-admin.server";
import { acceptInvitation, invite } from "../app/server/auth/invitations.server";
import type { Actor } from "../app/server/auth/policy.server";
import { syncContentFrom } from "../app/server/catalog/content-sync.server";
import { anchorFromConfig, installChainAnchor } from "../app/server/chain/anchor.server";
import { loadConfig, type Config } from "../app/server/config.server";
import { startAttempt, submitAttempt } from "../app/server/learning/attempts.server";
import { completeLesson, currentVersion, enrol } from "../app/server/learning/progress.server";
import { openLesson } from "../app/server/learning/reading.server";
import { createMailer, type Mailer } from "../app/server/mail/mailer.server";
import { createAgency, createGroup, setGroupMembership } from "../app/server/org/agencies.server";
import { setGroupTrainer } from "../app/server/training/group-trainers.server";
import { addDays, tokyoDate } from "../app/server/shared/days.server";
import { createLogger } from "../app/server/shared/log.server";
import { connect } from "../db/connect.server";
import { migrateToLatest } from "../db/migrate.server";
import type { Database, GroupKind, Role } from "../db/schema";
// Answers a quiz through the same calls as the quiz pages (shared with the tests and the bench).
import { answerAll } from "../tests/support/quiz-answers";

/** Demo accounts only: printed at the end, the same for every demo person. It holds no part of a
 * demo person's name or address, which the password rules refuse. */
export const DEMO_PASSWORD = "harbour-lantern-kite-4721";
const DOMAIN = "demo.mamoru.example";
const AGENCY = { name: "デモ県警察本部 (Demo Prefectural Police HQ)", kind: "police" as const };
const UNIT = { name: "少年課 少年保護係 (Juvenile Protection Unit)", kind: "unit" as GroupKind };
const COHORT = { name: "2025年度 新任研修 (New Officers 2025)", kind: "cohort" as GroupKind };
const MODULE = "victim-not-offender";
const COURSE = "police";

export type Progress = "none" | "pretest" | "reading" | "failed" | "module" | "course";

// 36 trainees: the first 20 in the trainer's unit, the rest in the cohort. Half Japanese, half
// English names; the progress cycles so that both groups show every state.
const NAMES = [
  "佐藤 美咲",
  "Emily Carter",
  "鈴木 健太",
  "James Wilson",
  "高橋 陽菜",
  "Olivia Brown",
  "田中 翔太",
  "Daniel Lee",
  "伊藤 さくら",
  "Sophie Martin",
  "渡辺 大輔",
  "Liam Walker",
  "山本 結衣",
  "Hannah Scott",
  "中村 拓海",
  "Noah Turner",
  "小林 愛",
  "Grace Hall",
  "加藤 蓮",
  "Ethan Young",
  "吉田 七海",
  "Chloe King",
  "山田 悠斗",
  "Lucas Wright",
  "佐々木 葵",
  "Mia Green",
  "山口 湊",
  "Jack Baker",
  "松本 凛",
  "Ava Adams",
  "井上 陸",
  "Isla Nelson",
  "木村 美月",
  "Henry Hill",
  "林 颯太",
  "Amelia Clark",
];
const CYCLE: Progress[] = ["none", "pretest", "reading", "module", "failed", "module", "none", "reading"];
// Two people, one in each group, hold the whole police course and its certificate.
const progressOf = (i: number): Progress => (i === 8 || i === 26 ? "course" : CYCLE[i % CYCLE.length]!);

export interface DemoSummary {
  agencyName: string;
  trainees: { email: string; name: string; progress: Progress }[];
  /** People whose progress was made by this run (none when run again). */
  progressMade: number;
  trainer: string;
  reviewer: string;
  admin: { email: string; created: boolean };
}

let db: Kysely<Database>;
let config: Config;
let mailer: Mailer;

/** Creates (or finds) the demo agency and its people on an open database; migrated and synced by the caller. */
export async function seedDemo(database: Kysely<Database>, appConfig: Config, now = new Date()): Promise<DemoSummary> {
  db = database;
  config = appConfig;
  // Mail the demo causes (invitations) is kept in the outbox: demo addresses are not real.
  mailer = createMailer(db, createLogger("silent"), { smtpUrl: undefined, from: config.mailFrom });

  const admin = await ensureAdmin();
  const agencyId = await ensureAgency(admin);
  const adminActor: Actor = { id: admin.id, agencyId: admin.agencyId, roles: ["admin"] };
  const unitId = await ensureGroup(adminActor, agencyId, UNIT);
  const cohortId = await ensureGroup(adminActor, agencyId, COHORT);

  const trainer = await ensurePerson(adminActor, agencyId, "trainer", "中島 真理子 (Mariko Nakajima)", "trainer");
  const reviewer = await ensurePerson(
    adminActor,
    agencyId,
    "reviewer",
    "Robert Evans (ロバート・エヴァンス)",
    "reviewer",
  );
  await setGroupTrainer(db, adminActor, { groupId: unitId, userId: trainer.id, trains: true });

  const trainees: { id: string; name: string; email: string; progress: Progress; fresh: boolean }[] = [];
  for (const [i, name] of NAMES.entries()) {
    const email = `trainee${String(i + 1).padStart(2, "0")}`;
    const person = await ensurePerson(adminActor, agencyId, email, name, "trainee");
    await ensureMember(admin.id, i < 20 ? unitId : cohortId, person.id);
    trainees.push({ ...person, name, progress: progressOf(i), fresh: await hasNoProgress(person.id) });
  }

  // The unit's module was due three days ago (overdue unless done; two people were given more
  // time); the police course is due in a month for both groups.
  const today = tokyoDate(now);
  const trainerActor: Actor = { id: trainer.id, agencyId, roles: ["trainer"], trainerOf: [unitId] };
  const moduleAssignment = await ensureAssignment(
    trainerActor,
    agencyId,
    unitId,
    { moduleSlug: MODULE },
    addDays(today, -3),
  );
  await ensureAssignment(trainerActor, agencyId, unitId, { courseSlug: COURSE }, addDays(today, 30));
  await ensureAssignment(adminActor, agencyId, cohortId, { courseSlug: COURSE }, addDays(today, 30));

  let made = 0;
  for (const t of trainees) {
    if (!t.fresh || t.progress === "none") continue;
    await makeProgress(t.id, t.progress);
    made++;
  }
  // Extensions for two people of the unit who have not finished: their own date beats the group's.
  const behind = trainees.slice(0, 20).filter((t) => t.progress === "pretest" || t.progress === "reading");
  for (const t of behind.slice(0, 2)) await ensureExtension(trainerActor, moduleAssignment, t.id, addDays(today, 7));

  return {
    agencyName: AGENCY.name,
    trainees: trainees.map(({ email, name, progress }) => ({ email, name, progress })),
    progressMade: made,
    trainer: trainer.email,
    reviewer: reviewer.email,
    admin: { email: admin.email, created: admin.created },
  };
}

// Run as a command (not when a test imports it).
if (process.argv[1] && import.meta.filename === path.resolve(process.argv[1])) {
  const appConfig = loadConfig({ ...process.env, LOG_LEVEL: "silent" });
  // The chain keys first, as the server loads them: every record and audit event is MAC'd.
  installChainAnchor(anchorFromConfig(appConfig));
  const handle = await connect({ databaseUrl: appConfig.databaseUrl, dataDir: appConfig.dataDir });
  try {
    await migrateToLatest(handle.db);
    const synced = await syncContentFrom(handle.db, path.resolve(appConfig.modulesDir), createLogger("silent"));
    if (!synced.ok) throw new Error(`The course content does not sync:\n${synced.problems.join("\n")}`);
    const s = await seedDemo(handle.db, appConfig);
    const sample = s.trainees.find((t) => t.progress === "module")!;
    const url = appConfig.publicUrl;
    console.log(
      [
        `Demo data ready in "${s.agencyName}": ${s.trainees.length} trainees, progress made for ${s.progressMade} of them by this run (running it again adds nothing).`,
        "",
        `Sign in at ${url}/sign-in with the password "${DEMO_PASSWORD}":`,
        `  trainer   ${s.trainer}   trains "${UNIT.name}": ${url}/training`,
        `  reviewer  ${s.reviewer}   the agency's records: ${url}/agency/records`,
        `  trainee   ${sample.email}   (${sample.name}, has completed a module)`,
        s.admin.created
          ? `  admin     ${s.admin.email}`
          : `  admin     (an admin existed already: ${s.admin.email}; their password is unchanged)`,
        "",
        "These accounts share a published password: for a demonstration only, never on a real installation.",
      ].join("\n"),
    );
  } finally {
    await handle.close();
  }
}

/** A member once: adding again would write another audit event. */
async function ensureMember(actorId: string, groupId: string, userId: string) {
  const found = await db
    .selectFrom("group_members")
    .select("user_id")
    .where("group_id", "=", groupId)
    .where("user_id", "=", userId)
    .executeTakeFirst();
  if (!found) await setGroupMembership(db, actorId, { groupId, userId, member: true });
}

/** The platform's admin: an existing one, else the first admin made as the set-up page would. */
async function ensureAdmin(): Promise<{ id: string; agencyId: string; email: string; created: boolean }> {
  const existing = await db
    .selectFrom("users as u")
    .innerJoin("user_roles as r", "r.user_id", "u.id")
    .select(["u.id", "u.agency_id", "u.email"])
    .where("r.role", "=", "admin")
    .where("u.disabled_at", "is", null)
    .orderBy("u.created_at")
    .executeTakeFirst();
  if (existing) return { id: existing.id, agencyId: existing.agency_id, email: existing.email, created: false };
  const token = await issueSetupToken(db);
  if (!token) throw new Error("This database has people but no active admin; give someone the admin role first.");
  const email = `admin@${DOMAIN}`;
  const { userId } = await createFirstAdmin(db, config.argon2, token, {
    agencyName: AGENCY.name,
    agencyKind: AGENCY.kind,
    displayName: "管理者 (Demo Admin)",
    email,
    password: DEMO_PASSWORD,
    profession: "police",
    locale: "ja",
  });
  const user = await db.selectFrom("users").select("agency_id").where("id", "=", userId).executeTakeFirstOrThrow();
  return { id: userId, agencyId: user.agency_id, email, created: true };
}

async function ensureAgency(admin: { id: string }): Promise<string> {
  const found = await db.selectFrom("agencies").select("id").where("name", "=", AGENCY.name).executeTakeFirst();
  if (found) return found.id;
  return (await createAgency(db, admin.id, AGENCY)).id;
}

async function ensureGroup(actor: Actor, agencyId: string, group: { name: string; kind: GroupKind }) {
  const found = await db
    .selectFrom("groups")
    .select("id")
    .where("agency_id", "=", agencyId)
    .where("name", "=", group.name)
    .executeTakeFirst();
  return found?.id ?? (await createGroup(db, actor.id, { agencyId, ...group })).id;
}

/** A person found by e-mail, else invited and signed up through the invitation, as a newcomer would. */
async function ensurePerson(actor: Actor, agencyId: string, local: string, name: string, role: Role) {
  const email = `${local}@${DOMAIN}`;
  const found = await db.selectFrom("users").select("id").where("email", "=", email).executeTakeFirst();
  if (found) return { id: found.id, email };
  const { link } = await invite(db, mailer, config.publicUrl, actor, { email, agencyId, role, profession: "police" });
  const token = link.slice(link.lastIndexOf("/") + 1);
  const locale = /[\u3040-\u30ff\u4e00-\u9fff]/.test(name) ? "ja" : "en";
  const { userId } = await acceptInvitation(db, config.argon2, token, {
    displayName: name,
    password: DEMO_PASSWORD,
    locale,
  });
  return { id: userId, email };
}

async function hasNoProgress(userId: string): Promise<boolean> {
  const any = await db
    .selectFrom("quiz_attempts")
    .select("id")
    .where("user_id", "=", userId)
    .union(db.selectFrom("lesson_progress").select("user_id as id").where("user_id", "=", userId))
    .limit(1)
    .executeTakeFirst();
  return any === undefined;
}

async function ensureAssignment(
  actor: Actor,
  agencyId: string,
  groupId: string,
  what: { moduleSlug: string } | { courseSlug: string },
  dueOn: string,
): Promise<string> {
  let q = db.selectFrom("assignments").select("id").where("group_id", "=", groupId).where("ended_at", "is", null);
  q =
    "moduleSlug" in what ? q.where("module_slug", "=", what.moduleSlug) : q.where("course_slug", "=", what.courseSlug);
  const found = await q.executeTakeFirst();
  if (found) return found.id;
  return assign(db, actor, {
    agencyId: await agencyOfAudience(db, { groupId }, agencyId),
    ...what,
    audience: "group",
    groupId,
    due: { on: dueOn },
    note: "デモ用の課題です。/ A demonstration assignment.",
  });
}

async function ensureExtension(actor: Actor, assignmentId: string, userId: string, dueOn: string) {
  const row = await db
    .selectFrom("assignees")
    .select("extended_to")
    .where("assignment_id", "=", assignmentId)
    .where("user_id", "=", userId)
    .where("ended_at", "is", null)
    .executeTakeFirst();
  if (row && row.extended_to === null)
    await extend(db, actor, { assignmentId, userId, dueOn, reason: "デモ: 休職のため / Demo: leave of absence" });
}

/** Takes a person as far as `progress` through the real calls: pre-test, lessons, final quiz. */
async function makeProgress(userId: string, progress: Progress) {
  if (progress === "none") return;
  if (progress === "course") {
    await enrol(db, userId, COURSE);
    const modules = await db
      .selectFrom("course_modules")
      .select("module_slug")
      .where("course_slug", "=", COURSE)
      .orderBy("position")
      .execute();
    for (const m of modules) await takeModule(db, userId, m.module_slug, "pass");
    return;
  }
  await takeModule(
    db,
    userId,
    MODULE,
    progress === "pretest" ? "pretest" : progress === "reading" ? "half" : progress === "failed" ? "fail" : "pass",
  );
}

async function takeModule(
  db: Kysely<Database>,
  userId: string,
  slug: string,
  upTo: "pretest" | "half" | "fail" | "pass",
) {
  const version = (await currentVersion(db, slug))!;
  const lessons = await db
    .selectFrom("lessons")
    .select("lesson_id")
    .where("module_version_id", "=", version.id)
    .orderBy("position")
    .execute();
  // The lessons' texts are served an hour before they are confirmed (the functions' injectable
  // clock), so the minimum reading time has passed as it would have for a real reader.
  const servedAt = new Date(Date.now() - 3_600_000);
  const pretest = await startAttempt(db, { userId, moduleVersionId: version.id, stage: "pretest", now: servedAt });
  await answerAll(db, userId, pretest, false);
  await submitAttempt(db, userId, pretest, servedAt);
  if (upTo === "pretest") return;
  const read = upTo === "half" ? lessons.slice(0, Math.ceil(lessons.length / 2)) : lessons;
  for (const l of read) {
    await openLesson(db, { userId, moduleVersionId: version.id, lessonId: l.lesson_id, locale: "en", now: servedAt });
    await completeLesson(db, userId, version.id, l.lesson_id);
  }
  if (upTo === "half") return;
  const final = await startAttempt(db, { userId, moduleVersionId: version.id, stage: "final" });
  await answerAll(db, userId, final, upTo === "pass");
  await submitAttempt(db, userId, final);
}

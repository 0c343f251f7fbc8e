// `npm run db:generate -- --trainees 100000`: a national data set on a Postgres server, to measure
// the reviewer's and trainer's pages at the size they must hold: 24 agencies (prefectural police,
// prosecutors, courts, child guidance centres…) with their groups, trainers and reviewers, the
// trainees in groups with a course assigned to each group, and their history — pre-tests, lessons
// read, final attempts passed and failed, module and course records on the hash chain, sign-ins and
// other audit events — spread over the last three years.
//
// Rows are made here and written in large multi-row inserts (unnest of arrays), not through the
// request-time functions, which would take days at this size; but every rule those functions keep
// is kept: attempts are served and graded by the quiz engine, records carry exactly the content
// recordCompletions writes and are hashed by the chain's own recordHash in the order they are
// appended, so `npm run records:verify` and the agency check pass on the result: each record and
// each audit event carries its chain hash and the MAC of that hash with the chain keys the server and
// records:verify use (CHAIN_KEYS, or the key file in DATA_DIR).
import { randomUUID } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { syncContentFrom } from "../app/server/catalog/content-sync.server";
import { loadConfig } from "../app/server/config.server";
import { hashPassword } from "../app/server/auth/passwords.server";
import { addMonths, newCertificateCode } from "../app/server/learning/completions.server";
import { loadQuestions } from "../app/server/learning/questions.server";
import {
  followUpApplies,
  grade,
  serve,
  type Answer,
  type Random,
  type StoredQuestion,
} from "../app/server/learning/quiz-engine.server";
import { GENESIS, recordHash, type RecordContent } from "../app/server/learning/records.server";
import { auditHash } from "../app/server/audit.server";
import { anchorFromConfig, installChainAnchor, macOf } from "../app/server/chain/anchor.server";
import { quizSettings } from "../app/server/learning/rules.server";
import { createLogger } from "../app/server/shared/log.server";
import { createProgress, formatDuration } from "../app/server/shared/progress.server";
import { addDays, tokyoDate } from "../app/server/shared/days.server";
import { connect } from "../db/connect.server";
import { migrateToLatest } from "../db/migrate.server";
import type { AgencyKind, Profession } from "../db/schema";

/** The password of every generated account (a benchmark needs to sign in as any of them). */
export const GENERATED_PASSWORD = "national-scale-bench-8812";
export const GENERATED_DOMAIN = "national.example";

const HELP = `Usage: npm run db:generate -- [--trainees N] [--agencies N] [--seed N]
  Builds a national data set in an EMPTY database on a Postgres server (DATABASE_URL).
  --trainees  trainees in all (default 100000)
  --agencies  agencies, at least 20 (default 24)
  --seed      random seed, for the same data set again (default 1)`;

function args() {
  const out = { trainees: 100_000, agencies: 24, seed: 1 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i]!.replace(/^--/, "");
    if (key === "help" || key === "h") {
      console.log(HELP);
      process.exit(0);
    }
    const value = Number(argv[++i]);
    if (!(key in out) || !Number.isInteger(value) || value < 1) {
      console.error(`Not understood: ${argv[i - 1]} ${argv[i] ?? ""}\n${HELP}`);
      process.exit(2);
    }
    out[key as keyof typeof out] = value;
  }
  if (out.agencies < 20) out.agencies = 20;
  return out;
}

// A seeded generator (mulberry32): the same seed gives the same people and histories.
function seeded(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int: Random = (max) => Math.floor(next() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick, chance: (p: number) => next() < p };
}

const FAMILY = [
  "佐藤",
  "鈴木",
  "高橋",
  "田中",
  "伊藤",
  "渡辺",
  "山本",
  "中村",
  "小林",
  "加藤",
  "吉田",
  "山田",
  "佐々木",
  "山口",
  "松本",
  "井上",
  "木村",
  "林",
  "斎藤",
  "清水",
  "山崎",
  "森",
  "池田",
  "橋本",
  "阿部",
  "石川",
  "山下",
  "中島",
  "石井",
  "小川",
];
const GIVEN = [
  "陽菜",
  "結衣",
  "さくら",
  "美咲",
  "葵",
  "凛",
  "七海",
  "愛",
  "美月",
  "真理子",
  "翔太",
  "大輔",
  "拓海",
  "蓮",
  "悠斗",
  "湊",
  "陸",
  "颯太",
  "健太",
  "直樹",
  "健一",
  "誠",
  "亮",
  "恵",
  "由美",
  "裕子",
  "智子",
  "和也",
  "剛",
  "修",
];
const FIRST = [
  "Emily",
  "James",
  "Olivia",
  "Daniel",
  "Sophie",
  "Liam",
  "Hannah",
  "Noah",
  "Grace",
  "Ethan",
  "Chloe",
  "Lucas",
  "Mia",
  "Jack",
  "Ava",
  "Henry",
  "Isla",
  "Amelia",
  "Maria",
  "David",
  "Anna",
  "Paul",
  "Laura",
  "Mark",
  "Sara",
  "Tom",
  "Nina",
  "Omar",
  "Lena",
  "Ravi",
];
const LAST = [
  "Carter",
  "Wilson",
  "Brown",
  "Lee",
  "Martin",
  "Walker",
  "Scott",
  "Turner",
  "Hall",
  "Young",
  "King",
  "Wright",
  "Green",
  "Baker",
  "Adams",
  "Nelson",
  "Hill",
  "Clark",
  "Evans",
  "Silva",
  "Kim",
  "Nguyen",
  "Garcia",
  "Santos",
  "Chen",
  "Park",
  "Rossi",
  "Müller",
  "Novak",
  "Singh",
];
const PREFECTURES = [
  "北海道",
  "宮城県",
  "東京都",
  "神奈川県",
  "埼玉県",
  "千葉県",
  "愛知県",
  "大阪府",
  "京都府",
  "兵庫県",
  "広島県",
  "福岡県",
  "沖縄県",
  "静岡県",
  "新潟県",
  "長野県",
  "岡山県",
  "熊本県",
  "鹿児島県",
  "石川県",
  "香川県",
  "愛媛県",
  "岐阜県",
  "栃木県",
  "群馬県",
  "三重県",
  "滋賀県",
  "奈良県",
  "青森県",
  "岩手県",
];
// Agency kinds in proportion to who meets these children; police the largest.
const KINDS: { kind: AgencyKind; suffix: string; profession: Profession; weight: number }[] = [
  { kind: "police", suffix: "警察本部", profession: "police", weight: 5 },
  { kind: "prosecution", suffix: "地方検察庁", profession: "prosecutor", weight: 1.2 },
  { kind: "court", suffix: "家庭裁判所", profession: "judge", weight: 0.6 },
  { kind: "child_guidance", suffix: "児童相談所", profession: "child_guidance", weight: 1.5 },
  { kind: "juvenile_protection", suffix: "少年鑑別所", profession: "juvenile_protection", weight: 0.7 },
  { kind: "social_services", suffix: "福祉事務所", profession: "social_worker", weight: 1.2 },
  { kind: "other", suffix: "教育委員会", profession: "teacher", weight: 1.5 },
];
const GROUP_SIZE = 400;
const CHUNK = 2_000;
const INSERT_BATCH = 5_000;
const DAY = 86_400_000;

interface ModuleInfo {
  id: string;
  slug: string;
  version: number;
  passMark: number;
  lessons: string[];
  pretest: StoredQuestion[];
  pool: StoredQuestion[];
  finalCount: number;
}
interface CourseInfo {
  slug: string;
  months: number;
  modules: ModuleInfo[];
}

type Row = unknown[];
type Columns = readonly (readonly [name: string, type: string])[];

/** Rows waiting to be written, per table, and the writer that sends them in large statements. */
class Writer {
  private readonly pending = new Map<string, { columns: Columns; rows: Row[] }>();
  readonly counts = new Map<string, number>();
  readonly ms = new Map<string, number>();
  constructor(private readonly client: pg.Client) {}

  add(table: string, columns: Columns, row: Row) {
    let entry = this.pending.get(table);
    if (!entry) this.pending.set(table, (entry = { columns, rows: [] }));
    entry.rows.push(row);
  }

  async flush() {
    for (const [table, entry] of this.pending) {
      const t0 = performance.now();
      for (let i = 0; i < entry.rows.length; i += INSERT_BATCH)
        await insertRows(this.client, table, entry.columns, entry.rows.slice(i, i + INSERT_BATCH));
      this.ms.set(table, (this.ms.get(table) ?? 0) + performance.now() - t0);
      this.counts.set(table, (this.counts.get(table) ?? 0) + entry.rows.length);
    }
    this.pending.clear();
  }
}

/**
 * One multi-row insert: the rows as one JSON array, read back by json_to_recordset in order (the
 * order the chain needs). One parameter parsed once is far cheaper than an array per column.
 */
async function insertRows(client: pg.Client, table: string, columns: Columns, rows: readonly Row[]) {
  if (rows.length === 0) return;
  const names = columns.map(([n]) => n);
  const json = JSON.stringify(rows.map((row) => Object.fromEntries(names.map((n, i) => [n, row[i]]))));
  await client.query(
    `insert into ${table} (${names.join(", ")})
     select ${names.join(", ")} from rows from (json_to_recordset($1::json) as (${columns.map(([n, t]) => `${n} ${t}`).join(", ")})) with ordinality as t(${names.join(", ")}, ord) order by ord`,
    [json],
  );
}

const USER_COLUMNS = [
  ["id", "uuid"],
  ["email", "text"],
  ["display_name", "text"],
  ["profession", "text"],
  ["locale", "text"],
  ["agency_id", "uuid"],
  ["created_at", "timestamptz"],
] as const;
const ATTEMPT_COLUMNS = [
  ["id", "uuid"],
  ["user_id", "uuid"],
  ["module_version_id", "uuid"],
  ["stage", "text"],
  ["served", "jsonb"],
  ["answers", "jsonb"],
  ["started_at", "timestamptz"],
  ["submitted_at", "timestamptz"],
  ["correct", "int4"],
  ["total", "int4"],
  ["score", "int4"],
  ["passed", "bool"],
] as const;
const AUDIT_COLUMNS = [
  ["id", "uuid"],
  ["at", "timestamptz"],
  ["actor_id", "uuid"],
  ["agency_id", "uuid"],
  ["action", "text"],
  ["subject_type", "text"],
  ["subject_id", "text"],
  ["details", "jsonb"],
  ["prev_hash", "text"],
  ["hash", "text"],
  ["mac", "text"],
  ["key_id", "text"],
  ["alg", "text"],
] as const;

async function main() {
  const options = args();
  const config = loadConfig({ ...process.env, LOG_LEVEL: "silent" });
  if (!config.databaseUrl) {
    console.error(
      "db:generate writes a national data set (millions of rows) and runs on a Postgres server only:\n" +
        "set DATABASE_URL, e.g. DATABASE_URL=postgres://user@host:5432/mamoru_national npm run db:generate.\n" +
        "The embedded database (PGlite) is for one small installation; use `npm run db:seed-demo` there.",
    );
    process.exit(2);
  }
  // The keys the server and records:verify use: every link written here carries its MAC.
  const anchor = anchorFromConfig(config);
  installChainAnchor(anchor);
  const { keyring } = anchor;
  const started = performance.now();
  const handle = await connect({ databaseUrl: config.databaseUrl, poolSize: 2 });
  const client = new pg.Client({ connectionString: config.databaseUrl });
  await client.connect();
  try {
    await migrateToLatest(handle.db);
    const synced = await syncContentFrom(handle.db, path.resolve(config.modulesDir), createLogger("silent"));
    if (!synced.ok) throw new Error(`The course content does not sync:\n${synced.problems.join("\n")}`);
    const people = await client.query<{ n: number }>("select count(*)::int as n from users");
    if (people.rows[0]!.n > 0) {
      console.error(
        `This database already has ${people.rows[0]!.n} people: db:generate fills an empty database only (create one, e.g. createdb mamoru_national).`,
      );
      process.exitCode = 2;
      return;
    }

    // The catalogue as the quiz engine sees it: latest versions, their lessons and question pools.
    const courses: CourseInfo[] = [];
    const versions = await handle.db
      .selectFrom("modules as m")
      .innerJoin("module_versions as v", (j) =>
        j.onRef("v.module_slug", "=", "m.slug").onRef("v.version", "=", "m.latest_version"),
      )
      .select(["v.id", "v.module_slug", "v.version", "v.pass_mark", "v.quiz_settings"])
      .execute();
    const modules = new Map<string, ModuleInfo>();
    for (const v of versions) {
      const lessons = await handle.db
        .selectFrom("lessons")
        .select("lesson_id")
        .where("module_version_id", "=", v.id)
        .orderBy("position")
        .execute();
      modules.set(v.module_slug, {
        id: v.id,
        slug: v.module_slug,
        version: v.version,
        passMark: v.pass_mark,
        lessons: lessons.map((l) => l.lesson_id),
        pretest: [...(await loadQuestions(handle.db, v.id, "pretest")).values()],
        pool: [...(await loadQuestions(handle.db, v.id, "final")).values()],
        finalCount: quizSettings(v.quiz_settings).questions,
      });
    }
    const courseRows = await handle.db
      .selectFrom("courses")
      .select(["slug", "recertification_months", "professions"])
      .where("archived_at", "is", null)
      .execute();
    const courseOf = new Map<Profession, CourseInfo>();
    for (const c of courseRows) {
      const slugs = await handle.db
        .selectFrom("course_modules")
        .select("module_slug")
        .where("course_slug", "=", c.slug)
        .orderBy("position")
        .execute();
      const info = {
        slug: c.slug,
        months: c.recertification_months,
        modules: slugs.map((s) => modules.get(s.module_slug)!),
      };
      courses.push(info);
      for (const p of c.professions as Profession[]) courseOf.set(p, info);
    }

    const r = seeded(options.seed);
    const w = new Writer(client);
    // The audit trail's head (the content sync audits itself): generated events follow it.
    let auditHead =
      (await client.query<{ hash: string | null }>("select hash from audit_events order by seq desc limit 1")).rows[0]
        ?.hash ?? GENESIS;
    const now = Date.now();
    const today = tokyoDate(new Date(now));
    const history = 3 * 365 * DAY;
    const passwordHash = await hashPassword(GENERATED_PASSWORD, config.argon2);
    const name = () => (r.chance(0.85) ? `${r.pick(FAMILY)} ${r.pick(GIVEN)}` : `${r.pick(FIRST)} ${r.pick(LAST)}`);
    const iso = (t: number) => new Date(t).toISOString();

    // Agencies: a prefecture each, the kinds in proportion; trainees shared by weight.
    const agencies = Array.from({ length: options.agencies }, (_, i) => {
      const k = KINDS[i % KINDS.length]!;
      const pref = PREFECTURES[i % PREFECTURES.length]!;
      return { id: randomUUID(), code: `a${String(i + 1).padStart(2, "0")}`, name: `${pref}${k.suffix}`, ...k };
    });
    const totalWeight = agencies.reduce((s, a) => s + a.weight, 0);
    let assigned = 0;
    const sizes = agencies.map((a, i) => {
      const n =
        i === agencies.length - 1
          ? options.trainees - assigned
          : Math.round((options.trainees * a.weight) / totalWeight);
      assigned += n;
      return n;
    });
    for (const a of agencies)
      w.add(
        "agencies",
        [
          ["id", "uuid"],
          ["name", "text"],
          ["kind", "text"],
          ["created_at", "timestamptz"],
        ],
        [a.id, a.name, a.kind, iso(now - history - 30 * DAY)],
      );

    const addUser = (
      id: string,
      email: string,
      display: string,
      profession: Profession,
      agencyId: string,
      at: number,
      roles: string[],
    ) => {
      w.add("users", USER_COLUMNS, [id, email, display, profession, r.chance(0.9) ? "ja" : "en", agencyId, iso(at)]);
      for (const role of roles)
        w.add(
          "user_roles",
          [
            ["user_id", "uuid"],
            ["role", "text"],
          ],
          [id, role],
        );
      w.add(
        "password_credentials",
        [
          ["user_id", "uuid"],
          ["hash", "text"],
        ],
        [id, passwordHash],
      );
    };
    const auditEvent = (
      at: number,
      actor: string | null,
      agencyId: string | null,
      action: string,
      subjectType: string,
      subjectId: string | null,
      details: Record<string, unknown> = {},
    ) => {
      // Hashed onto the one before in the order written (the writer keeps it), as audit() does.
      const content = {
        id: randomUUID(),
        at: new Date(at),
        actor_id: actor,
        agency_id: agencyId,
        action,
        subject_type: subjectType,
        subject_id: subjectId,
        details,
      };
      const hash = auditHash(content, auditHead);
      const { mac, keyId, alg } = macOf(keyring, "audit", hash);
      w.add("audit_events", AUDIT_COLUMNS, [
        content.id,
        iso(at),
        actor,
        agencyId,
        action,
        subjectType,
        subjectId,
        details,
        auditHead,
        hash,
        mac,
        keyId,
        alg,
      ]);
      auditHead = hash;
    };

    // The platform's admin, each agency's reviewer, and a trainer for every group.
    const adminId = randomUUID();
    addUser(
      adminId,
      `admin@${GENERATED_DOMAIN}`,
      "全国管理者 (National Admin)",
      "other",
      agencies[0]!.id,
      now - history - 30 * DAY,
      ["admin", "trainee"],
    );
    interface GroupInfo {
      id: string;
      agencyId: string;
      assignmentId: string;
      trainerId: string;
      course: CourseInfo;
    }
    const groupsOf = new Map<string, GroupInfo[]>();
    const reviewers: { id: string; agencyId: string }[] = [];
    for (const [i, a] of agencies.entries()) {
      const reviewerId = randomUUID();
      reviewers.push({ id: reviewerId, agencyId: a.id });
      addUser(reviewerId, `reviewer@${a.code}.${GENERATED_DOMAIN}`, name(), a.profession, a.id, now - history, [
        "reviewer",
        "trainee",
      ]);
      const course = courseOf.get(a.profession)!;
      const groups: GroupInfo[] = [];
      for (let g = 0; g < Math.max(1, Math.ceil(sizes[i]! / GROUP_SIZE)); g++) {
        const group: GroupInfo = {
          id: randomUUID(),
          agencyId: a.id,
          assignmentId: randomUUID(),
          trainerId: randomUUID(),
          course,
        };
        const created = now - history + g * DAY;
        w.add(
          "groups",
          [
            ["id", "uuid"],
            ["agency_id", "uuid"],
            ["name", "text"],
            ["kind", "text"],
            ["created_at", "timestamptz"],
          ],
          [
            group.id,
            a.id,
            g % 3 === 2 ? `${2023 + (g % 3)}年度 研修 ${g + 1}期 (Cohort ${g + 1})` : `第${g + 1}課 (Unit ${g + 1})`,
            g % 3 === 2 ? "cohort" : "unit",
            iso(created),
          ],
        );
        addUser(
          group.trainerId,
          `trainer${String(g + 1).padStart(2, "0")}@${a.code}.${GENERATED_DOMAIN}`,
          name(),
          a.profession,
          a.id,
          created,
          ["trainer", "trainee"],
        );
        w.add(
          "group_trainers",
          [
            ["group_id", "uuid"],
            ["user_id", "uuid"],
            ["added_by", "uuid"],
          ],
          [group.id, group.trainerId, adminId],
        );
        // The group's course, due on a day between half a year ago and four months from now.
        w.add(
          "assignments",
          [
            ["id", "uuid"],
            ["agency_id", "uuid"],
            ["course_slug", "text"],
            ["audience", "text"],
            ["group_id", "uuid"],
            ["due_on", "date"],
            ["assigned_by", "uuid"],
            ["created_at", "timestamptz"],
          ],
          [
            group.assignmentId,
            a.id,
            course.slug,
            "group",
            group.id,
            addDays(today, r.int(300) - 180),
            group.trainerId,
            iso(created + DAY),
          ],
        );
        auditEvent(created + DAY, group.trainerId, a.id, "assignment.created", "assignment", group.assignmentId, {
          course: course.slug,
          audience: "group",
          groupId: group.id,
        });
        groups.push(group);
      }
      groupsOf.set(a.id, groups);
    }
    await w.flush();

    // The trainees, a chunk at a time: account, group, assignment, and their history.
    interface PendingRecord {
      content: Omit<RecordContent, "id"> & { id: string };
      order: number;
    }
    const records: PendingRecord[] = [];
    const progress = createProgress({ label: "Trainees and their history", total: options.trainees });
    let index = 0;
    for (const [ai, a] of agencies.entries()) {
      const groups = groupsOf.get(a.id)!;
      for (let n = 0; n < sizes[ai]!; n++, index++) {
        const group = groups[n % groups.length]!;
        const id = randomUUID();
        const display = name();
        const joined = now - history + r.int(history - 30 * DAY);
        addUser(
          id,
          `t${String(index + 1).padStart(6, "0")}@${a.code}.${GENERATED_DOMAIN}`,
          display,
          a.profession,
          a.id,
          joined,
          ["trainee"],
        );
        w.add(
          "group_members",
          [
            ["group_id", "uuid"],
            ["user_id", "uuid"],
            ["added_at", "timestamptz"],
          ],
          [group.id, id, iso(joined)],
        );
        w.add(
          "assignees",
          [
            ["assignment_id", "uuid"],
            ["user_id", "uuid"],
            ["since", "timestamptz"],
          ],
          [group.assignmentId, id, iso(joined)],
        );
        w.add(
          "enrollments",
          [
            ["user_id", "uuid"],
            ["course_slug", "text"],
            ["enrolled_at", "timestamptz"],
          ],
          [id, group.course.slug, iso(joined)],
        );
        auditEvent(joined, id, a.id, "user.invitation_accepted", "user", id, { role: "trainee" });
        auditEvent(joined + 60_000, group.trainerId, a.id, "group.member_added", "user", id, { groupId: group.id });
        history_(id, display, a.id, group.course, joined);
        if ((index + 1) % CHUNK === 0) {
          await w.flush();
          progress.update(index + 1);
        }
      }
    }
    await w.flush();
    progress.finish(index);

    // One person's history: how far they got is drawn once, then every step takes real time.
    function history_(userId: string, holder: string, agencyId: string, course: CourseInfo, joined: number) {
      const roll = r.next();
      // Not started 15%; one module under way 25%; one to four modules done and the next under
      // way 52%; the whole course done 8%.
      const done = roll < 0.15 ? -1 : roll < 0.4 ? 0 : roll < 0.92 ? 1 + r.int(4) : course.modules.length;
      if (done < 0) return;
      let t = joined + r.int(20 * DAY);
      const signIn = (at: number) => auditEvent(at - 60_000, userId, agencyId, "auth.signed_in", "user", userId);
      const passed: { module: ModuleInfo; record: string; completedAt: number; expiresAt: number }[] = [];
      for (const [mi, m] of course.modules.entries()) {
        if (mi > done || t > now - DAY) break;
        const finish = mi < done;
        // The pre-test opens the module.
        signIn(t);
        if (r.chance(0.03))
          auditEvent(t - 120_000, null, agencyId, "auth.sign_in_failed", "user", userId, { address: "203.0.113.7" });
        const pretest = attempt(userId, m, "pretest", t, 0.5);
        t = pretest.submittedAt + r.int(30 * 60_000);
        // Lessons, a few per sitting; someone under way stops part of the way through.
        const read = finish ? m.lessons.length : r.chance(0.35) ? m.lessons.length : 1 + r.int(m.lessons.length - 1);
        for (let l = 0; l < read && t < now - DAY; l++) {
          t += (5 + r.int(30)) * 60_000;
          w.add(
            "lesson_progress",
            [
              ["user_id", "uuid"],
              ["module_version_id", "uuid"],
              ["lesson_id", "text"],
              ["completed_at", "timestamptz"],
            ],
            [userId, m.id, m.lessons[l], iso(t)],
          );
          if (l % 3 === 2) {
            t += r.int(5 * DAY);
            signIn(t);
          }
        }
        if (read < m.lessons.length || t > now - DAY) break;
        // Final attempts: some fail once or twice first (a day's cool-down or more between).
        const failures = r.chance(0.55) ? 0 : r.chance(0.7) ? 1 : 2;
        for (let f = 0; f < failures && t < now - 2 * DAY; f++) {
          t += r.int(DAY);
          signIn(t);
          t = attempt(userId, m, "fail", t, 0.45).submittedAt + DAY + r.int(5 * DAY);
        }
        if (!finish || t > now - DAY) {
          // Still at it: now and then a final attempt left open part-way.
          if (r.chance(0.2)) attempt(userId, m, "open", t, 0.5);
          break;
        }
        signIn(t);
        const final = attempt(userId, m, "pass", t, 0.95);
        const completedAt = final.submittedAt;
        const expiresAt = addMonths(new Date(completedAt), course.months).getTime();
        const recordId = randomUUID();
        records.push({
          order: completedAt * 2,
          content: {
            id: recordId,
            kind: "module",
            user_id: userId,
            module_version_id: m.id,
            course_slug: null,
            attempt_id: final.id,
            score: final.score,
            pretest_score: pretest.score,
            started_at: new Date(pretest.startedAt),
            completed_at: new Date(completedAt),
            expires_at: new Date(expiresAt),
            certificate_code: null,
            details: { module: m.slug, version: m.version, passMark: m.passMark, holderName: holder },
          },
        });
        passed.push({ module: m, record: recordId, completedAt, expiresAt });
        t = completedAt + r.int(14 * DAY);
      }
      if (passed.length === course.modules.length) {
        // The last module completes the course, in the same transaction: right after it in the chain.
        const last = passed.at(-1)!;
        records.push({
          order: last.completedAt * 2 + 1,
          content: {
            id: randomUUID(),
            kind: "course",
            user_id: userId,
            module_version_id: null,
            course_slug: course.slug,
            attempt_id: null,
            score: null,
            pretest_score: null,
            started_at: null,
            completed_at: new Date(last.completedAt),
            expires_at: new Date(
              Math.min(
                addMonths(new Date(last.completedAt), course.months).getTime(),
                ...passed.map((p) => p.expiresAt),
              ),
            ),
            certificate_code: newCertificateCode(),
            details: {
              holderName: holder,
              modules: passed.map((p) => ({
                module: p.module.slug,
                version: p.module.version,
                record: p.record,
                completedAt: iso(p.completedAt),
              })),
            },
          },
        });
      }
    }

    /** An attempt served by the quiz engine and answered (each answer right with `p`), graded as submission would. */
    function attempt(
      userId: string,
      m: ModuleInfo,
      kind: "pretest" | "fail" | "pass" | "open",
      startedAt: number,
      p: number,
    ) {
      const stage = kind === "pretest" ? "pretest" : "final";
      const pool = stage === "pretest" ? m.pretest : m.pool;
      const byId = new Map(pool.map((q) => [q.id, q]));
      const served = serve(pool, stage === "pretest" ? null : m.finalCount, r.int);
      const questions = served.map((s) => byId.get(s.id)!);
      let answers: Record<string, Answer> = {};
      let result = grade(questions, answers);
      for (let tries = 0; tries < 20; tries++) {
        answers = Object.fromEntries(questions.map((q) => [q.id, answer(q, r.chance(p))]));
        result = grade(questions, answers);
        if (kind === "pass" ? result.score >= m.passMark : kind === "fail" ? result.score < m.passMark : true) break;
        if (tries === 19) {
          answers = Object.fromEntries(questions.map((q) => [q.id, answer(q, kind === "pass")]));
          result = grade(questions, answers);
        }
      }
      const id = randomUUID();
      const submittedAt = startedAt + (4 + r.int(20)) * 60_000;
      const open = kind === "open";
      if (open)
        answers = Object.fromEntries(Object.entries(answers).slice(0, 1 + r.int(Math.max(1, questions.length - 1))));
      w.add("quiz_attempts", ATTEMPT_COLUMNS, [
        id,
        userId,
        m.id,
        stage,
        served,
        answers,
        iso(startedAt),
        open ? null : iso(submittedAt),
        open ? null : result.correct,
        open ? null : result.total,
        open ? null : result.score,
        open ? null : stage === "final" && result.score >= m.passMark,
      ]);
      return { id, startedAt, submittedAt, score: result.score };
    }

    function answer(q: StoredQuestion, right: boolean): Answer {
      const pickOf = (options: StoredQuestion["options"]) => {
        const good = options.filter((o) => o.correct).map((o) => o.id);
        const bad = options.filter((o) => !o.correct).map((o) => o.id);
        if (right || bad.length === 0) return q.kind === "multiple" ? good : good.slice(0, 1);
        return [r.pick(bad)];
      };
      const choice = pickOf(q.options);
      return followUpApplies(q, choice) ? { choice, followUp: pickOf(q.followUp!.options).slice(0, 1) } : { choice };
    }

    // The records in the order they were earned, each hashed onto the one before, as appendRecord does.
    records.sort((x, y) => x.order - y.order);
    const chain = createProgress({ label: "Completion records on the chain", total: records.length });
    let prevHash =
      (await client.query<{ hash: string }>("select hash from completion_records order by seq desc limit 1")).rows[0]
        ?.hash ?? GENESIS;
    const RECORD_COLUMNS = [
      ["id", "uuid"],
      ["kind", "text"],
      ["user_id", "uuid"],
      ["module_version_id", "uuid"],
      ["course_slug", "text"],
      ["attempt_id", "uuid"],
      ["score", "int4"],
      ["pretest_score", "int4"],
      ["started_at", "timestamptz"],
      ["completed_at", "timestamptz"],
      ["expires_at", "timestamptz"],
      ["certificate_code", "text"],
      ["details", "jsonb"],
      ["prev_hash", "text"],
      ["hash", "text"],
      ["mac", "text"],
      ["key_id", "text"],
      ["alg", "text"],
    ] as const;
    for (const [i, { content: c }] of records.entries()) {
      const hash = recordHash(c, prevHash);
      const { mac, keyId, alg } = macOf(keyring, "records", hash);
      w.add("completion_records", RECORD_COLUMNS, [
        c.id,
        c.kind,
        c.user_id,
        c.module_version_id,
        c.course_slug,
        c.attempt_id,
        c.score,
        c.pretest_score,
        c.started_at && c.started_at.toISOString(),
        c.completed_at.toISOString(),
        c.expires_at.toISOString(),
        c.certificate_code,
        c.details,
        prevHash,
        hash,
        mac,
        keyId,
        alg,
      ]);
      prevHash = hash;
      if ((i + 1) % 20_000 === 0) {
        await w.flush();
        chain.update(i + 1);
      }
    }
    await w.flush();
    chain.finish(records.length);

    // Reviewers at work: opening people's records now and then, checking the agency, exporting.
    for (const rv of reviewers) {
      for (let k = 0; k < 200; k++) {
        auditEvent(
          now - r.int(365 * DAY),
          rv.id,
          rv.agencyId,
          "records.viewed",
          "user",
          records[r.int(records.length)]?.content.user_id ?? null,
          { records: 1 + r.int(8) },
        );
      }
      auditEvent(now - r.int(30 * DAY), rv.id, rv.agencyId, "records.agency_checked", "agency", rv.agencyId, {
        checked: 0,
      });
    }
    await w.flush();

    if (process.env.GENERATE_TIMINGS)
      console.error(
        [...w.ms].map(([t, ms]) => `${t}: ${w.counts.get(t)} rows, ${(ms / 1000).toFixed(1)} s`).join("\n"),
      );
    console.error("Analysing the tables (planner statistics)…");
    await client.query("analyze");
    const counts = await client.query<Record<string, number>>(`select
      (select count(*) from agencies)::int as agencies, (select count(*) from groups)::int as groups,
      (select count(*) from users)::int as people, (select count(*) from assignees)::int as assignees,
      (select count(*) from lesson_progress)::int as lesson_progress, (select count(*) from quiz_attempts)::int as attempts,
      (select count(*) from completion_records)::int as records, (select count(*) from audit_events)::int as audit_events,
      pg_size_pretty(pg_database_size(current_database())) as size`);
    const c = counts.rows[0]!;
    console.log(
      [
        `Generated in ${formatDuration(performance.now() - started)}:`,
        `  ${c.agencies} agencies, ${c.groups} groups, ${c.people} people (${options.trainees} trainees), ${c.assignees} assignees`,
        `  ${c.lesson_progress} lessons read, ${c.attempts} quiz attempts, ${c.records} completion records on the chain, ${c.audit_events} audit events`,
        `  database size ${c.size}`,
        `Sign in with the password "${GENERATED_PASSWORD}" as admin@${GENERATED_DOMAIN}, reviewer@a01.${GENERATED_DOMAIN}, trainer01@a01.${GENERATED_DOMAIN} or t000001@a01.${GENERATED_DOMAIN}.`,
      ].join("\n"),
    );
  } finally {
    await client.end();
    await handle.close();
  }
}

// Run as a command (the bench imports the password and domain above).
if (process.argv[1] && import.meta.filename === path.resolve(process.argv[1])) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

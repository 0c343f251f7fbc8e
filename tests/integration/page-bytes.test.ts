// Every page, in both languages, as the bytes a browser receives: valid UTF-8, no NUL and no
// replacement character. React 18's streaming renderer once split a multi-byte character at a
// 4 KiB boundary and sent NUL bytes in the middle of Japanese words (react issue 31134), so the
// pages are rendered from the real course content, long enough to cross such boundaries.
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { syncContentFrom } from "../../app/server/catalog/content-sync.server";
import { startAttempt, submitAttempt } from "../../app/server/learning/attempts.server";
import { currentVersion, enrol } from "../../app/server/learning/progress.server";
import { createLogger } from "../../app/server/shared/log.server";
import { engine } from "../support/db";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { startTestServer, type TestServer } from "../support/http";
import { answerAll } from "../support/quiz-answers";
import { readLesson } from "../support/learning";

let server: TestServer;
let admin: MadeUser;
let trainee: MadeUser;
const pages: { path: string; who: "nobody" | "trainee" | "admin" }[] = [];

beforeAll(async () => {
  server = await startTestServer();
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  const db = server.database.db;
  const outcome = await syncContentFrom(db, path.resolve(import.meta.dirname, "../../modules"), createLogger("silent"));
  expect(outcome.ok).toBe(true);
  const agency = await makeAgency(db, "神奈川県警察本部");
  admin = await makeUser(db, { agencyId: agency.id, roles: ["admin"], displayName: "管理者 花子" });
  trainee = await makeUser(db, { agencyId: agency.id, displayName: "研修 太郎" });

  // A trainee part-way through a course: the pre-test and the lessons of its first module done,
  // a failed final attempt to review.
  const course = (await db.selectFrom("courses").select("slug").orderBy("position").executeTakeFirstOrThrow()).slug;
  await enrol(db, trainee.id, course);
  const slug = (
    await db
      .selectFrom("course_modules")
      .select("module_slug")
      .where("course_slug", "=", course)
      .orderBy("position")
      .executeTakeFirstOrThrow()
  ).module_slug;
  const version = (await currentVersion(db, slug))!;
  const pretest = await startAttempt(db, { userId: trainee.id, moduleVersionId: version.id, stage: "pretest" });
  await answerAll(db, trainee.id, pretest, false);
  await submitAttempt(db, trainee.id, pretest);
  const lessons = await db
    .selectFrom("lessons")
    .select("lesson_id")
    .where("module_version_id", "=", version.id)
    .execute();
  for (const l of lessons) await readLesson(db, trainee.id, version.id, l.lesson_id);
  const final = await startAttempt(db, { userId: trainee.id, moduleVersionId: version.id, stage: "final" });
  await answerAll(db, trainee.id, final, false);
  await submitAttempt(db, trainee.id, final);

  const courses = await db.selectFrom("courses").select("slug").execute();
  const modules = await db.selectFrom("modules").select("slug").execute();
  pages.push(
    { path: "/sign-in", who: "nobody" },
    { path: "/forgot-password", who: "nobody" },
    { path: "/verify", who: "nobody" },
    { path: "/courses", who: "nobody" },
    ...courses.map((c) => ({ path: `/courses/${c.slug}`, who: "nobody" as const })),
    ...modules.map((m) => ({ path: `/modules/${m.slug}`, who: "nobody" as const })),
    { path: "/", who: "trainee" },
    { path: "/account", who: "trainee" },
    { path: "/notifications", who: "trainee" },
    { path: "/account/two-factor", who: "trainee" },
    { path: `/learn/${slug}`, who: "trainee" },
    ...lessons.map((l) => ({ path: `/learn/${slug}/lessons/${l.lesson_id}`, who: "trainee" as const })),
    { path: `/attempts/${final}/result`, who: "trainee" },
    { path: "/admin", who: "admin" },
    { path: "/admin/users", who: "admin" },
    { path: `/admin/users/${trainee.id}`, who: "admin" },
    { path: "/admin/agencies", who: "admin" },
    { path: `/admin/agencies/${agency.id}`, who: "admin" },
    { path: "/admin/users/invite", who: "admin" },
    { path: "/admin/outbox", who: "admin" },
    { path: "/admin/records", who: "admin" },
    { path: "/training", who: "admin" },
    { path: "/training/assign", who: "admin" },
    { path: "/agency/records", who: "admin" },
    { path: "/agency/matrix", who: "admin" },
    { path: "/agency/audit", who: "admin" },
    { path: "/agency/integrity", who: "admin" },
    { path: "/admin/security", who: "admin" },
  );
}, 120_000);

const strict = new TextDecoder("utf-8", { fatal: true });

describe(`page bytes (${engine})`, () => {
  for (const locale of ["ja", "en"] as const) {
    it(`every page in ${locale} is valid UTF-8 without NUL or U+FFFD`, async () => {
      await server.database.db.updateTable("users").set({ locale }).execute();
      const clients = { nobody: server.client(), trainee: server.client(), admin: server.client() };
      await clients.trainee.signIn(trainee.email, PASSWORD);
      await clients.admin.signIn(admin.email, PASSWORD);
      const problems: string[] = [];
      for (const page of pages) {
        const response = await clients[page.who].get(page.path, { "accept-language": locale });
        const bytes = Buffer.from(await response.arrayBuffer());
        if (response.status !== 200) problems.push(`${page.path}: status ${response.status}`);
        if (bytes.includes(0)) problems.push(`${page.path}: NUL byte at ${bytes.indexOf(0)} of ${bytes.length}`);
        let text = "";
        try {
          text = strict.decode(bytes);
        } catch {
          problems.push(`${page.path}: not valid UTF-8`);
        }
        if (text.includes("\uFFFD")) problems.push(`${page.path}: U+FFFD`);
        if (!text.includes(`<html lang="${locale}"`)) problems.push(`${page.path}: not in ${locale}`);
      }
      expect(problems).toEqual([]);
      expect(pages.length).toBeGreaterThan(30);
    });
  }
});

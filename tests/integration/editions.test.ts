// A module whose Japanese edition is not written yet: a Japanese reader gets its English text,
// marked as English so that screen readers switch voice, in the module page and in its lessons.
import { beforeAll, describe, expect, it } from "vitest";
import { engine } from "../support/db";
import { PASSWORD, makeAgency, makeUser, secondFactorRequiredFor } from "../support/fixtures";
import { startTestServer, type TestServer } from "../support/http";
import { enrol, readyForFinal, syncSample } from "../support/learning";

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  await syncSample(server.database.db, (copy) => {
    copy.edit("sample-module/module.yaml", "locales: [en, ja]", "locales: [en]");
    copy.edit(
      "sample-module/module.yaml",
      'title: { en: "Sample module", ja: "サンプルモジュール" }',
      'title: { en: "Sample module" }',
    );
    copy.remove("sample-module/lessons/01-first.ja.md");
    copy.remove("sample-module/lessons/02-second.ja.md");
  });
});

describe(`a module without its Japanese edition (${engine})`, () => {
  it("is shown in English, marked as English, inside Japanese pages", async () => {
    const db = server.database.db;
    const agency = await makeAgency(db);
    const reader = await makeUser(db, { agencyId: agency.id });
    await db.updateTable("users").set({ locale: "ja" }).where("id", "=", reader.id).execute();
    await enrol(db, reader.id, "sample-course");
    const version = await db
      .selectFrom("module_versions")
      .select("id")
      .where("module_slug", "=", "sample-module")
      .executeTakeFirstOrThrow();
    await readyForFinal(db, reader.id, version.id);
    const c = server.client();
    expect((await c.signIn(reader.email, PASSWORD)).status).toBe(302);

    const modulePage = await (await c.get("/modules/sample-module")).text();
    expect(modulePage).toContain('<html lang="ja"');
    expect(modulePage).toMatch(/<h1 lang="en"[^>]*>Sample module<\/h1>/);

    const lesson = await (await c.get("/learn/sample-module/lessons/01-first")).text();
    expect(lesson).toContain('<html lang="ja"');
    expect(lesson).toMatch(/<div class="lesson-body" lang="en">/);
    expect(lesson).toContain("word0110");
  });
});

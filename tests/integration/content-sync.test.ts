import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { checkContent } from "../../app/server/catalog/content-check.server";
import { syncContent, syncContentFrom } from "../../app/server/catalog/content-sync.server";
import { getCourse, getModule, listCourses } from "../../app/server/catalog/catalog.server";
import { createLogger } from "../../app/server/shared/log.server";
import type { DatabaseHandle } from "../../db/connect.server";
import { engine, freshDatabase } from "../support/db";
import { sampleCopy } from "../support/content-fixture";

let database: DatabaseHandle;
let drop: () => Promise<void>;
const log = createLogger("silent");

// Each test starts from an empty catalogue.
beforeEach(async () => {
  ({ handle: database, drop } = await freshDatabase());
});
afterEach(() => drop());

/** Everything the sync writes, to compare before and after a refused sync. */
async function snapshot() {
  const db = database.db;
  const [versions, lessons, questions, courses, links, recs] = await Promise.all([
    db
      .selectFrom("module_versions")
      .select(["module_slug", "version", "content_hash"])
      .orderBy("module_slug")
      .orderBy("version")
      .execute(),
    db
      .selectFrom("lessons")
      .select(["module_version_id", "lesson_id", "html"])
      .orderBy("module_version_id")
      .orderBy("lesson_id")
      .execute(),
    db
      .selectFrom("questions")
      .select(["module_version_id", "question_id"])
      .orderBy("module_version_id")
      .orderBy("question_id")
      .execute(),
    db.selectFrom("courses").select(["slug", "title", "archived_at"]).orderBy("slug").execute(),
    db.selectFrom("course_modules").selectAll().orderBy("course_slug").orderBy("position").execute(),
    db.selectFrom("recommendations").selectAll().orderBy("id").execute(),
  ]);
  return { versions, lessons, questions, courses, links, recs };
}

describe(`content sync (${engine})`, () => {
  it("loads the sample content, renders lessons once, and is a no-op when nothing changed", async () => {
    const copy = sampleCopy();
    const first = await syncContentFrom(database.db, copy.dir, log);
    expect(first).toMatchObject({
      ok: true,
      summary: { added: [{ slug: "sample-module", version: 1 }], unchanged: [] },
    });
    const found = await getModule(database.db, "sample-module");
    expect(found?.lessons.map((l) => l.lesson_id)).toEqual(["01-first", "02-second"]);
    expect(found?.poolSize).toBe(12);
    const lesson = await database.db
      .selectFrom("lessons")
      .select("html")
      .where("lesson_id", "=", "01-first")
      .executeTakeFirstOrThrow();
    expect(lesson.html.en).toContain('href="/learn/sample-module/lessons/02-second"');
    expect(lesson.html.ja).toContain("本文です。");

    const before = await snapshot();
    const second = await syncContentFrom(database.db, copy.dir, log);
    expect(second).toMatchObject({ ok: true, summary: { added: [], unchanged: ["sample-module"] } });
    expect(await snapshot()).toEqual(before);
  });

  it("refuses a changed module that keeps its version, naming it, and changes nothing", async () => {
    const copy = sampleCopy();
    await syncContentFrom(database.db, copy.dir, log);
    const before = await snapshot();
    copy.edit("sample-module/lessons/01-first.en.md", "See [the report]", "Read [the report]");
    copy.edit("catalog.yaml", 'title: { en: "Sample course"', 'title: { en: "Renamed course"');
    const outcome = await syncContentFrom(database.db, copy.dir, log);
    expect(outcome.ok).toBe(false);
    expect(outcome.ok === false && outcome.problems).toEqual([
      expect.stringMatching(/module sample-module has changed but its version is still 1 .* raise it to 2/),
    ]);
    // All or nothing: not even the course title, which had no version rule, was changed.
    expect(await snapshot()).toEqual(before);
    const failure = await database.db
      .selectFrom("content_syncs")
      .select(["ok", "error"])
      .orderBy("at", "desc")
      .limit(1)
      .executeTakeFirstOrThrow();
    expect(failure.ok).toBe(false);
    expect(failure.error).toContain("sample-module");
  });

  it("adds a new version beside the old one, which stays as it was", async () => {
    const copy = sampleCopy();
    await syncContentFrom(database.db, copy.dir, log);
    const v1 = await database.db
      .selectFrom("module_versions")
      .select(["id", "content_hash"])
      .where("module_slug", "=", "sample-module")
      .where("version", "=", 1)
      .executeTakeFirstOrThrow();
    copy.edit("sample-module/lessons/01-first.en.md", "See [the report]", "Read [the report]");
    copy.edit("sample-module/module.yaml", "version: 1", "version: 2");
    const outcome = await syncContentFrom(database.db, copy.dir, log);
    expect(outcome).toMatchObject({ ok: true, summary: { added: [{ slug: "sample-module", version: 2 }] } });
    const versions = await database.db
      .selectFrom("module_versions")
      .select(["version", "content_hash"])
      .where("module_slug", "=", "sample-module")
      .orderBy("version")
      .execute();
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
    expect(versions[0]!.content_hash).toBe(v1.content_hash);
    const oldLesson = await database.db
      .selectFrom("lessons")
      .select("html")
      .where("module_version_id", "=", v1.id)
      .where("lesson_id", "=", "01-first")
      .executeTakeFirstOrThrow();
    expect(oldLesson.html.en).toContain("See <a");
    expect((await getModule(database.db, "sample-module"))?.module.version).toBe(2);
  });

  it("leaves the database as it was when the content has problems, and records why", async () => {
    const copy = sampleCopy();
    await syncContentFrom(database.db, copy.dir, log);
    const before = await snapshot();
    copy.edit("catalog.yaml", "modules: [sample-module]", "modules: [sample-module, ghost]");
    copy.edit("sample-module/quiz.yaml", /misconception: offender-framing/, "misconception: nonsense");
    const outcome = await syncContentFrom(database.db, copy.dir, log);
    expect(outcome.ok).toBe(false);
    expect(outcome.ok === false && outcome.problems.length).toBe(2);
    expect(await snapshot()).toEqual(before);
  });

  it("refuses changes to a published version in the database itself", async () => {
    const copy = sampleCopy();
    await syncContentFrom(database.db, copy.dir, log);
    await expect(sql`update module_versions set minutes = 1`.execute(database.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from lessons`.execute(database.db)).rejects.toThrow(/append-only/);
    await expect(sql`update questions set kind = 'single'`.execute(database.db)).rejects.toThrow(/append-only/);
  });

  it("archives a course taken out of the catalogue, and brings it back when it returns", async () => {
    const copy = sampleCopy();
    await syncContentFrom(database.db, copy.dir, log);
    const checked = checkContent(copy.dir);
    const content = checked.content!;
    await syncContent(database.db, { ...content, catalog: [{ ...content.catalog[0]!, slug: "other-course" }] });
    expect((await listCourses(database.db)).map((c) => c.slug)).toEqual(["other-course"]);
    expect(await getCourse(database.db, "sample-course")).toBeUndefined();
    await syncContent(database.db, content);
    expect((await listCourses(database.db)).map((c) => c.slug).sort()).toEqual(["sample-course"]);
  });

  it("filters courses by profession and sums the modules' time", async () => {
    const copy = sampleCopy();
    await syncContentFrom(database.db, copy.dir, log);
    expect(
      (await listCourses(database.db, "police")).map((c) => ({
        slug: c.slug,
        minutes: c.minutes,
        modules: c.module_count,
      })),
    ).toEqual([{ slug: "sample-course", minutes: 30, modules: 1 }]);
    expect(await listCourses(database.db, "judge")).toEqual([]);
  });

  it("lets one of several simultaneous syncs do the work", async () => {
    const copy = sampleCopy();
    copy.edit("sample-module/module.yaml", "version: 1", "version: 7");
    copy.edit("sample-module/lessons/02-second.en.md", "Back to", "Return to");
    const outcomes = await Promise.all([1, 2, 3].map(() => syncContentFrom(database.db, copy.dir, log)));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const added = outcomes.flatMap((o) => (o.ok ? o.summary.added : []));
    expect(added).toEqual([{ slug: "sample-module", version: 7 }]);
  });
});

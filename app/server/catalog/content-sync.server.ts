// Loads checked content into Postgres, all or nothing, in one transaction. An unchanged module
// is left alone; a changed one must carry a higher version, and is added beside the older
// versions (completion records point at the version a trainee took). Lesson Markdown is rendered
// to HTML here, once.
import { sql, type Kysely } from "kysely";
import type { Database } from "../../../db/schema";
import type { Logger } from "../shared/log.server";
import { checkContent, type Content, type LoadedModule } from "./content-check.server";
import { renderLesson } from "./render-markdown.server";

const SYNC_LOCK_KEY = 72_130_419;

export class SyncRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SyncRefused";
  }
}

export interface SyncSummary {
  added: { slug: string; version: number }[];
  unchanged: string[];
  courses: number;
}

const json = (value: unknown) => JSON.stringify(value);

export async function syncContent(db: Kysely<Database>, content: Content): Promise<SyncSummary> {
  return db.transaction().execute(async (trx) => {
    // Several instances starting at once: one syncs, the others then find nothing to do.
    await sql`select pg_advisory_xact_lock(${SYNC_LOCK_KEY})`.execute(trx);
    const summary: SyncSummary = { added: [], unchanged: [], courses: content.catalog.length };

    for (const [position, r] of content.recommendations.entries()) {
      const row = { section: r.section, text: r.text, trainable: r.trainable, position };
      await trx
        .insertInto("recommendations")
        .values({ id: r.id, ...row })
        .onConflict((oc) => oc.column("id").doUpdateSet(row))
        .execute();
    }
    for (const m of content.misconceptions) {
      await trx
        .insertInto("misconceptions")
        .values({ id: m.id, label: json(m.label) })
        .onConflict((oc) => oc.column("id").doUpdateSet({ label: json(m.label) }))
        .execute();
    }

    for (const module of content.modules) {
      const { slug, version } = module.meta;
      const latest = await trx
        .selectFrom("module_versions")
        .select(["version", "content_hash"])
        .where("module_slug", "=", slug)
        .orderBy("version", "desc")
        .limit(1)
        .executeTakeFirst();
      if (latest?.content_hash === module.hash) {
        summary.unchanged.push(slug);
        continue;
      }
      if (latest && version <= latest.version) {
        throw new SyncRefused(
          `module ${slug} has changed but its version is still ${version} (the database has version ${latest.version}); raise it to ${latest.version + 1}`,
        );
      }
      await insertVersion(trx, module);
      summary.added.push({ slug, version });
    }

    const listed = content.catalog.map((c) => c.slug);
    for (const [position, course] of content.catalog.entries()) {
      const row = {
        title: json(course.title),
        summary: json(course.summary),
        professions: json(course.professions),
        recertification_months: course.recertificationMonths,
        position,
        archived_at: null,
        updated_at: new Date(),
      };
      await trx
        .insertInto("courses")
        .values({ slug: course.slug, ...row })
        .onConflict((oc) => oc.column("slug").doUpdateSet(row))
        .execute();
      await trx.deleteFrom("course_modules").where("course_slug", "=", course.slug).execute();
      await trx
        .insertInto("course_modules")
        .values(course.modules.map((module_slug, i) => ({ course_slug: course.slug, position: i, module_slug })))
        .execute();
    }
    // A course taken out of the catalogue is archived, not deleted: records may refer to it.
    await trx
      .updateTable("courses")
      .set({ archived_at: new Date() })
      .where("slug", "not in", listed)
      .where("archived_at", "is", null)
      .execute();

    await trx
      .insertInto("content_syncs")
      .values({ ok: true, content_hash: content.hash, summary: json(summary), error: null })
      .execute();
    return summary;
  });
}

async function insertVersion(trx: Kysely<Database>, module: LoadedModule) {
  const { meta, quiz } = module;
  await trx
    .insertInto("modules")
    .values({ slug: meta.slug, latest_version: meta.version })
    .onConflict((oc) => oc.column("slug").doUpdateSet({ latest_version: meta.version }))
    .execute();
  const row = await trx
    .insertInto("module_versions")
    .values({
      module_slug: meta.slug,
      version: meta.version,
      content_hash: module.hash,
      locales: json(meta.locales),
      title: json(meta.title),
      summary: json(meta.summary),
      professions: json(meta.professions),
      minutes: meta.minutes,
      pass_mark: meta.passMark,
      quiz_settings: json(meta.quiz),
      sources: json(meta.sources),
      recommendation_ids: json(meta.recommendations),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  await trx
    .insertInto("lessons")
    .values(
      meta.lessons.map((lesson, position) => {
        const texts = module.lessons[lesson.id]!;
        const html: { en: string; ja?: string } = { en: renderLesson(texts.en, { moduleSlug: meta.slug }) };
        if (texts.ja !== undefined) html.ja = renderLesson(texts.ja, { moduleSlug: meta.slug });
        return {
          module_version_id: row.id,
          lesson_id: lesson.id,
          position,
          title: json(lesson.title),
          minutes: lesson.minutes,
          content_note: json(lesson.contentNote ?? null),
          html: json(html),
        };
      }),
    )
    .execute();
  const questions = [
    ...quiz.pretest.map((q, position) => ({ q, position, stage: "pretest" as const })),
    ...quiz.pool.map((q, position) => ({ q, position, stage: "final" as const })),
  ];
  await trx
    .insertInto("questions")
    .values(
      questions.map(({ q, position, stage }) => {
        const { id, kind, ...rest } = q;
        return { module_version_id: row.id, question_id: id, stage, position, kind, content: json(rest) };
      }),
    )
    .execute();
}

export type SyncOutcome = { ok: true; summary: SyncSummary } | { ok: false; problems: string[] };

/**
 * Checks modules/ and syncs it. On any problem the database keeps its last good content, the
 * failure is recorded for admins, and the reasons are returned (and logged): the server starts anyway.
 */
export async function syncContentFrom(db: Kysely<Database>, dir: string, log: Logger): Promise<SyncOutcome> {
  const checked = checkContent(dir);
  let problems = checked.problems.map((p) => `${p.file} ${p.field}: ${p.message}`);
  if (checked.content) {
    try {
      const summary = await syncContent(db, checked.content);
      log.info("content synced", {
        added: summary.added,
        unchanged: summary.unchanged.length,
        courses: summary.courses,
      });
      return { ok: true, summary };
    } catch (error) {
      if (!(error instanceof SyncRefused)) throw error;
      problems = [error.message];
    }
  }
  log.error("content not synced; serving the last good content", {
    problems: problems.slice(0, 20),
    count: problems.length,
  });
  await db
    .insertInto("content_syncs")
    .values({
      ok: false,
      content_hash: null,
      summary: json({ problems: problems.length }),
      error: problems.slice(0, 50).join("\n"),
    })
    .execute();
  return { ok: false, problems };
}

import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Facts } from "~/components/facts";
import { useFormat, useT } from "~/components/i18n";
import { L, useDuration } from "~/components/localised";
import { SourceList } from "~/components/source-list";
import { pageTitle, rootLocale } from "~/components/page-title";
import { getModule } from "~/server/catalog/catalog.server";
import { notFound } from "~/server/http/guards.server";
import { isSlug } from "~/server/http/params.server";

export const meta: MetaFunction<typeof loader> = ({ matches, data }) =>
  pageTitle(matches, "catalog.moduleTitle", {
    name: (data?.module.title[rootLocale(matches)] ?? data?.module.title.en) || "",
  });

export async function loader({ params, context }: LoaderFunctionArgs) {
  const slug = params.slug ?? "";
  const found = (isSlug(slug) ? await getModule(context.app.db, slug) : undefined) ?? notFound();
  return { ...found, signedIn: Boolean(context.user) };
}

export default function ModulePage() {
  const t = useT();
  const format = useFormat();
  const duration = useDuration();
  const { module, lessons, courses, recommendations, poolSize, signedIn } = useLoaderData<typeof loader>();
  return (
    <div>
      <p className="breadcrumb">
        <Link to="/courses">{t("catalog.title")}</Link>
      </p>
      <L as="h1" text={module.title} />
      <L as="p" className="lead" text={module.summary} />
      <Facts
        items={[
          [t("catalog.estimatedTime"), duration(module.minutes)],
          [
            t("catalog.versionLabel"),
            `${t("catalog.version", { n: module.version })} (${format.date(module.created_at)})`,
          ],
          [
            t("catalog.finalQuiz"),
            t("catalog.quizRule", {
              questions: module.quiz_settings.questions,
              pool: poolSize,
              mark: module.pass_mark,
            }),
          ],
          [t("catalog.languages"), module.locales.map((l) => (l === "ja" ? "日本語" : "English")).join(" / ")],
        ]}
      />

      {signedIn ? (
        <p>
          <Link className="button" to={`/learn/${module.slug}`}>
            {t("learn.takeModule")}
          </Link>
        </p>
      ) : null}
      <section aria-labelledby="lessons-heading" className="panel">
        <h2 id="lessons-heading">{t("catalog.lessons")}</h2>
        <ol className="lesson-list">
          {lessons.map((l) => (
            <li key={l.lesson_id}>
              <L text={l.title} /> <span className="hint">({duration(l.minutes)})</span>
              {l.content_note ? <span className="badge">{t("catalog.contentNote")}</span> : null}
            </li>
          ))}
        </ol>
        <p className="hint">{t("catalog.pretestNote")}</p>
      </section>

      <section aria-labelledby="recs-heading" className="panel">
        <h2 id="recs-heading">{t("catalog.recommendations")}</h2>
        <p className="hint">{t("catalog.recommendationsLead")}</p>
        <ul>
          {recommendations.map((r) => (
            <li key={r.id}>
              <strong>{t("catalog.section", { section: r.section })}</strong> <span lang="en">{r.text}</span>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="sources-heading" className="panel">
        <h2 id="sources-heading">{t("catalog.sources")}</h2>
        <SourceList sources={module.sources} />
      </section>

      {courses.length > 0 ? (
        <section aria-labelledby="courses-heading">
          <h2 id="courses-heading">{t("catalog.inCourses")}</h2>
          <ul className="link-list">
            {courses.map((c) => (
              <li key={c.slug}>
                <Link to={`/courses/${c.slug}`}>
                  <L text={c.title} />
                </Link>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}

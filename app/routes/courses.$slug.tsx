import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useT } from "~/components/i18n";
import { L, useDuration } from "~/components/localised";
import { pageTitle, rootLocale } from "~/components/page-title";
import { getCourse } from "~/server/catalog/catalog";
import { notFound } from "~/server/http/guards";

export const meta: MetaFunction<typeof loader> = ({ matches, data }) => pageTitle(matches, "catalog.courseTitle", { name: (data?.course.title[rootLocale(matches)] ?? data?.course.title.en) || "" });

export async function loader({ params, context }: LoaderFunctionArgs) {
  const slug = params.slug ?? "";
  const found = /^[a-z0-9-]{1,80}$/.test(slug) ? await getCourse(context.app.db, slug) : undefined;
  return found ?? notFound();
}

export default function CoursePage() {
  const t = useT();
  const duration = useDuration();
  const { course, modules, minutes } = useLoaderData<typeof loader>();
  return (
    <div>
      <p className="breadcrumb">
        <Link to="/courses">{t("catalog.title")}</Link>
      </p>
      <L as="h1" text={course.title} />
      <L as="p" className="lead" text={course.summary} />
      <dl className="facts">
        <div>
          <dt>{t("catalog.estimatedTime")}</dt>
          <dd>{duration(minutes)}</dd>
        </div>
        <div>
          <dt>{t("catalog.modules")}</dt>
          <dd>{t("catalog.moduleCount", { n: modules.length })}</dd>
        </div>
        <div>
          <dt>{t("catalog.recertification")}</dt>
          <dd>{t("catalog.everyMonths", { n: course.recertification_months })}</dd>
        </div>
        <div>
          <dt>{t("catalog.for")}</dt>
          <dd>{course.professions.map((p) => t(`professions.${p}`)).join(" / ")}</dd>
        </div>
      </dl>
      <h2>{t("catalog.modules")}</h2>
      <ol className="module-list">
        {modules.map((m) => (
          <li key={m.slug} className="panel">
            <h3>
              <Link to={`/modules/${m.slug}`}>
                <L text={m.title} />
              </Link>
            </h3>
            <L as="p" text={m.summary} />
            <p className="hint">
              {duration(m.minutes)} · {t("catalog.version", { n: m.version })}
            </p>
            {m.recommendations.length > 0 ? (
              <details>
                <summary>{t("catalog.addresses", { n: m.recommendations.length })}</summary>
                <ul>
                  {m.recommendations.map((r) => (
                    <li key={r.id}>
                      <strong>{t("catalog.section", { section: r.section })}</strong> <span lang="en">{r.text}</span>
                    </li>
                  ))}
                </ul>
              </details>
            ) : null}
          </li>
        ))}
      </ol>
    </div>
  );
}

import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { Facts } from "~/components/facts";
import { SubmitButton } from "~/components/forms";
import { enrol, isEnrolled } from "~/server/learning/progress.server";
import { useT } from "~/components/i18n";
import { L, useDuration } from "~/components/localised";
import { pageTitle, rootLocale } from "~/components/page-title";
import { getCourse } from "~/server/catalog/catalog.server";
import { fromDomainError, notFound, requireUser } from "~/server/http/guards.server";
import { isSlug } from "~/server/http/params.server";

export const meta: MetaFunction<typeof loader> = ({ matches, data }) =>
  pageTitle(matches, "catalog.courseTitle", {
    name: (data?.course.title[rootLocale(matches)] ?? data?.course.title.en) || "",
  });

export async function loader({ params, context }: LoaderFunctionArgs) {
  const slug = params.slug ?? "";
  const found = (isSlug(slug) ? await getCourse(context.app.db, slug) : undefined) ?? notFound();
  const enrolled = context.user ? await isEnrolled(context.app.db, context.user.id, found.course.slug) : false;
  return { ...found, signedIn: Boolean(context.user), enrolled };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = requireUser(context, request);
  if (!isSlug(params.slug)) notFound();
  try {
    await enrol(context.app.db, user.id, params.slug);
  } catch (error) {
    return fromDomainError(error);
  }
  return redirect(`/courses/${params.slug}`);
}

export default function CoursePage() {
  const t = useT();
  const duration = useDuration();
  const { course, modules, minutes, signedIn, enrolled } = useLoaderData<typeof loader>();
  return (
    <div>
      <p className="breadcrumb">
        <Link to="/courses">{t("catalog.title")}</Link>
      </p>
      <L as="h1" text={course.title} />
      <L as="p" className="lead" text={course.summary} />
      <Facts
        items={[
          [t("catalog.estimatedTime"), duration(minutes)],
          [t("catalog.modules"), t("catalog.moduleCount", { n: modules.length })],
          [t("catalog.recertification"), t("catalog.everyMonths", { n: course.recertification_months })],
          [t("catalog.for"), course.professions.map((p) => t(`professions.${p}`)).join(" / ")],
        ]}
      />
      {enrolled ? (
        <p className="alert alert-success">{t("learn.enrolled")}</p>
      ) : signedIn ? (
        <Form method="post" className="enrol-form">
          <SubmitButton>{t("learn.enrol")}</SubmitButton>
        </Form>
      ) : (
        <p>
          <Link to={`/sign-in?next=${encodeURIComponent(`/courses/${course.slug}`)}`}>{t("learn.signInToTake")}</Link>
        </p>
      )}
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
            {enrolled ? (
              <p>
                <Link to={`/learn/${m.slug}`}>{t("learn.takeModule")}</Link>
              </p>
            ) : null}
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

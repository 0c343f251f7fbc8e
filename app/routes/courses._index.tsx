import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { useT } from "~/components/i18n";
import { L, useDuration } from "~/components/localised";
import { professionOptions } from "~/components/options";
import { pageTitle } from "~/components/page-title";
import { listCourses, professionFirst } from "~/server/catalog/catalog.server";
import { profession } from "~/server/http/fields.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "catalog.title");

const Query = z.object({ profession: z.enum(profession.options, { error: "errors.query.profession" }).optional() });

export async function loader({ request, context }: LoaderFunctionArgs) {
  // A signed-in reader finds the course for their profession first.
  const reader = context.user?.profession;
  const ordered = (courses: Awaited<ReturnType<typeof listCourses>>) =>
    reader ? professionFirst(courses, reader) : courses.map((c) => ({ ...c, forProfession: false }));
  const params = Object.fromEntries([...new URL(request.url).searchParams].filter(([, v]) => v !== ""));
  const parsed = Query.safeParse(params);
  if (!parsed.success) {
    // Every course, and the message beside the field at fault (400).
    return data(
      {
        courses: ordered(await listCourses(context.app.db)),
        profession: "",
        error: "errors.query.profession",
      },
      { status: 400 },
    );
  }
  return {
    courses: ordered(await listCourses(context.app.db, parsed.data.profession)),
    profession: parsed.data.profession ?? "",
    error: null as string | null,
  };
}

export default function Catalog() {
  const t = useT();
  const duration = useDuration();
  const { courses, profession: selected, error } = useLoaderData<typeof loader>();
  return (
    <div>
      <h1>{t("catalog.title")}</h1>
      <p className="lead">{t("catalog.lead")}</p>
      <Form method="get" className="filters" aria-label={t("catalog.filter")}>
        <div className={error ? "field has-error" : "field"}>
          <label htmlFor="profession">{t("fields.profession")}</label>
          <select
            id="profession"
            name="profession"
            defaultValue={selected}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "profession-error" : undefined}
          >
            <option value="">{t("catalog.allProfessions")}</option>
            {professionOptions(t).map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
          {error ? (
            <p className="field-error" id="profession-error" role="alert">
              {t(error)}
            </p>
          ) : null}
        </div>
        <button type="submit" className="button button-secondary">
          {t("catalog.show")}
        </button>
      </Form>
      {courses.length === 0 ? <p>{t("catalog.none")}</p> : null}
      <ul className="cards">
        {courses.map((c) => (
          <li key={c.slug} className="card">
            <h2>
              <Link to={`/courses/${c.slug}`}>
                <L text={c.title} />
              </Link>
            </h2>
            {c.forProfession ? <p className="badge">{t("catalog.forYourProfession")}</p> : null}
            <L as="p" text={c.summary} />
            <p className="hint">{c.professions.map((p) => t(`professions.${p}`)).join(" / ")}</p>
            <p className="meta-line">
              {t("catalog.moduleCount", { n: c.module_count })} ·{" "}
              {t("catalog.estimated", { time: duration(c.minutes) })}
            </p>
          </li>
        ))}
      </ul>
    </div>
  );
}

// The completion records a reviewer (their agency), a trainer (their groups' people) or an admin
// (everyone) may see, filtered, newest first, a page at a time; with the exports of the same list.
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { useFormat, useT } from "~/components/i18n";
import { L, useLocalised } from "~/components/localised";
import { pageTitle } from "~/components/page-title";
import { FilterSelect, KeysetPager } from "~/components/review-lists";
import { can } from "~/server/auth/policy.server";
import { scopeFor } from "~/server/auth/scope.server";
import { forbidden, invalid, requireActor } from "~/server/http/guards.server";
import { queryObject, RecordQuery } from "~/server/review/filters.server";
import { filterParams } from "~/components/filter-params";
import { recordsPage } from "~/server/review/records.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "review.records.title");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  const scope = scopeFor(actor, "records.view");
  if (scope.kind === "none") forbidden();
  const query = queryObject(new URL(request.url));
  const parsed = query ? RecordQuery.safeParse(query) : null;
  if (!parsed?.success) throw invalid({ _form: "errors.invalid" });
  // Only an admin narrows by agency; everyone else's scope is one agency or fewer already.
  const filter = { ...parsed.data, agency: scope.kind === "all" ? parsed.data.agency : undefined };
  const now = new Date();
  const page = await recordsPage(context.app.db, scope, filter, now);
  return {
    ...page,
    now: now.toISOString(),
    filter,
    canCheck: can(actor, "records.check", { agencyId: actor.agencyId }),
    canAudit: scopeFor(actor, "audit.view").kind !== "none",
  };
}

export default function Records() {
  const t = useT();
  const format = useFormat();
  const pick = useLocalised();
  const d = useLoaderData<typeof loader>();
  const f = d.filter;
  const now = new Date(d.now);
  const exportQuery = filterParams(f, ["after"]);
  const exportLink = (kind: "csv" | "xapi") =>
    `/agency/records/export?format=${kind}${exportQuery ? `&${exportQuery}` : ""}`;
  return (
    <div>
      <h1>{t("review.records.title")}</h1>
      <p className="lead">{t("review.records.lead")}</p>
      <ul className="link-list">
        <li>
          <Link to="/agency/matrix">{t("review.matrix.link")}</Link>
        </li>
        {d.canCheck ? (
          <li>
            <Link to="/agency/integrity">{t("review.records.integrity")}</Link>
          </li>
        ) : null}
        {d.canAudit ? (
          <li>
            <Link to="/agency/audit">{t("review.records.audit")}</Link>
          </li>
        ) : null}
      </ul>
      <Form method="get" className="filters" role="search" aria-label={t("review.filters.label")}>
        {d.options.agencies.length > 0 ? (
          <FilterSelect name="agency" label={t("review.filters.agency")} value={f.agency}>
            {d.options.agencies.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </FilterSelect>
        ) : null}
        <FilterSelect name="group" label={t("review.filters.group")} value={f.group}>
          {d.options.groups.map((g) => (
            <option key={g.id} value={g.id}>
              {d.options.agencies.length > 0 ? `${g.agency_name} / ${g.name}` : g.name}
            </option>
          ))}
        </FilterSelect>
        <FilterSelect name="course" label={t("review.filters.course")} value={f.course}>
          {d.options.courses.map((c) => (
            <option key={c.slug} value={c.slug} lang={pick(c.title).lang}>
              {pick(c.title).text}
            </option>
          ))}
        </FilterSelect>
        <FilterSelect name="module" label={t("review.filters.module")} value={f.module}>
          {d.options.modules.map((m) => (
            <option key={m.slug} value={m.slug} lang={pick(m.title).lang}>
              {pick(m.title).text}
            </option>
          ))}
        </FilterSelect>
        <FilterSelect name="kind" label={t("review.filters.kind")} value={f.kind}>
          <option value="module">{t("review.kind.module")}</option>
          <option value="course">{t("review.kind.course")}</option>
        </FilterSelect>
        <FilterSelect name="status" label={t("review.filters.status")} value={f.status}>
          <option value="current">{t("review.status.current")}</option>
          <option value="expired">{t("review.status.expired")}</option>
        </FilterSelect>
        <div className="field">
          <label htmlFor="from">{t("review.filters.from")}</label>
          <input id="from" name="from" type="date" defaultValue={f.from ?? ""} />
        </div>
        <div className="field">
          <label htmlFor="to">{t("review.filters.to")}</label>
          <input id="to" name="to" type="date" defaultValue={f.to ?? ""} />
        </div>
        <div className="field">
          <label htmlFor="q">{t("review.filters.q")}</label>
          <input id="q" name="q" type="search" defaultValue={f.q ?? ""} maxLength={100} />
        </div>
        <button type="submit" className="button button-secondary">
          {t("review.apply")}
        </button>
        <Link to="/agency/records">{t("review.clear")}</Link>
      </Form>
      <p>
        <a className="button" href={exportLink("csv")} download>
          {t("review.records.exportCsv")}
        </a>{" "}
        <a className="button button-secondary" href={exportLink("xapi")} download>
          {t("review.records.exportXapi")}
        </a>
      </p>
      <p className="hint">{t("review.records.exportHint")}</p>
      {d.records.length === 0 ? (
        <p>{t("review.records.none")}</p>
      ) : (
        <table className="table">
          <caption className="visually-hidden">{t("review.records.title")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("review.records.person")}</th>
              <th scope="col">{t("review.records.record")}</th>
              <th scope="col">{t("review.records.version")}</th>
              <th scope="col" className="num">
                {t("review.records.pretest")}
              </th>
              <th scope="col" className="num">
                {t("review.records.score")}
              </th>
              <th scope="col">{t("review.records.completed")}</th>
              <th scope="col">{t("review.records.expires")}</th>
              <th scope="col">{t("review.filters.status")}</th>
              <th scope="col">{t("review.records.certificate")}</th>
            </tr>
          </thead>
          <tbody>
            {d.records.map((r) => (
              <tr key={r.id}>
                <td>
                  <Link to={`/agency/people/${r.user_id}`}>{r.display_name}</Link>
                  {d.options.agencies.length > 0 ? <div className="hint">{r.agency_name}</div> : null}
                </td>
                <td>
                  <span className="badge">{t(`review.kind.${r.kind}`)}</span>{" "}
                  {r.kind === "course" && r.course_title ? <L text={r.course_title} /> : null}
                  {r.kind === "module" && r.module_title ? <L text={r.module_title} /> : null}
                </td>
                <td>{r.module_version !== null ? t("review.records.versionN", { n: r.module_version }) : ""}</td>
                <td className="num">
                  {r.pretest_score !== null ? t("review.records.percent", { n: r.pretest_score }) : ""}
                </td>
                <td className="num">{r.score !== null ? t("review.records.percent", { n: r.score }) : ""}</td>
                <td>{format.date(r.completed_at)}</td>
                <td>{format.date(r.expires_at)}</td>
                <td>{t(new Date(r.expires_at) > now ? "review.status.current" : "review.status.expired")}</td>
                <td>
                  {r.certificate_code ? <Link to={`/verify/${r.certificate_code}`}>{r.certificate_code}</Link> : ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <KeysetPager filter={f} next={d.next} />
    </div>
  );
}

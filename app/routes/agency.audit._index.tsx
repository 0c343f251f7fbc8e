// The audit trail: an admin reads every event, a reviewer their agency's; filtered by person,
// action and dates, newest first, a page at a time; downloadable as CSV with the same filters.
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { useFormat, useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { KeysetPager } from "~/components/review-lists";
import { scopeFor } from "~/server/auth/scope.server";
import { forbidden, invalid, requireActor } from "~/server/http/guards.server";
import { listAgencies } from "~/server/org/agencies.server";
import { auditPage, KNOWN_ACTIONS } from "~/server/review/audit-log.server";
import { AuditQuery, queryObject } from "~/server/review/filters.server";
import { filterParams } from "~/components/filter-params";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "review.audit.title");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  const scope = scopeFor(actor, "audit.view");
  if (scope.kind !== "all" && scope.kind !== "agency") forbidden();
  const raw = queryObject(new URL(request.url));
  const parsed = raw ? AuditQuery.safeParse(raw) : null;
  if (!parsed?.success) throw invalid({ _form: "errors.invalid" });
  const filter = { ...parsed.data, agency: scope.kind === "all" ? parsed.data.agency : undefined };
  const db = context.app.db;
  const [page, agencies] = await Promise.all([
    auditPage(db, scope, filter),
    scope.kind === "all" ? listAgencies(db) : Promise.resolve([]),
  ]);
  return {
    ...page,
    filter,
    agencies: agencies.map((a) => ({ id: a.id, name: a.name })),
    actions: KNOWN_ACTIONS,
  };
}

export default function AuditTrail() {
  const t = useT();
  const format = useFormat();
  const d = useLoaderData<typeof loader>();
  const f = d.filter;
  const exportQuery = filterParams(f, ["after"]);
  return (
    <div>
      <h1>{t("review.audit.title")}</h1>
      <p className="lead">{t("review.audit.lead")}</p>
      <Form method="get" className="filters" role="search" aria-label={t("review.audit.title")}>
        {d.agencies.length > 0 ? (
          <div className="field">
            <label htmlFor="agency">{t("review.filters.agency")}</label>
            <select id="agency" name="agency" defaultValue={f.agency ?? ""}>
              <option value="">{t("review.filters.any")}</option>
              {d.agencies.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <div className="field">
          <label htmlFor="q">{t("review.audit.q")}</label>
          <input id="q" name="q" type="search" defaultValue={f.q ?? ""} maxLength={100} />
        </div>
        <div className="field">
          <label htmlFor="action">{t("review.audit.action")}</label>
          <input id="action" name="action" type="text" list="actions" defaultValue={f.action ?? ""} maxLength={60} />
          <datalist id="actions">
            {d.actions.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor="from">{t("review.audit.from")}</label>
          <input id="from" name="from" type="date" defaultValue={f.from ?? ""} />
        </div>
        <div className="field">
          <label htmlFor="to">{t("review.audit.to")}</label>
          <input id="to" name="to" type="date" defaultValue={f.to ?? ""} />
        </div>
        <button type="submit" className="button button-secondary">
          {t("review.apply")}
        </button>
        <Link to="/agency/audit">{t("review.clear")}</Link>
      </Form>
      <p>
        <a className="button" href={`/agency/audit/export${exportQuery ? `?${exportQuery}` : ""}`} download>
          {t("review.audit.export")}
        </a>
      </p>
      {d.events.length === 0 ? (
        <p>{t("review.audit.none")}</p>
      ) : (
        <table className="table">
          <caption className="visually-hidden">{t("review.audit.title")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("review.audit.at")}</th>
              <th scope="col">{t("review.audit.action")}</th>
              <th scope="col">{t("review.audit.actor")}</th>
              <th scope="col">{t("review.audit.subject")}</th>
              {d.agencies.length > 0 ? <th scope="col">{t("review.audit.agency")}</th> : null}
              <th scope="col">{t("review.audit.details")}</th>
            </tr>
          </thead>
          <tbody>
            {d.events.map((e) => (
              <tr key={e.id}>
                <td>{format.date(e.at, true)}</td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>{e.actor_name ?? t("review.audit.system")}</td>
                <td>
                  {e.subject_type === "user" && e.subject_id ? (
                    <Link to={`/agency/people/${e.subject_id}`}>{e.subject_name ?? e.subject_id}</Link>
                  ) : (
                    `${e.subject_type}${e.subject_id ? ` ${e.subject_id}` : ""}`
                  )}
                </td>
                {d.agencies.length > 0 ? <td>{e.agency_name ?? ""}</td> : null}
                <td>
                  <code className="details">{JSON.stringify(e.details)}</code>
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

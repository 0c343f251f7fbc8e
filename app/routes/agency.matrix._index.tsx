// The training matrix: the people a reviewer (their agency), a trainer (their groups' people) or an
// admin (everyone) may see, against the courses and modules required of them, each cell in words;
// with counts per column and per status, filters, keyset pages and the CSV of the same filter.
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { filterParams } from "~/components/filter-params";
import { useFormat, useT } from "~/components/i18n";
import { useLocalised } from "~/components/localised";
import { pageTitle } from "~/components/page-title";
import { FilterSelect, KeysetPager } from "~/components/review-lists";
import { scopeFor } from "~/server/auth/scope.server";
import { forbidden, invalid, requireActor } from "~/server/http/guards.server";
import { MatrixQuery, queryObject } from "~/server/review/filters.server";
import { DEFAULT_WINDOW_DAYS, matrixPage, type Cell } from "~/server/review/matrix.server";
import { PROFESSIONS, STANDINGS, type Standing } from "../../db/schema";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "review.matrix.title");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  const scope = scopeFor(actor, "records.view");
  if (scope.kind === "none") forbidden();
  const query = queryObject(new URL(request.url));
  const parsed = query ? MatrixQuery.safeParse(query) : null;
  if (!parsed?.success) throw invalid({ _form: "errors.invalid" });
  // Only an admin narrows by agency; everyone else's scope is one agency or fewer already.
  const filter = { ...parsed.data, agency: scope.kind === "all" ? parsed.data.agency : undefined };
  const page = await matrixPage(context.app.db, scope, filter);
  return { ...page, filter, window: filter.window ?? DEFAULT_WINDOW_DAYS };
}

// What the status filter offers: a cell that is not required is no one's status to look for.
const STATUS_CHOICES = STANDINGS.filter((s) => s !== "not_required");

const DATED_BY_EXPIRY: ReadonlySet<Standing> = new Set(["current", "expiring", "expired"]);

export default function Matrix() {
  const t = useT();
  const format = useFormat();
  const pick = useLocalised();
  const d = useLoaderData<typeof loader>();
  const f = d.filter;
  const exportQuery = filterParams(f, ["after"]);
  const cellText = (cell: Cell | undefined) => {
    if (!cell) return t("review.matrix.standing.not_required");
    const [standing, due, expires] = cell;
    const date = DATED_BY_EXPIRY.has(standing) ? expires : due;
    return date
      ? t(`review.matrix.cell.${standing}`, { date: format.date(date) })
      : t(`review.matrix.standing.${standing}`);
  };
  const courses = d.options.columns.filter((c) => c.key.startsWith("course:"));
  const modules = d.options.columns.filter((c) => c.key.startsWith("module:"));
  return (
    <div>
      <p className="breadcrumb">
        <Link to="/agency/records">{t("review.records.title")}</Link>
      </p>
      <h1>{t("review.matrix.title")}</h1>
      <p className="lead">{t("review.matrix.lead")}</p>
      <Form method="get" className="filters" role="search" aria-label={t("review.matrix.filtersLabel")}>
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
        <FilterSelect name="profession" label={t("review.matrix.profession")} value={f.profession}>
          {PROFESSIONS.map((p) => (
            <option key={p} value={p}>
              {t(`professions.${p}`)}
            </option>
          ))}
        </FilterSelect>
        <FilterSelect name="status" label={t("review.matrix.status")} value={f.status}>
          {STATUS_CHOICES.map((s) => (
            <option key={s} value={s}>
              {t(`review.matrix.standing.${s}`)}
            </option>
          ))}
        </FilterSelect>
        <FilterSelect name="course" label={t("review.matrix.column")} value={f.course}>
          {courses.length > 0 ? (
            <optgroup label={t("review.matrix.courses")}>
              {courses.map((c) => (
                <option key={c.key} value={c.key} lang={pick(c.title).lang}>
                  {pick(c.title).text}
                </option>
              ))}
            </optgroup>
          ) : null}
          {modules.length > 0 ? (
            <optgroup label={t("review.matrix.modules")}>
              {modules.map((c) => (
                <option key={c.key} value={c.key} lang={pick(c.title).lang}>
                  {pick(c.title).text}
                </option>
              ))}
            </optgroup>
          ) : null}
        </FilterSelect>
        <div className="field">
          <label htmlFor="window">{t("review.matrix.window")}</label>
          <input
            id="window"
            name="window"
            type="number"
            inputMode="numeric"
            min={1}
            max={365}
            defaultValue={d.window}
          />
        </div>
        <div className="field">
          <label htmlFor="q">{t("review.matrix.q")}</label>
          <input id="q" name="q" type="search" defaultValue={f.q ?? ""} maxLength={100} />
        </div>
        <button type="submit" className="button button-secondary">
          {t("review.apply")}
        </button>
        <Link to="/agency/matrix">{t("review.clear")}</Link>
      </Form>
      <p>
        <a className="button" href={`/agency/matrix/export${exportQuery ? `?${exportQuery}` : ""}`} download>
          {t("review.matrix.export")}
        </a>
      </p>
      <p className="hint">{t("review.matrix.exportHint")}</p>

      {d.total === 0 ? (
        <p>{t("review.matrix.none")}</p>
      ) : (
        <>
          <h2>{t("review.matrix.summary")}</h2>
          <div className="table-scroll" role="region" aria-labelledby="matrix-summary-caption" tabIndex={0}>
            <table className="table matrix-summary">
              <caption id="matrix-summary-caption">{t("review.matrix.summaryCaption", { n: d.total })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("review.matrix.column")}</th>
                  {STANDINGS.map((s) => (
                    <th scope="col" key={s} className="num">
                      {t(`review.matrix.standing.${s}`)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {d.columns.map((c) => (
                  <tr key={c.key}>
                    <th scope="row" lang={pick(c.title).lang}>
                      {pick(c.title).text}
                    </th>
                    {STANDINGS.map((s) => (
                      <td key={s} className="num">
                        {format.number(c.counts[s])}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">{t("review.matrix.all")}</th>
                  {STANDINGS.map((s) => (
                    <td key={s} className="num">
                      {format.number(d.totals[s])}
                    </td>
                  ))}
                </tr>
              </tfoot>
            </table>
          </div>

          <div className="table-scroll" role="region" aria-labelledby="matrix-caption" tabIndex={0}>
            <table className="table matrix">
              <caption id="matrix-caption">{t("review.matrix.caption")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("review.matrix.person")}</th>
                  {d.columns.map((c) => (
                    <th scope="col" key={c.key} lang={pick(c.title).lang}>
                      {pick(c.title).text}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {d.rows.map((r) => (
                  <tr key={r.id}>
                    <th scope="row">
                      <Link to={`/agency/people/${r.id}`}>{r.display_name}</Link>
                      {d.options.agencies.length > 0 ? <div className="hint">{r.agency_name}</div> : null}
                    </th>
                    {d.columns.map((c) => {
                      const cell = r.cells[c.key];
                      return (
                        <td key={c.key} className={`matrix-cell matrix-${cell?.[0] ?? "not_required"}`}>
                          <Link to={`/agency/people/${r.id}`}>{cellText(cell)}</Link>
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <KeysetPager filter={f} next={d.next} />
    </div>
  );
}

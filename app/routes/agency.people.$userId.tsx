// A person's record page: every module and course record, the exact module version, scores, dates,
// the certificate and its verification page, and whether each record's place in the chain checks
// out. Someone outside the reader's scope is as absent as an unknown id.
import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useFormat, useT } from "~/components/i18n";
import { L } from "~/components/localised";
import { rootLocale } from "~/components/page-title";
import { translate } from "~/i18n";
import { can } from "~/server/auth/policy.server";
import { scopeFor } from "~/server/auth/scope.server";
import { parseIdParam } from "~/server/http/fields.server";
import { forbidden, notFound, requireActor } from "~/server/http/guards.server";
import { auditLater } from "~/server/audit.server";
import { personForReview, personRecords, recordsViewed } from "~/server/review/person.server";

export const meta: MetaFunction<typeof loader> = ({ matches, data }) => {
  const locale = rootLocale(matches);
  const title = data ? translate(locale, "review.person.title", { name: data.person.display_name }) : "";
  return [{ title: `${title} — ${translate(locale, "app.name")}` }];
};

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  // No records reach at all: refused outright, before any id is looked up.
  if (scopeFor(actor, "records.view").kind === "none") forbidden();
  const userId = parseIdParam(params.userId) ?? notFound();
  const db = context.app.db;
  const person = (await personForReview(db, userId)) ?? notFound();
  const target = { agencyId: person.agency_id, userId: person.id, groupIds: person.groups.map((g) => g.id) };
  if (!can(actor, "records.view", target)) notFound();
  const at = new Date();
  const records = await personRecords(db, person.id);
  // Audited after the response (the event keeps the time of the view): see auditLater.
  const viewed = recordsViewed({
    actorId: actor.id,
    userId: person.id,
    agencyId: person.agency_id,
    records: records.length,
    at,
  });
  if (viewed) await auditLater(context.app, viewed);
  return { person, records, now: new Date().toISOString() };
}

export default function PersonRecords() {
  const t = useT();
  const format = useFormat();
  const { person, records, now } = useLoaderData<typeof loader>();
  const reason = (r: "content changed" | "chain broken" | "unknown algorithm") =>
    t(
      r === "content changed"
        ? "review.reason.content"
        : r === "chain broken"
          ? "review.reason.chain"
          : "records.reason.unknownAlgorithm",
    );
  return (
    <div>
      <p className="breadcrumb">
        <Link to="/agency/records">{t("review.person.back")}</Link>
      </p>
      <h1>{t("review.person.title", { name: person.display_name })}</h1>
      <p className="lead">{t("review.person.lead")}</p>
      <dl className="facts">
        <dt>{t("fields.email")}</dt>
        <dd>{person.email}</dd>
        <dt>{t("review.person.agency")}</dt>
        <dd>{person.agency_name}</dd>
        <dt>{t("fields.profession")}</dt>
        <dd>{t(`professions.${person.profession}`)}</dd>
        <dt>{t("review.person.groups")}</dt>
        <dd>{person.groups.length ? person.groups.map((g) => g.name).join(" / ") : t("review.person.noGroups")}</dd>
      </dl>
      {records.length === 0 ? (
        <p>{t("review.person.none")}</p>
      ) : (
        <table className="table">
          <caption className="visually-hidden">{t("review.person.title", { name: person.display_name })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("review.records.record")}</th>
              <th scope="col">{t("review.records.version")}</th>
              <th scope="col" className="num">
                {t("review.records.pretest")}
              </th>
              <th scope="col" className="num">
                {t("review.records.score")}
              </th>
              <th scope="col">{t("review.person.started")}</th>
              <th scope="col">{t("review.records.completed")}</th>
              <th scope="col">{t("review.records.expires")}</th>
              <th scope="col">{t("review.records.certificate")}</th>
              <th scope="col">{t("review.person.chain")}</th>
            </tr>
          </thead>
          <tbody>
            {records.map((r) => (
              <tr key={r.id}>
                <th scope="row">
                  <span className="badge">{t(`review.kind.${r.kind}`)}</span>{" "}
                  {r.kind === "course" && r.courseTitle ? <L text={r.courseTitle} /> : null}
                  {r.kind === "module" && r.moduleTitle ? <L text={r.moduleTitle} /> : null}
                  {r.holderName && r.holderName !== person.display_name ? (
                    <div className="hint">{t("review.person.issuedTo", { name: r.holderName })}</div>
                  ) : null}
                </th>
                <td>{r.moduleVersion !== null ? t("review.records.versionN", { n: r.moduleVersion }) : ""}</td>
                <td className="num">
                  {r.pretestScore !== null ? t("review.records.percent", { n: r.pretestScore }) : ""}
                </td>
                <td className="num">{r.score !== null ? t("review.records.percent", { n: r.score }) : ""}</td>
                <td>{r.startedAt ? format.date(r.startedAt, true) : ""}</td>
                <td>{format.date(r.completedAt, true)}</td>
                <td>
                  {format.date(r.expiresAt)}{" "}
                  <span className="hint">
                    ({t(new Date(r.expiresAt) > new Date(now) ? "review.status.current" : "review.status.expired")})
                  </span>
                </td>
                <td>
                  {r.certificateCode ? (
                    <Link to={`/verify/${r.certificateCode}`}>
                      {t("review.person.verify", { code: r.certificateCode })}
                    </Link>
                  ) : (
                    ""
                  )}
                </td>
                <td>
                  {r.place === null ? (
                    t("review.person.chainOk")
                  ) : (
                    <strong className="field-error">{t("review.person.chainBad", { reason: reason(r.place) })}</strong>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

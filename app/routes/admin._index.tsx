import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { useFormat, useT } from "~/components/i18n";
import { L } from "~/components/localised";
import { pageTitle } from "~/components/page-title";
import { authorize, requireActor } from "~/server/http/guards.server";
import { contentStatus } from "~/server/catalog/catalog.server";
import { platformCounts } from "~/server/org/overview.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "admin.title");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  authorize(actor, "agency.manage");
  const [counts, content] = await Promise.all([platformCounts(context.app.db), contentStatus(context.app.db)]);
  return { counts, content, mailKept: !context.app.config.smtpUrl };
}

export default function AdminHome() {
  const t = useT();
  const { counts, content, mailKept } = useLoaderData<typeof loader>();
  const format = useFormat();
  const [params] = useSearchParams();
  return (
    <div>
      <h1>{t("admin.title")}</h1>
      {params.has("welcome") ? (
        <p className="alert alert-success" role="status">
          {t("admin.welcome")}
        </p>
      ) : null}
      <ul className="cards">
        <li className="card">
          <h2>
            <Link to="/admin/agencies">{t("admin.agencies")}</Link>
          </h2>
          <p>{t("admin.agencyCount", { n: counts.agencies })}</p>
        </li>
        <li className="card">
          <h2>
            <Link to="/admin/users">{t("nav.people")}</Link>
          </h2>
          <p>{t("admin.userCount", { n: counts.users })}</p>
          <p>
            <Link to="/admin/users/invite">{t("invite.title")}</Link>
          </p>
        </li>
        <li className="card">
          <h2>
            <Link to="/admin/records">{t("records.title")}</Link>
          </h2>
          <p>{t("records.verify")}</p>
        </li>
        <li className="card">
          <h2>
            <Link to="/admin/outbox">{t("outbox.title")}</Link>
          </h2>
          <p>{mailKept ? t("outbox.keptNote") : t("outbox.smtpNote")}</p>
        </li>
        <li className="card">
          <h2>
            <Link to="/admin/security">{t("security.title")}</Link>
          </h2>
          <p>{t("security.card")}</p>
        </li>
      </ul>
      <section aria-labelledby="content-heading" className="panel">
        <h2 id="content-heading">{t("admin.content")}</h2>
        {content.latest ? (
          <>
            <p>
              {t(content.latest.ok ? "admin.syncOk" : "admin.syncFailed", {
                time: format.date(content.latest.at, true),
              })}
            </p>
            {content.latest.error ? <pre className="mail-body">{content.latest.error}</pre> : null}
            {!content.latest.ok && content.lastGood ? (
              <p>{t("admin.servingLastGood", { time: format.date(content.lastGood.at, true) })}</p>
            ) : null}
            {content.lastGood?.content_hash ? (
              <p className="hint">{t("admin.contentVersion", { hash: content.lastGood.content_hash.slice(0, 12) })}</p>
            ) : null}
          </>
        ) : (
          <p>{t("admin.neverSynced")}</p>
        )}
        {content.versions.length > 0 ? (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t("admin.module")}</th>
                <th scope="col" className="num">
                  {t("catalog.versionLabel")}
                </th>
              </tr>
            </thead>
            <tbody>
              {content.versions.map((v) => (
                <tr key={v.slug}>
                  <td>
                    <Link to={`/modules/${v.slug}`}>
                      <L text={v.title} />
                    </Link>
                  </td>
                  <td className="num">{v.latest_version}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
    </div>
  );
}

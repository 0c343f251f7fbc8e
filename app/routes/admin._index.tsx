import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData, useSearchParams } from "@remix-run/react";
import { useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { authorize, requireActor } from "~/server/http/guards";
import { platformCounts } from "~/server/org/overview";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "admin.title");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  authorize(actor, "agency.manage");
  return { counts: await platformCounts(context.app.db), mailKept: !context.app.config.smtpUrl };
}

export default function AdminHome() {
  const t = useT();
  const { counts, mailKept } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  return (
    <div>
      <h1>{t("admin.title")}</h1>
      {params.has("welcome") ? <p className="alert alert-success" role="status">{t("admin.welcome")}</p> : null}
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
            <Link to="/admin/outbox">{t("outbox.title")}</Link>
          </h2>
          <p>{mailKept ? t("outbox.keptNote") : t("outbox.smtpNote")}</p>
        </li>
      </ul>
    </div>
  );
}

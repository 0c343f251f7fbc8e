import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { requireActor } from "~/server/http/guards";
import { can } from "~/server/auth/policy";
import { getAgency } from "~/server/org/agencies";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "home.title");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  const agency = await getAgency(context.app.db, actor.agencyId);
  return {
    displayName: actor.user.displayName,
    roles: actor.user.roles,
    profession: actor.user.profession,
    agencyName: agency?.name ?? "",
    canInvite: can(actor, "user.invite", { agencyId: actor.agencyId, role: "trainee" }),
    canSeePeople: can(actor, "progress.view", { agencyId: actor.agencyId }),
    isAdmin: can(actor, "agency.manage"),
  };
}

export default function Home() {
  const t = useT();
  const d = useLoaderData<typeof loader>();
  return (
    <div>
      <h1>{t("home.greeting", { name: d.displayName })}</h1>
      <p className="lead">{t("home.lead")}</p>
      <dl className="facts">
        <div>
          <dt>{t("fields.agency")}</dt>
          <dd>{d.agencyName}</dd>
        </div>
        <div>
          <dt>{t("fields.profession")}</dt>
          <dd>{t(`professions.${d.profession}`)}</dd>
        </div>
        <div>
          <dt>{t("fields.roles")}</dt>
          <dd>{d.roles.map((r) => t(`roles.${r}`)).join(" / ")}</dd>
        </div>
      </dl>
      <section aria-labelledby="learning-heading" className="panel">
        <h2 id="learning-heading">{t("home.learningTitle")}</h2>
        <p>{t("home.learningBody")}</p>
        <p>
          <Link to="/courses">{t("home.browseCatalog")}</Link>
        </p>
      </section>
      {d.canInvite || d.canSeePeople || d.isAdmin ? (
        <section aria-labelledby="manage-heading" className="panel">
          <h2 id="manage-heading">{t("home.manageTitle")}</h2>
          <ul className="link-list">
            {d.canSeePeople ? (
              <li>
                <Link to="/admin/users">{t("nav.people")}</Link>
              </li>
            ) : null}
            {d.canInvite ? (
              <li>
                <Link to="/admin/users/invite">{t("invite.title")}</Link>
              </li>
            ) : null}
            {d.isAdmin ? (
              <li>
                <Link to="/admin">{t("nav.admin")}</Link>
              </li>
            ) : null}
          </ul>
        </section>
      ) : null}
    </div>
  );
}

import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { AssignmentSummary } from "~/components/assignment";
import { useT } from "~/components/i18n";
import { L } from "~/components/localised";
import { pageTitle } from "~/components/page-title";
import { ProgressBar } from "~/components/progress";
import { ASSIGNEE_STATES } from "../../db/schema";
import { assignmentsOverview } from "~/server/assignments/views.server";
import { scopeFor } from "~/server/auth/scope.server";
import { forbidden, requireActor } from "~/server/http/guards.server";
import { mayImport } from "~/server/invitations/bulk-import.server";
import { groupsInScope } from "~/server/training/group-trainers.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "training.title");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  const scope = scopeFor(actor, "progress.view");
  if (scope.kind === "none") forbidden();
  const db = context.app.db;
  const [groups, assignments] = await Promise.all([groupsInScope(db, scope), assignmentsOverview(db, actor)]);
  return {
    groups: groups.map((g) => ({ id: g.id, name: g.name, members: Number(g.members ?? 0) })),
    assignments,
    canAssign: scopeFor(actor, "course.assign").kind !== "none",
    canInvite: mayImport(actor),
  };
}

export default function Training() {
  const t = useT();
  const d = useLoaderData<typeof loader>();
  return (
    <div>
      <h1>{t("training.title")}</h1>
      <p className="lead">{t("training.lead")}</p>
      {d.canAssign || d.canInvite ? (
        <p className="inline-actions">
          {d.canAssign ? (
            <Link className="button" to="/training/assign">
              {t("training.assign")}
            </Link>
          ) : null}
          {d.canInvite ? (
            <Link className="button button-secondary" to="/training/invite">
              {t("training.inviteCsv")}
            </Link>
          ) : null}
        </p>
      ) : null}
      <section aria-labelledby="assignments-heading" className="panel">
        <h2 id="assignments-heading">{t("training.assignments")}</h2>
        {d.assignments.length === 0 ? <p>{t("training.none")}</p> : null}
        <ul className="course-progress">
          {d.assignments.map((a) => {
            const total = ASSIGNEE_STATES.reduce((n, s) => n + a.counts[s], 0);
            return (
              <li key={a.id}>
                <h3>
                  <Link to={`/training/assignments/${a.id}`}>
                    <L text={a.title} />
                  </Link>
                </h3>
                <p>
                  <AssignmentSummary a={a} />
                </p>
                <ProgressBar
                  percent={total === 0 ? 0 : Math.round((100 * a.counts.completed) / total)}
                  label={t("training.completedOf", { done: a.counts.completed, total })}
                />
                <ul className="counts">
                  {ASSIGNEE_STATES.map((s) => (
                    <li key={s}>
                      <Link to={`/training/assignments/${a.id}?state=${s}`}>
                        {t(`training.states.${s}`)}: {a.counts[s]}
                      </Link>
                    </li>
                  ))}
                </ul>
              </li>
            );
          })}
        </ul>
      </section>
      <section aria-labelledby="groups-heading" className="panel">
        <h2 id="groups-heading">{t("training.groups")}</h2>
        {d.groups.length === 0 ? <p>{t("training.noGroups")}</p> : null}
        <ul className="link-list">
          {d.groups.map((g) => (
            <li key={g.id}>
              {g.name} · {t("training.members", { n: g.members })}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}

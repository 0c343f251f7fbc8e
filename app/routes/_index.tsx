import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Facts } from "~/components/facts";
import { useFormat, useT } from "~/components/i18n";
import { L, useLocalised } from "~/components/localised";
import { ProgressBar } from "~/components/progress";
import { pageTitle } from "~/components/page-title";
import { requireActor } from "~/server/http/guards.server";
import { scopeFor } from "~/server/auth/scope.server";
import { can } from "~/server/auth/policy.server";
import { traineeDashboard } from "~/server/learning/dashboard.server";
import { assignedTo } from "~/server/assignments/views.server";
import { nextStep } from "~/server/learning/next-step.server";
import { NextStepButton } from "~/components/next-step";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "home.title");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  const [{ courses, last, certificates }, assigned] = await Promise.all([
    traineeDashboard(context.app.db, actor.id),
    assignedTo(context.app.db, actor.id),
  ]);
  const next = await nextStep(context.app.db, {
    profession: actor.user.profession,
    courses,
    last,
    certificates,
    assigned,
  });
  return {
    assigned,
    courses,
    next,
    certificates,
    displayName: actor.user.displayName,
    roles: actor.user.roles,
    profession: actor.user.profession,
    agencyName: actor.user.agencyName,
    canInvite: can(actor, "user.invite", { agencyId: actor.agencyId, role: "trainee" }),
    canSeePeople: scopeFor(actor, "progress.view").kind !== "none",
    isAdmin: can(actor, "agency.manage"),
  };
}

export default function Home() {
  const t = useT();
  const format = useFormat();
  const pick = useLocalised();
  const d = useLoaderData<typeof loader>();
  return (
    <div>
      <h1>{t("home.greeting", { name: d.displayName })}</h1>
      <p className="lead">{t("home.lead")}</p>
      <Facts
        items={[
          [t("fields.agency"), d.agencyName],
          [t("fields.profession"), t(`professions.${d.profession}`)],
          [t("fields.roles"), d.roles.map((r) => t(`roles.${r}`)).join(" / ")],
        ]}
      />
      <NextStepButton step={d.next} />
      {d.assigned.length > 0 ? (
        <section aria-labelledby="assigned-heading" className="panel">
          <h2 id="assigned-heading">{t("assigned.title")}</h2>
          <ul className="course-progress">
            {d.assigned.map((a) => (
              <li key={a.assignment_id}>
                <h3>
                  <Link to={a.course_slug ? `/courses/${a.course_slug}` : `/learn/${a.module_slug}`}>
                    <L text={a.title} />
                  </Link>
                </h3>
                <p>
                  <span className="nowrap">{t("assigned.due", { date: a.due_on })}</span>
                  {a.state === "overdue" || a.state === "renewal_due" ? (
                    <>
                      {" "}
                      · <strong className={`state-${a.state}`}>{t(`training.states.${a.state}`)}</strong>
                    </>
                  ) : null}
                  {a.assigned_by_name ? <> · {t("assigned.by", { name: a.assigned_by_name })}</> : null}
                </p>
                {a.note ? <p>{t("assigned.note", { note: a.note })}</p> : null}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <section aria-labelledby="learning-heading" className="panel">
        <h2 id="learning-heading">{t("learn.myCourses")}</h2>
        {d.courses.length === 0 ? <p>{t("learn.noCourses")}</p> : null}
        <ul className="course-progress">
          {d.courses.map((c) => (
            <li key={c.slug}>
              <h3>
                <Link to={`/courses/${c.slug}`}>
                  <L text={c.title} />
                </Link>
              </h3>
              <ProgressBar
                percent={c.percent}
                label={t("learn.courseProgress", { done: c.done, total: c.modules.length })}
              />
              {c.next ? (
                <p>
                  <Link to={`/learn/${c.next.slug}`}>{t("learn.nextLesson", { title: pick(c.next.title).text })}</Link>
                </p>
              ) : null}
            </li>
          ))}
        </ul>
        <p>{t("home.learningBody")}</p>
        <p>
          <Link to="/courses">{t("home.browseCatalog")}</Link>
        </p>
      </section>
      {d.certificates.length > 0 ? (
        <section aria-labelledby="certificates-heading" className="panel">
          <h2 id="certificates-heading">{t("learn.recentCertificates")}</h2>
          <ul className="link-list">
            {d.certificates.map((c) => (
              <li key={c.certificate_code}>
                {t("learn.certificateLine", {
                  course: pick(c.title).text,
                  date: format.date(c.completed_at),
                  code: c.certificate_code ?? "",
                })}{" "}
                · <a href={`/certificates/${c.certificate_code}`}>{t("learn.downloadPdf")}</a> ·{" "}
                <Link to={`/verify/${c.certificate_code}`}>{t("verify.title")}</Link>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
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

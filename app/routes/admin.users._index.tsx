import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { ErrorSummary } from "~/components/forms";
import { useFormat, useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { can } from "~/server/auth/policy.server";
import { listPendingInvitations } from "~/server/auth/invitations.server";
import { queryErrors, searchText } from "~/server/http/fields.server";
import { forbidden, requireActor } from "~/server/http/guards.server";
import { scopeFor } from "~/server/auth/scope.server";
import { listAgencies } from "~/server/org/agencies.server";
import { listUsers } from "~/server/org/users.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "users.title");

const Query = z.object({
  agency: z.uuid({ error: "errors.query.agency" }).optional(),
  q: searchText.optional(),
  page: z.coerce
    .number({ error: "errors.query.page" })
    .int({ error: "errors.query.page" })
    .min(1, { error: "errors.query.page" })
    .max(10_000, { error: "errors.query.page" })
    .optional(),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  const url = new URL(request.url);
  const parsed = Query.safeParse(Object.fromEntries([...url.searchParams].filter(([, v]) => v !== "")));
  const isAdmin = can(actor, "agency.manage");
  const scope = scopeFor(actor, "progress.view");
  if (scope.kind === "none") forbidden();
  if (!parsed.success) {
    // The page itself, with the message beside the field at fault and nothing searched (400).
    const agencies = isAdmin ? await listAgencies(context.app.db) : [];
    return data(
      {
        users: [],
        page: 1,
        hasMore: false,
        invitations: [],
        agencies: agencies.map((a) => ({ id: a.id, name: a.name })),
        filter: { agency: "", q: "" },
        canInvite: can(actor, "user.invite", { agencyId: actor.agencyId }),
        errors: queryErrors(parsed.error),
      },
      { status: 400 },
    );
  }
  // Only an admin chooses the agency; everyone else sees the people of their scope, whatever the URL asks.
  const agencyId = isAdmin ? parsed.data.agency : actor.agencyId;
  const db = context.app.db;
  const [list, invitations, agencies] = await Promise.all([
    listUsers(db, { scope, agencyId, query: parsed.data.q, page: parsed.data.page }),
    can(actor, "user.invite", { agencyId: agencyId ?? actor.agencyId })
      ? listPendingInvitations(db, agencyId)
      : Promise.resolve([]),
    isAdmin ? listAgencies(db) : Promise.resolve([]),
  ]);
  return {
    ...list,
    invitations,
    agencies: agencies.map((a) => ({ id: a.id, name: a.name })),
    filter: { agency: agencyId ?? "", q: parsed.data.q ?? "" },
    canInvite: can(actor, "user.invite", { agencyId: actor.agencyId }),
    errors: {} as Record<string, string>,
  };
}

export default function Users() {
  const t = useT();
  const format = useFormat();
  const d = useLoaderData<typeof loader>();
  const pageLink = (page: number) =>
    `?${new URLSearchParams({ ...(d.filter.agency ? { agency: d.filter.agency } : {}), ...(d.filter.q ? { q: d.filter.q } : {}), page: String(page) })}`;
  return (
    <div>
      <h1>{t("users.title")}</h1>
      {d.canInvite ? (
        <p>
          <Link className="button" to="/admin/users/invite">
            {t("invite.title")}
          </Link>
        </p>
      ) : null}
      <ErrorSummary state={{ errors: d.errors }} />
      <Form method="get" className="filters" role="search" aria-label={t("users.filter")}>
        {d.agencies.length > 0 ? (
          <div className={d.errors.agency ? "field has-error" : "field"}>
            <label htmlFor="agency">{t("fields.agency")}</label>
            <select
              id="agency"
              name="agency"
              defaultValue={d.filter.agency}
              aria-invalid={d.errors.agency ? true : undefined}
              aria-describedby={d.errors.agency ? "agency-error" : undefined}
            >
              <option value="">{t("users.allAgencies")}</option>
              {d.agencies.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
            {d.errors.agency ? (
              <p className="field-error" id="agency-error">
                {t(d.errors.agency)}
              </p>
            ) : null}
          </div>
        ) : null}
        <div className={d.errors.q ? "field has-error" : "field"}>
          <label htmlFor="q">{t("users.search")}</label>
          <input
            id="q"
            name="q"
            type="search"
            defaultValue={d.filter.q}
            maxLength={100}
            aria-invalid={d.errors.q ? true : undefined}
            aria-describedby={d.errors.q ? "q-error" : undefined}
          />
          {d.errors.q ? (
            <p className="field-error" id="q-error">
              {t(d.errors.q)}
            </p>
          ) : null}
        </div>
        <button type="submit" className="button button-secondary">
          {t("users.apply")}
        </button>
      </Form>
      {d.users.length === 0 ? (
        <p>{t("users.none")}</p>
      ) : (
        <table className="table">
          <caption className="visually-hidden">{t("users.title")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("fields.displayName")}</th>
              <th scope="col">{t("fields.email")}</th>
              <th scope="col">{t("fields.agency")}</th>
              <th scope="col">{t("fields.roles")}</th>
              <th scope="col">{t("fields.status")}</th>
            </tr>
          </thead>
          <tbody>
            {d.users.map((u) => (
              <tr key={u.id}>
                <td>
                  <Link to={`/admin/users/${u.id}`}>{u.display_name}</Link>
                </td>
                <td>{u.email}</td>
                <td>{u.agency_name}</td>
                <td>{u.roles.map((r) => t(`roles.${r}`)).join(" / ")}</td>
                <td>{u.disabled_at ? t("users.disabled") : t("users.active")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav className="pager" aria-label={t("users.pages")}>
        {d.page > 1 ? <Link to={pageLink(d.page - 1)}>{t("users.previous")}</Link> : null}
        {d.hasMore ? <Link to={pageLink(d.page + 1)}>{t("users.next")}</Link> : null}
      </nav>
      {d.invitations.length > 0 ? (
        <section aria-labelledby="pending-heading" className="panel">
          <h2 id="pending-heading">{t("users.pending")}</h2>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t("fields.email")}</th>
                <th scope="col">{t("fields.agency")}</th>
                <th scope="col">{t("fields.role")}</th>
                <th scope="col">{t("users.expires")}</th>
              </tr>
            </thead>
            <tbody>
              {d.invitations.map((i) => (
                <tr key={i.id}>
                  <td>{i.email}</td>
                  <td>{i.agency_name}</td>
                  <td>{t(`roles.${i.role}`)}</td>
                  <td>{format.date(i.expires_at, true)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {d.canInvite ? (
            <p>
              <Link to="/admin/users/invite#pending-heading">{t("invite.manage")}</Link>
            </p>
          ) : null}
        </section>
      ) : null}
    </div>
  );
}

import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { ErrorSummary, Field, SelectField, SubmitButton } from "~/components/forms";
import { useFormat, useT } from "~/components/i18n";
import { professionOptions, roleOptions } from "~/components/options";
import { pageTitle } from "~/components/page-title";
import {
  invite,
  listPendingInvitations,
  resendInvitation,
  revokeInvitation,
  type InvitationSent,
} from "~/server/auth/invitations.server";
import { can } from "~/server/auth/policy.server";
import { email, id, profession, role } from "~/server/http/fields.server";
import { authorize, fromDomainError, invalid, readForm, requireActor } from "~/server/http/guards.server";
import { listAgencies } from "~/server/org/agencies.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "invite.title");

const InviteForm = z.object({ intent: z.literal("invite").optional(), email, agencyId: id, role, profession });
const ChangeForm = z.object({ intent: z.enum(["resend", "revoke"]), invitationId: id });

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  authorize(actor, "user.invite", { agencyId: actor.agencyId, role: "trainee" });
  const isAdmin = can(actor, "agency.manage");
  const { db } = context.app;
  const [all, pending] = await Promise.all([
    listAgencies(db),
    listPendingInvitations(db, isAdmin ? undefined : actor.agencyId),
  ]);
  const agencies = isAdmin ? all : all.filter((a) => a.id === actor.agencyId);
  return {
    agencies: agencies.map((a) => ({ value: a.id, label: a.name })),
    ownAgency: actor.agencyId,
    trainerOnly: !isAdmin,
    // Only the invitations this person could have sent: those they may send again or withdraw.
    pending: pending
      .filter((i) => can(actor, "user.invite", { agencyId: i.agency_id, role: i.role }))
      .map((i) => ({
        id: i.id,
        email: i.email,
        role: i.role,
        agencyName: i.agency_name,
        expiresAt: i.expires_at,
      })),
  };
}

/** After a send: a redirect when the mail went out; else the link, in this one answer only. */
function afterSend(sent: InvitationSent) {
  if (sent.delivery === "queued") return redirect(`/admin/users/invite?sent=${encodeURIComponent(sent.email)}`);
  return data({ ok: true as const, email: sent.email, link: sent.link, delivery: sent.delivery });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(context, request);
  const { app } = context;
  const intent = (
    await request
      .clone()
      .formData()
      .catch(() => null)
  )?.get("intent");
  if (intent === "resend" || intent === "revoke") {
    const form = await readForm(request, ChangeForm);
    if (!form.ok) return invalid({ _form: "errors.invalid" });
    try {
      if (form.data.intent === "resend") {
        return afterSend(
          await resendInvitation(app.db, app.mailer, app.config.publicUrl, actor, form.data.invitationId),
        );
      }
      const { email: revoked } = await revokeInvitation(app.db, actor, form.data.invitationId);
      return redirect(`/admin/users/invite?revoked=${encodeURIComponent(revoked)}`);
    } catch (error) {
      return fromDomainError(error);
    }
  }
  const form = await readForm(request, InviteForm);
  if (!form.ok) return invalid(form.errors, form.values);
  try {
    return afterSend(await invite(app.db, app.mailer, app.config.publicUrl, actor, form.data));
  } catch (error) {
    return fromDomainError(error, form.values);
  }
}

export default function Invite() {
  const t = useT();
  const format = useFormat();
  const d = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const state = result && !("link" in result) ? result : undefined;
  const kept = result && "link" in result ? result : undefined;
  const [params] = useSearchParams();
  const sent = params.get("sent");
  const revoked = params.get("revoked");
  const roles = roleOptions(t).filter((r) => !d.trainerOnly || r.value === "trainee");
  return (
    <div className="narrow">
      <h1>{t("invite.title")}</h1>
      <p className="lead">{t("invite.lead")}</p>
      {kept ? (
        <section className="alert alert-info" role="status" aria-labelledby="not-sent-heading">
          <h2 id="not-sent-heading">{t("invite.notSentTitle")}</h2>
          <p>{t("invite.kept", { email: kept.email })}</p>
          <p>
            <label htmlFor="invitation-link">{t("invite.linkLabel", { email: kept.email })}</label>
            <input id="invitation-link" className="link-to-pass-on" type="text" readOnly value={kept.link} />
          </p>
        </section>
      ) : null}
      {sent && !kept ? (
        <p className="alert alert-success" role="status">
          {t("invite.sent", { email: sent })}
        </p>
      ) : null}
      {revoked && !kept ? (
        <p className="alert alert-success" role="status">
          {t("invite.revoked", { email: revoked })}
        </p>
      ) : null}
      <ErrorSummary state={state} />
      <Form method="post" className="stack" noValidate>
        <input type="hidden" name="intent" value="invite" />
        <Field name="email" type="email" label={t("fields.email")} autoComplete="off" required state={state} />
        <SelectField
          name="agencyId"
          label={t("fields.agency")}
          options={d.agencies}
          defaultValue={d.ownAgency}
          state={state}
        />
        <SelectField name="role" label={t("fields.role")} options={roles} defaultValue="trainee" state={state} />
        <SelectField name="profession" label={t("fields.profession")} options={professionOptions(t)} state={state} />
        <p className="hint">{t("invite.supersedes")}</p>
        <SubmitButton>{t("invite.submit")}</SubmitButton>
      </Form>
      <section aria-labelledby="pending-heading" className="panel">
        <h2 id="pending-heading">{t("invite.pendingTitle")}</h2>
        {d.pending.length === 0 ? (
          <p>{t("invite.pendingNone")}</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t("fields.email")}</th>
                {d.trainerOnly ? null : <th scope="col">{t("fields.agency")}</th>}
                <th scope="col">{t("fields.role")}</th>
                <th scope="col">{t("users.expires")}</th>
                <th scope="col">{t("invite.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {d.pending.map((i) => (
                <tr key={i.id}>
                  <td>{i.email}</td>
                  {d.trainerOnly ? null : <td>{i.agencyName}</td>}
                  <td>{t(`roles.${i.role}`)}</td>
                  <td>{format.date(i.expiresAt, true)}</td>
                  <td>
                    <Form method="post" className="inline-actions">
                      <input type="hidden" name="invitationId" value={i.id} />
                      <button
                        type="submit"
                        name="intent"
                        value="resend"
                        className="button button-secondary button-small"
                        aria-label={t("invite.resendLabel", { email: i.email })}
                      >
                        {t("invite.resend")}
                      </button>
                      <button
                        type="submit"
                        name="intent"
                        value="revoke"
                        className="button button-secondary button-small"
                        aria-label={t("invite.revokeLabel", { email: i.email })}
                      >
                        {t("invite.revoke")}
                      </button>
                    </Form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { ErrorSummary, Field, SelectField, SubmitButton } from "~/components/forms";
import { useT } from "~/components/i18n";
import { professionOptions, roleOptions } from "~/components/options";
import { pageTitle } from "~/components/page-title";
import { invite } from "~/server/auth/invitations.server";
import { can } from "~/server/auth/policy.server";
import { email, id, profession, role } from "~/server/http/fields.server";
import { authorize, fromDomainError, invalid, readForm, requireActor } from "~/server/http/guards.server";
import { listAgencies } from "~/server/org/agencies.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "invite.title");

const InviteForm = z.object({ email, agencyId: id, role, profession });

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  authorize(actor, "user.invite", { agencyId: actor.agencyId, role: "trainee" });
  const isAdmin = can(actor, "agency.manage");
  const agencies = isAdmin
    ? await listAgencies(context.app.db)
    : (await listAgencies(context.app.db)).filter((a) => a.id === actor.agencyId);
  return {
    agencies: agencies.map((a) => ({ value: a.id, label: a.name })),
    ownAgency: actor.agencyId,
    trainerOnly: !isAdmin,
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(context, request);
  const form = await readForm(request, InviteForm);
  if (!form.ok) return invalid(form.errors, form.values);
  try {
    const { app } = context;
    await invite(app.db, app.mailer, app.config.publicUrl, actor, form.data);
  } catch (error) {
    return fromDomainError(error, form.values);
  }
  return redirect(`/admin/users/invite?sent=${encodeURIComponent(form.data.email)}`);
}

export default function Invite() {
  const t = useT();
  const d = useLoaderData<typeof loader>();
  const state = useActionData<typeof action>();
  const [params] = useSearchParams();
  const sent = params.get("sent");
  const roles = roleOptions(t).filter((r) => !d.trainerOnly || r.value === "trainee");
  return (
    <div className="narrow">
      <h1>{t("invite.title")}</h1>
      <p className="lead">{t("invite.lead")}</p>
      {sent ? (
        <p className="alert alert-success" role="status">
          {t("invite.sent", { email: sent })}
        </p>
      ) : null}
      <ErrorSummary state={state} />
      <Form method="post" className="stack" noValidate>
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
        <SubmitButton>{t("invite.submit")}</SubmitButton>
      </Form>
    </div>
  );
}

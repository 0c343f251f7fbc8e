import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { Facts } from "~/components/facts";
import { ErrorSummary, Field, SelectField, SubmitButton } from "~/components/forms";
import { localeOptions } from "~/components/options";
import { useLocale, useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { TokenProblem } from "~/components/token-problem";
import { acceptInvitation, inspectInvitation } from "~/server/auth/invitations.server";
import { displayName, isTokenShaped, locale, newPassword } from "~/server/http/fields.server";
import { fromDomainError, invalid, readForm, tokenPageStatus } from "~/server/http/guards.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "acceptInvite.title");

const AcceptForm = z.object({ displayName, password: newPassword, locale });

export async function loader({ params, context }: LoaderFunctionArgs) {
  const view = isTokenShaped(params.token)
    ? await inspectInvitation(context.app.db, params.token)
    : { status: "unknown" as const };
  return data(view, { status: tokenPageStatus(view.status), headers: { "Cache-Control": "no-store" } });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  if (!isTokenShaped(params.token)) return invalid({ _form: "errors.token.unknown" });
  const form = await readForm(request, AcceptForm);
  if (!form.ok) return invalid(form.errors, form.values);
  const { app } = context;
  let userId: string;
  try {
    ({ userId } = await acceptInvitation(app.db, app.config.argon2, params.token, form.data));
  } catch (error) {
    return fromDomainError(error, form.values);
  }
  const cookie = await app.sessions.start(userId, {
    userAgent: request.headers.get("user-agent"),
    cookieHeader: request.headers.get("cookie"),
  });
  return redirect("/?welcome=1", { headers: { "Set-Cookie": cookie } });
}

export default function AcceptInvitation() {
  const t = useT();
  const current = useLocale();
  const view = useLoaderData<typeof loader>();
  const state = useActionData<typeof action>();
  if (view.status !== "valid") return <TokenProblem kind="invite" status={view.status} />;
  return (
    <div className="narrow">
      <h1>{t("acceptInvite.title")}</h1>
      <p className="lead">{t("acceptInvite.lead", { agency: view.agencyName, role: t(`roles.${view.role}`) })}</p>
      <Facts items={[[t("fields.email"), view.email]]} />
      <ErrorSummary state={state} />
      <Form method="post" className="stack" noValidate>
        <Field
          name="displayName"
          label={t("fields.displayName")}
          autoComplete="name"
          defaultValue={view.displayName ?? undefined}
          required
          hint={t("acceptInvite.nameHint")}
          state={state}
        />
        <Field
          name="password"
          type="password"
          label={t("fields.newPassword")}
          autoComplete="new-password"
          required
          hint={t("password.rules")}
          state={state}
        />
        <SelectField
          name="locale"
          label={t("fields.locale")}
          defaultValue={current}
          state={state}
          options={localeOptions()}
        />
        <SubmitButton>{t("acceptInvite.submit")}</SubmitButton>
      </Form>
    </div>
  );
}

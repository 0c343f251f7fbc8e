import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { ErrorSummary, Field, SelectField, SubmitButton } from "~/components/forms";
import { useLocale, useT } from "~/components/i18n";
import { agencyKindOptions, localeOptions, professionOptions } from "~/components/options";
import { pageTitle } from "~/components/page-title";
import { TokenProblem } from "~/components/token-problem";
import { createFirstAdmin, inspectSetupToken } from "~/server/auth/first-admin.server";
import {
  agencyKind,
  displayName,
  email,
  isTokenShaped,
  locale,
  newPassword,
  profession,
  shortName,
} from "~/server/http/fields.server";
import { fromDomainError, invalid, readForm, tokenPageStatus } from "~/server/http/guards.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "setup.title");

const SetupForm = z.object({
  agencyName: shortName,
  agencyKind,
  displayName,
  email,
  password: newPassword,
  profession,
  locale,
});

export async function loader({ params, context }: LoaderFunctionArgs) {
  const status = isTokenShaped(params.token) ? await inspectSetupToken(context.app.db, params.token) : "unknown";
  return data({ status }, { status: tokenPageStatus(status), headers: { "Cache-Control": "no-store" } });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  if (!isTokenShaped(params.token)) return invalid({ _form: "errors.token.unknown" });
  const form = await readForm(request, SetupForm);
  if (!form.ok) return invalid(form.errors, form.values);
  const { app } = context;
  let userId: string;
  try {
    ({ userId } = await createFirstAdmin(app.db, app.config.argon2, params.token, form.data));
  } catch (error) {
    return fromDomainError(error, form.values);
  }
  const cookie = await app.sessions.start(userId, {
    userAgent: request.headers.get("user-agent"),
    cookieHeader: request.headers.get("cookie"),
  });
  return redirect("/admin?welcome=1", { headers: { "Set-Cookie": cookie } });
}

export default function Setup() {
  const t = useT();
  const current = useLocale();
  const { status } = useLoaderData<typeof loader>();
  const state = useActionData<typeof action>();
  if (status !== "valid") return <TokenProblem kind="setup" status={status} />;
  return (
    <div className="narrow">
      <h1>{t("setup.title")}</h1>
      <p className="lead">{t("setup.lead")}</p>
      <ErrorSummary state={state} />
      <Form method="post" className="stack" noValidate>
        <fieldset>
          <legend>{t("setup.agency")}</legend>
          <Field name="agencyName" label={t("fields.agencyName")} required state={state} />
          <SelectField name="agencyKind" label={t("fields.agencyKind")} options={agencyKindOptions(t)} state={state} />
        </fieldset>
        <fieldset>
          <legend>{t("setup.admin")}</legend>
          <Field name="displayName" label={t("fields.displayName")} autoComplete="name" required state={state} />
          <Field name="email" type="email" label={t("fields.email")} autoComplete="email" required state={state} />
          <Field
            name="password"
            type="password"
            label={t("fields.newPassword")}
            autoComplete="new-password"
            required
            hint={t("password.rules")}
            state={state}
          />
          <SelectField name="profession" label={t("fields.profession")} options={professionOptions(t)} state={state} />
          <SelectField
            name="locale"
            label={t("fields.locale")}
            defaultValue={current}
            options={localeOptions()}
            state={state}
          />
        </fieldset>
        <SubmitButton>{t("setup.submit")}</SubmitButton>
      </Form>
    </div>
  );
}

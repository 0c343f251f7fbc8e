import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { ErrorSummary, Field, SubmitButton } from "~/components/forms";
import { useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { TokenProblem } from "~/components/token-problem";
import { completePasswordReset, inspectReset } from "~/server/auth/password-reset.server";
import { isTokenShaped, newPassword } from "~/server/http/fields.server";
import { fromDomainError, invalid, readForm, tokenPageStatus } from "~/server/http/guards.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "reset.title");

export async function loader({ params, context }: LoaderFunctionArgs) {
  const status = isTokenShaped(params.token) ? await inspectReset(context.app.db, params.token) : "unknown";
  return data({ status }, { status: tokenPageStatus(status), headers: { "Cache-Control": "no-store" } });
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  if (!isTokenShaped(params.token)) return invalid({ _form: "errors.token.unknown" });
  const form = await readForm(request, z.object({ password: newPassword }));
  if (!form.ok) return invalid(form.errors);
  try {
    await completePasswordReset(context.app.db, context.app.config.argon2, params.token, form.data.password);
  } catch (error) {
    return fromDomainError(error);
  }
  return redirect("/sign-in?reset=1", { headers: { "Set-Cookie": context.app.sessions.blankCookie() } });
}

export default function ResetPassword() {
  const t = useT();
  const { status } = useLoaderData<typeof loader>();
  const state = useActionData<typeof action>();
  if (status !== "valid") return <TokenProblem kind="reset" status={status} />;
  return (
    <div className="narrow">
      <h1>{t("reset.title")}</h1>
      <ErrorSummary state={state} />
      <Form method="post" className="stack" noValidate>
        <Field
          name="password"
          type="password"
          label={t("fields.newPassword")}
          autoComplete="new-password"
          required
          hint={t("password.rules")}
          state={state}
        />
        <SubmitButton>{t("reset.submit")}</SubmitButton>
      </Form>
    </div>
  );
}

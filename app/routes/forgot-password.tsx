import type { ActionFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData } from "@remix-run/react";
import { z } from "zod";
import { ErrorSummary, Field, SubmitButton } from "~/components/forms";
import { useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { requestPasswordReset } from "~/server/auth/password-reset.server";
import { email } from "~/server/http/fields.server";
import { invalid, readForm } from "~/server/http/guards.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "forgot.title");

const ForgotForm = z.object({ email });

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request, ForgotForm);
  if (!form.ok) return invalid(form.errors, form.values);
  const { app } = context;
  // The same answer, at once, whether or not the address has an account: the lookup and the mail
  // happen after it, so the time it takes tells nothing either.
  await app.tasks.run("password reset request", () =>
    requestPasswordReset(app.db, app.mailer, app.config.publicUrl, form.data.email),
  );
  return { ok: true as const, sent: true };
}

export default function ForgotPassword() {
  const t = useT();
  const state = useActionData<typeof action>();
  if (state && "sent" in state) {
    return (
      <div className="narrow">
        <h1>{t("forgot.title")}</h1>
        <p className="alert alert-info" role="status">
          {t("forgot.sent")}
        </p>
        <p>
          <Link to="/sign-in">{t("actions.backToSignIn")}</Link>
        </p>
      </div>
    );
  }
  return (
    <div className="narrow">
      <h1>{t("forgot.title")}</h1>
      <p className="lead">{t("forgot.lead")}</p>
      <ErrorSummary state={state} />
      <Form method="post" className="stack" noValidate>
        <Field name="email" type="email" label={t("fields.email")} autoComplete="email" required state={state} />
        <SubmitButton>{t("forgot.submit")}</SubmitButton>
      </Form>
      <p>
        <Link to="/sign-in">{t("actions.backToSignIn")}</Link>
      </p>
    </div>
  );
}

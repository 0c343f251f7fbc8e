import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { signedInHeaders } from "~/server/http/signed-in.server";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { ErrorSummary, Field, SubmitButton } from "~/components/forms";
import { useFormat, useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { signIn } from "~/server/auth/accounts.server";
import { readKnownDevice } from "~/server/auth/devices.server";
import { challengeCookie, mustEnrolSecondFactor, startChallenge } from "~/server/auth/mfa.server";
import { hasNoControlCharacters } from "~/server/http/fields.server";
import { invalid, readForm } from "~/server/http/guards.server";
import { safeRedirectPath } from "~/server/http/redirect.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "signIn.title");

const SignInForm = z.object({
  email: z
    .string()
    .trim()
    .min(1, { error: "errors.email.required" })
    .max(254, { error: "errors.email.invalid" })
    .refine(hasNoControlCharacters, { error: "errors.email.invalid" }),
  password: z.string().min(1, { error: "errors.password.required" }).max(1024, { error: "errors.password.too_long" }),
  // Checked by safeRedirectPath: anything but a path on this site leads home.
  next: z.unknown().optional(),
});

export function loader({ context, request }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  if (context.user) throw redirect(safeRedirectPath(url.searchParams.get("next"), context.app.config.publicUrl));
  return {
    signedOut: url.searchParams.has("signedOut"),
    reset: url.searchParams.has("reset"),
    expired: url.searchParams.has("expired"),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request, SignInForm);
  if (!form.ok) return invalid(form.errors, form.values);
  const { app } = context;
  const cookies = request.headers.get("cookie");
  const result = await signIn(app.db, app.config.argon2, {
    email: form.data.email,
    password: form.data.password,
    address: context.clientAddress,
    device: readKnownDevice(cookies, app.config.secureCookies),
  });
  if (!result.ok) {
    // One message for an unknown e-mail and a wrong password: the form must not reveal who has an account.
    const status = result.reason === "throttled" ? 429 : 400;
    const errors =
      result.reason === "throttled" ? { _form: "errors.signIn.throttled" } : { _form: "errors.signIn.invalid" };
    return data(
      {
        ok: false as const,
        errors,
        values: form.values,
        retryAt: result.reason === "throttled" ? result.retryAt.toISOString() : null,
      },
      { status },
    );
  }
  const next = safeRedirectPath(form.data.next, app.config.publicUrl);
  if (result.secondFactor) {
    // The right password opens only the second-factor page, for a few minutes: not a session.
    const token = await startChallenge(app.db, result.userId);
    return redirect(`/sign-in/second-factor?next=${encodeURIComponent(next)}`, {
      headers: { "Set-Cookie": challengeCookie(token, app.config.secureCookies) },
    });
  }
  const headers = await signedInHeaders(app, request, result.userId, { afterSecondStep: false });
  // A role that must have a second factor, and none set up: setting one up comes before anything else.
  const target = (await mustEnrolSecondFactor(app.db, result.userId))
    ? `/account/two-factor?required=1&next=${encodeURIComponent(next)}`
    : next;
  return redirect(target, { headers });
}

export default function SignIn() {
  const t = useT();
  const format = useFormat();
  const state = useActionData<typeof action>();
  const { signedOut, reset, expired } = useLoaderData<typeof loader>();
  const [params] = useSearchParams();
  const retryAt = state && "retryAt" in state ? state.retryAt : null;
  return (
    <div className="narrow">
      <h1>{t("signIn.title")}</h1>
      <p className="lead">{t("signIn.lead")}</p>
      {signedOut ? (
        <p className="alert alert-info" role="status">
          {t("signIn.signedOut")}
        </p>
      ) : null}
      {reset ? (
        <p className="alert alert-info" role="status">
          {t("signIn.afterReset")}
        </p>
      ) : null}
      {expired ? (
        <p className="alert alert-info" role="status">
          {t("signIn.challengeExpired")}
        </p>
      ) : null}
      <ErrorSummary state={state} />
      {retryAt ? <p className="hint">{t("signIn.retryAt", { time: format.date(retryAt, true) })}</p> : null}
      <Form method="post" className="stack" noValidate>
        <input type="hidden" name="next" value={params.get("next") ?? "/"} />
        <Field name="email" type="email" label={t("fields.email")} autoComplete="username" required state={state} />
        <Field
          name="password"
          type="password"
          label={t("fields.password")}
          autoComplete="current-password"
          required
          state={state}
        />
        <SubmitButton>{t("signIn.submit")}</SubmitButton>
      </Form>
      <p>
        <Link to="/forgot-password">{t("signIn.forgot")}</Link>
      </p>
    </div>
  );
}

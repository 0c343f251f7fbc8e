// Confirming it is the person before a change to how they sign in, or before ending sessions
// (ASVS 7.5.1, 7.5.2): the password again, under the sign-in throttle, then the second step when
// they have one, exactly as at sign-in. What comes out is a new session, whose start counts as a
// recent sign-in for five minutes (ADR 024).
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { ErrorSummary, Field, SubmitButton } from "~/components/forms";
import { useFormat, useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { signIn } from "~/server/auth/accounts.server";
import { readKnownDevice } from "~/server/auth/devices.server";
import { challengeCookie, startChallenge } from "~/server/auth/mfa.server";
import { invalid, readForm, requireUser } from "~/server/http/guards.server";
import { safeRedirectPath } from "~/server/http/redirect.server";
import { signedInHeaders } from "~/server/http/signed-in.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "confirmSignIn.title");

const ConfirmForm = z.object({
  password: z.string().min(1, { error: "errors.password.required" }).max(1024, { error: "errors.password.too_long" }),
  // Checked by safeRedirectPath: anything but a path on this site leads home.
  next: z.unknown().optional(),
});

export function loader({ request, context }: LoaderFunctionArgs) {
  const user = requireUser(context, request, { withoutSecondFactor: true });
  return {
    email: user.email,
    secondFactor: user.mfaEnrolled,
    next: safeRedirectPath(new URL(request.url).searchParams.get("next"), context.app.config.publicUrl),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = requireUser(context, request, { withoutSecondFactor: true });
  const { app } = context;
  const form = await readForm(request, ConfirmForm);
  if (!form.ok) return invalid(form.errors, form.values);
  const cookies = request.headers.get("cookie");
  const result = await signIn(app.db, app.config.argon2, {
    email: user.email,
    password: form.data.password,
    address: context.clientAddress,
    device: readKnownDevice(cookies, app.config.secureCookies),
  });
  if (!result.ok) {
    const throttled = result.reason === "throttled";
    return data(
      {
        ok: false as const,
        errors: { password: throttled ? "errors.password.throttled" : "errors.password.wrongCurrent" },
        values: form.values,
        retryAt: throttled ? result.retryAt.toISOString() : null,
      },
      { status: throttled ? 429 : 400 },
    );
  }
  const next = safeRedirectPath(form.data.next, app.config.publicUrl);
  if (result.secondFactor) {
    // This session ends here; the next begins only after the second step, as at sign-in.
    const token = await startChallenge(app.db, result.userId);
    const headers = new Headers();
    headers.append("Set-Cookie", await app.sessions.end(context.sessionToken!));
    headers.append("Set-Cookie", challengeCookie(token, app.config.secureCookies));
    return redirect(`/sign-in/second-factor?next=${encodeURIComponent(next)}`, { headers });
  }
  return redirect(next, { headers: await signedInHeaders(app, request, result.userId, { afterSecondStep: false }) });
}

export default function ConfirmSignIn() {
  const t = useT();
  const format = useFormat();
  const d = useLoaderData<typeof loader>();
  const state = useActionData<typeof action>();
  const retryAt = state && "retryAt" in state ? state.retryAt : null;
  return (
    <div className="narrow">
      <h1>{t("confirmSignIn.title")}</h1>
      <p className="lead">{t(d.secondFactor ? "confirmSignIn.leadSecondFactor" : "confirmSignIn.lead")}</p>
      <p>{t("confirmSignIn.signedInAs", { email: d.email })}</p>
      <ErrorSummary state={state} />
      {retryAt ? <p className="hint">{t("signIn.retryAt", { time: format.date(retryAt, true) })}</p> : null}
      <Form method="post" className="stack" noValidate>
        <input type="hidden" name="next" value={d.next} />
        <Field
          name="password"
          type="password"
          label={t("fields.password")}
          autoComplete="current-password"
          required
          state={state}
        />
        <SubmitButton>{t("confirmSignIn.submit")}</SubmitButton>
      </Form>
    </div>
  );
}

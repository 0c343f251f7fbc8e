import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { signedInHeaders } from "~/server/http/signed-in.server";
import { Form, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { ErrorSummary, Field, SubmitButton } from "~/components/forms";
import { useFormat, useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import {
  blankChallengeCookie,
  completeSecondFactor,
  endChallenge,
  readChallenge,
  readChallengeCookie,
  secondFactorStatus,
} from "~/server/auth/mfa.server";
import { UsePasskey } from "~/components/passkeys";
import { invalid, readForm } from "~/server/http/guards.server";
import { safeRedirectPath } from "~/server/http/redirect.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "secondFactor.title");

const CodeForm = z.discriminatedUnion(
  "intent",
  [
    z.object({
      intent: z.literal("code"),
      code: z.string().trim().min(1, { error: "errors.mfa.codeRequired" }).max(64, { error: "errors.mfa.wrongCode" }),
      next: z.unknown().optional(),
    }),
    z.object({ intent: z.literal("cancel") }),
  ],
  { error: "errors.invalid" },
);

export async function loader({ request, context }: LoaderFunctionArgs) {
  const { app } = context;
  const url = new URL(request.url);
  if (context.user) throw redirect(safeRedirectPath(url.searchParams.get("next"), app.config.publicUrl));
  const token = readChallengeCookie(request.headers.get("cookie"), app.config.secureCookies);
  // Without a live challenge (none, expired, used) there is nothing to answer: back to the password.
  const pending = await readChallenge(app.db, token);
  if (!pending) throw redirect("/sign-in?expired=1");
  return { passkeys: (await secondFactorStatus(app.db, pending.user_id)).passkeys > 0 };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { app } = context;
  const secure = app.config.secureCookies;
  const token = readChallengeCookie(request.headers.get("cookie"), secure);
  const form = await readForm(request, CodeForm);
  if (!form.ok) return invalid(form.errors, form.values);
  if (form.data.intent === "cancel") {
    await endChallenge(app.db, token);
    return redirect("/sign-in", { headers: { "Set-Cookie": blankChallengeCookie(secure) } });
  }
  const result = await completeSecondFactor(app.db, {
    token,
    code: form.data.code,
    address: context.clientAddress,
  });
  if (!result.ok) {
    if (result.reason === "expired")
      return redirect("/sign-in?expired=1", { headers: { "Set-Cookie": blankChallengeCookie(secure) } });
    const throttled = result.reason === "throttled";
    return data(
      {
        ok: false as const,
        errors: { code: throttled ? "errors.mfa.throttled" : "errors.mfa.wrongCode" },
        values: form.values,
        retryAt: throttled ? result.retryAt.toISOString() : null,
      },
      { status: throttled ? 429 : 400 },
    );
  }
  const headers = await signedInHeaders(app, request, result.userId, { afterSecondStep: true });
  const next = safeRedirectPath(form.data.next, app.config.publicUrl);
  return redirect(result.factor === "recovery_code" ? "/account/two-factor?usedRecoveryCode=1" : next, { headers });
}

export default function SecondFactor() {
  const t = useT();
  const format = useFormat();
  const { passkeys } = useLoaderData<typeof loader>();
  const state = useActionData<typeof action>();
  const [params] = useSearchParams();
  const retryAt = state && "retryAt" in state ? state.retryAt : null;
  return (
    <div className="narrow">
      <h1>{t("secondFactor.title")}</h1>
      <p className="lead">{t("secondFactor.lead")}</p>
      <ErrorSummary state={state} />
      {retryAt ? <p className="hint">{t("signIn.retryAt", { time: format.date(retryAt, true) })}</p> : null}
      <Form method="post" className="stack" noValidate>
        <input type="hidden" name="intent" value="code" />
        <input type="hidden" name="next" value={params.get("next") ?? "/"} />
        <Field
          name="code"
          label={t("secondFactor.code")}
          hint={t("secondFactor.codeHint")}
          autoComplete="one-time-code"
          required
          state={state}
        />
        <SubmitButton>{t("secondFactor.submit")}</SubmitButton>
      </Form>
      {passkeys ? <UsePasskey next={params.get("next") ?? "/"} /> : null}
      <Form method="post">
        <input type="hidden" name="intent" value="cancel" />
        <button type="submit" className="link-button">
          {t("secondFactor.cancel")}
        </button>
      </Form>
      <p className="hint">{t("secondFactor.lost")}</p>
    </div>
  );
}

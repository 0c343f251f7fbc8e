import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { ErrorSummary, Field, SubmitButton } from "~/components/forms";
import { useFormat, useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import {
  confirmTotpEnrolment,
  disableTotp,
  pendingTotpEnrolment,
  regenerateRecoveryCodes,
  secondFactorStatus,
  startTotpEnrolment,
  cancelTotpEnrolment,
} from "~/server/auth/mfa.server";
import { listPasskeys, removePasskey } from "~/server/auth/passkeys.server";
import { AddPasskey } from "~/components/passkeys";
import { fromDomainError, invalid, readForm, requireRecentSignIn, requireUser } from "~/server/http/guards.server";
import { safeRedirectPath } from "~/server/http/redirect.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "twoFactor.title");

const code = z.string().trim().min(1, { error: "errors.mfa.codeRequired" }).max(64, { error: "errors.mfa.wrongCode" });

const TwoFactorForm = z.discriminatedUnion(
  "intent",
  [
    z.object({ intent: z.literal("start") }),
    z.object({ intent: z.literal("removePasskey"), passkey: z.string().min(1).max(1400) }),
    z.object({ intent: z.literal("cancel") }),
    z.object({ intent: z.literal("confirm"), code }),
    z.object({ intent: z.literal("regenerate"), code }),
    z.object({
      intent: z.literal("disable"),
      password: z
        .string()
        .min(1, { error: "errors.password.required" })
        .max(1024, { error: "errors.password.too_long" }),
      code,
    }),
  ],
  { error: "errors.invalid" },
);

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = requireUser(context, request, { withoutSecondFactor: true });
  const { db } = context.app;
  const status = await secondFactorStatus(db, user.id);
  const pending = status.totp === "pending" ? await pendingTotpEnrolment(db, user) : null;
  const next = new URL(request.url).searchParams.get("next");
  return {
    passkeys: (await listPasskeys(db, user.id)).map((k) => ({
      id: k.id,
      name: k.name,
      createdAt: k.created_at,
      lastUsedAt: k.last_used_at,
    })),
    next: next ? safeRedirectPath(next, context.app.config.publicUrl) : null,
    status,
    required: user.mfaRequired,
    pending: pending
      ? {
          // The secret in groups of four, as authenticator apps show it.
          secret: pending.secret.replace(/(.{4})/g, "$1 ").trim(),
          qr: `data:image/svg+xml;base64,${Buffer.from(pending.qrSvg).toString("base64")}`,
        }
      : null,
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = requireUser(context, request, { withoutSecondFactor: true });
  const { app } = context;
  const form = await readForm(request, TwoFactorForm);
  if (!form.ok) return invalid(form.errors, form.values);
  const input = form.data;
  // Setting up or changing a factor needs a recent sign-in (ASVS 7.5.1). Turning the app off asks
  // for the password and a code itself; dropping an unfinished set-up changes nothing.
  if (input.intent !== "cancel" && input.intent !== "disable")
    requireRecentSignIn(context, request, `/account/two-factor${keepParams(request)}`, { withoutSecondFactor: true });
  const self = { id: user.id, agencyId: user.agencyId };
  try {
    switch (input.intent) {
      case "start":
        await startTotpEnrolment(app.db, user.id);
        return redirect(`/account/two-factor${keepParams(request)}#setup-heading`);
      case "cancel":
        await cancelTotpEnrolment(app.db, user.id);
        return redirect(`/account/two-factor${keepParams(request)}`);
      case "confirm": {
        const recoveryCodes = await confirmTotpEnrolment(app.db, self, input.code, context.clientAddress);
        return data({ ok: true as const, intent: input.intent, recoveryCodes });
      }
      case "regenerate": {
        const recoveryCodes = await regenerateRecoveryCodes(app.db, self, input.code, context.clientAddress);
        return data({ ok: true as const, intent: input.intent, recoveryCodes });
      }
      case "removePasskey":
        await removePasskey(app.db, self, input.passkey);
        return redirect("/account/two-factor?saved=passkeyRemoved");
      case "disable":
        await disableTotp(app.db, self, { password: input.password, code: input.code, address: context.clientAddress });
        return redirect("/account/two-factor?saved=disabled");
    }
  } catch (error) {
    return fromDomainError(error, form.values);
  }
}

/** The query a redirect back to this page keeps: why the person is here, and where they go next. */
function keepParams(request: Request): string {
  const url = new URL(request.url);
  const kept = new URLSearchParams();
  for (const name of ["required", "next"]) {
    const value = url.searchParams.get(name);
    if (value) kept.set(name, value);
  }
  return kept.size ? `?${kept}` : "";
}

export default function TwoFactor() {
  const t = useT();
  const format = useFormat();
  const d = useLoaderData<typeof loader>();
  const state = useActionData<typeof action>();
  const [params] = useSearchParams();
  const codes = state && "recoveryCodes" in state ? state.recoveryCodes : null;
  const failed = state && !state.ok ? state : undefined;
  const failedIntent = failed?.values?.intent;
  const next = d.next;
  return (
    <div className="narrow">
      <p className="breadcrumb">
        <Link to="/account">{t("account.title")}</Link>
      </p>
      <h1>{t("twoFactor.title")}</h1>
      {params.get("required") && d.status.totp !== "enabled" ? (
        <p className="alert alert-info" role="status">
          {t("twoFactor.required")}
        </p>
      ) : null}
      {params.get("saved") === "disabled" ? (
        <p className="alert alert-success" role="status">
          {t("twoFactor.disabled")}
        </p>
      ) : null}
      {params.get("saved") === "passkey" || params.get("saved") === "passkeyRemoved" ? (
        <p className="alert alert-success" role="status">
          {t(params.get("saved") === "passkey" ? "passkeys.added" : "passkeys.removed")}
        </p>
      ) : null}
      {params.get("usedRecoveryCode") ? (
        <p className="alert alert-info" role="status">
          {t("twoFactor.usedRecoveryCode", { n: d.status.recoveryCodesLeft })}
        </p>
      ) : null}
      <p>{t("twoFactor.lead")}</p>

      {codes ? (
        <section aria-labelledby="codes-heading" className="panel alert alert-success">
          <h2 id="codes-heading">{t("twoFactor.codesTitle")}</h2>
          <p>
            {t(
              state && "intent" in state && state.intent === "confirm"
                ? "twoFactor.enabled"
                : "twoFactor.codesReplaced",
            )}
          </p>
          <p>{t("twoFactor.codesBody")}</p>
          <ol className="recovery-codes">
            {codes.map((c) => (
              <li key={c}>{c}</li>
            ))}
          </ol>
          {next ? <Link to={next}>{t("twoFactor.continue")}</Link> : null}
        </section>
      ) : null}

      {d.status.totp === "none" ? (
        <section aria-labelledby="setup-heading" className="panel">
          <h2 id="setup-heading">{t("twoFactor.app")}</h2>
          <p>{t("twoFactor.appBody")}</p>
          <Form method="post">
            <input type="hidden" name="intent" value="start" />
            <SubmitButton>{t("twoFactor.start")}</SubmitButton>
          </Form>
        </section>
      ) : null}

      {d.status.totp === "pending" && d.pending ? (
        <section aria-labelledby="setup-heading" className="panel">
          <h2 id="setup-heading">{t("twoFactor.app")}</h2>
          {failedIntent === "confirm" ? <ErrorSummary state={failed} /> : null}
          <ol className="stack">
            <li>
              <p>{t("twoFactor.scan")}</p>
              <img className="qr-code" src={d.pending.qr} alt={t("twoFactor.qrAlt")} width={200} height={200} />
            </li>
            <li>
              <p>{t("twoFactor.typeKey")}</p>
              <p className="secret-text">
                <code>{d.pending.secret}</code>
              </p>
              <p className="hint">{t("twoFactor.keyDetails")}</p>
            </li>
            <li>
              <Form method="post" className="stack" noValidate>
                <input type="hidden" name="intent" value="confirm" />
                <Field
                  name="code"
                  label={t("twoFactor.confirmCode")}
                  hint={t("twoFactor.confirmHint")}
                  autoComplete="one-time-code"
                  inputMode="numeric"
                  required
                  state={failedIntent === "confirm" ? failed : undefined}
                />
                <SubmitButton>{t("twoFactor.confirm")}</SubmitButton>
              </Form>
            </li>
          </ol>
          <Form method="post">
            <input type="hidden" name="intent" value="cancel" />
            <button type="submit" className="link-button">
              {t("twoFactor.cancel")}
            </button>
          </Form>
        </section>
      ) : null}

      {d.status.totp === "enabled" ? (
        <>
          <section aria-labelledby="status-heading" className="panel">
            <h2 id="status-heading">{t("twoFactor.app")}</h2>
            <p>{t("twoFactor.isOn")}</p>
            <p>{t("twoFactor.codesLeft", { n: d.status.recoveryCodesLeft })}</p>
          </section>
          <section aria-labelledby="regenerate-heading" className="panel">
            <h2 id="regenerate-heading">{t("twoFactor.regenerate")}</h2>
            <p className="hint">{t("twoFactor.regenerateHint")}</p>
            {failedIntent === "regenerate" ? <ErrorSummary state={failed} ids={{ code: "regenerate-code" }} /> : null}
            <Form method="post" className="stack" noValidate>
              <input type="hidden" name="intent" value="regenerate" />
              <Field
                name="code"
                id="regenerate-code"
                label={t("twoFactor.appCode")}
                autoComplete="one-time-code"
                inputMode="numeric"
                required
                state={failedIntent === "regenerate" ? failed : undefined}
              />
              <SubmitButton className="button button-secondary">{t("twoFactor.regenerate")}</SubmitButton>
            </Form>
          </section>
          <section aria-labelledby="disable-heading" className="panel">
            <h2 id="disable-heading">{t("twoFactor.disable")}</h2>
            <p className="hint">{t(d.required ? "twoFactor.disableRequiredHint" : "twoFactor.disableHint")}</p>
            {failedIntent === "disable" ? <ErrorSummary state={failed} ids={{ code: "disable-code" }} /> : null}
            {d.required ? null : (
              <Form method="post" className="stack" noValidate>
                <input type="hidden" name="intent" value="disable" />
                <Field
                  name="password"
                  type="password"
                  label={t("fields.password")}
                  autoComplete="current-password"
                  required
                  state={failedIntent === "disable" ? failed : undefined}
                />
                <Field
                  name="code"
                  id="disable-code"
                  label={t("twoFactor.codeOrRecovery")}
                  autoComplete="one-time-code"
                  required
                  state={failedIntent === "disable" ? failed : undefined}
                />
                <SubmitButton className="button button-danger">{t("twoFactor.disable")}</SubmitButton>
              </Form>
            )}
          </section>
        </>
      ) : null}

      <section aria-labelledby="passkeys-heading" className="panel">
        <h2 id="passkeys-heading">{t("passkeys.title")}</h2>
        <p>{t("passkeys.body")}</p>
        {failedIntent === "removePasskey" ? <ErrorSummary state={failed} /> : null}
        {d.passkeys.length > 0 ? (
          <ul className="link-list">
            {d.passkeys.map((k) => (
              <li key={k.id}>
                {k.name} ({t("passkeys.added_on", { date: format.date(k.createdAt) })})
                <Form method="post" className="inline-form">
                  <input type="hidden" name="intent" value="removePasskey" />
                  <input type="hidden" name="passkey" value={k.id} />
                  <button type="submit" className="link-button">
                    {t("passkeys.remove", { name: k.name })}
                  </button>
                </Form>
              </li>
            ))}
          </ul>
        ) : null}
        <AddPasskey />
      </section>
    </div>
  );
}

import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { Facts } from "~/components/facts";
import { ErrorSummary, Field, SelectField, SubmitButton } from "~/components/forms";
import { localeOptions } from "~/components/options";
import { useFormat, useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { changePassword, recordSignOut } from "~/server/auth/accounts.server";
import { endOtherSessions, endOwnSession, listSessions } from "~/server/auth/session-list.server";
import { displayName, id, locale, newPassword } from "~/server/http/fields.server";
import { fromDomainError, invalid, readForm, requireRecentSignIn, requireUser } from "~/server/http/guards.server";
import { localeCookie } from "~/server/http/locale.server";
import { updateProfile } from "~/server/org/users.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "account.title");

const AccountForm = z.discriminatedUnion(
  "intent",
  [
    z.object({ intent: z.literal("profile"), displayName, locale }),
    z.object({
      intent: z.literal("password"),
      currentPassword: z
        .string()
        .min(1, { error: "errors.password.required" })
        .max(1024, { error: "errors.password.too_long" }),
      newPassword,
    }),
    z.object({ intent: z.literal("signOutEverywhere") }),
    z.object({ intent: z.literal("endSession"), session: id }),
    z.object({ intent: z.literal("endOtherSessions") }),
  ],
  { error: "errors.invalid" },
);

export async function loader({ request, context }: LoaderFunctionArgs) {
  const user = requireUser(context, request);
  return {
    email: user.email,
    displayName: user.displayName,
    locale: user.locale ?? "ja",
    mfaEnrolled: user.mfaEnrolled,
    sessions: await listSessions(context.app.db, user.id, context.sessionToken),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = requireUser(context, request);
  const { app } = context;
  const form = await readForm(request, AccountForm);
  if (!form.ok) return invalid(form.errors, form.values);
  const input = form.data;
  // Changing the password and ending sessions need a recent sign-in, with every factor the person
  // has (ASVS 7.5.1, 7.5.2): a session taken over cannot lock its owner out or keep itself alone.
  if (input.intent !== "profile") requireRecentSignIn(context, request, "/account");
  switch (input.intent) {
    case "profile":
      await updateProfile(app.db, user.id, { displayName: input.displayName, locale: input.locale });
      return redirect("/account?saved=profile", {
        headers: { "Set-Cookie": localeCookie(input.locale, app.config.secureCookies) },
      });
    case "password": {
      try {
        await changePassword(app.db, app.config.argon2, {
          userId: user.id,
          currentPassword: input.currentPassword,
          newPassword: input.newPassword,
          address: context.clientAddress,
        });
      } catch (error) {
        return fromDomainError(error, form.values);
      }
      // Every session ended with the change; this browser gets a fresh one.
      const cookie = await app.sessions.start(user.id, {
        userAgent: request.headers.get("user-agent"),
        cookieHeader: request.headers.get("cookie"),
      });
      return redirect("/account?saved=password", { headers: { "Set-Cookie": cookie } });
    }
    case "endSession":
      try {
        await endOwnSession(app.db, user, input.session);
      } catch (error) {
        return fromDomainError(error, form.values);
      }
      return redirect("/account?saved=sessionEnded#sessions-heading");
    case "endOtherSessions":
      await endOtherSessions(app.db, user, context.sessionToken!);
      return redirect("/account?saved=otherSessionsEnded#sessions-heading");
    case "signOutEverywhere":
      await recordSignOut(app.db, user, "everywhere");
      await app.sessions.endAll(user.id);
      return redirect("/sign-in?signedOut=1", { headers: { "Set-Cookie": app.sessions.blankCookie() } });
  }
}

const SAVED: Record<string, string> = {
  password: "account.passwordChanged",
  profile: "account.profileSaved",
  sessionEnded: "account.sessionEnded",
  otherSessionsEnded: "account.otherSessionsEnded",
};

export default function Account() {
  const t = useT();
  const format = useFormat();
  const d = useLoaderData<typeof loader>();
  const state = useActionData<typeof action>();
  const [params] = useSearchParams();
  const saved = params.get("saved");
  const intent = state?.values?.intent;
  return (
    <div className="narrow">
      <h1>{t("account.title")}</h1>
      {saved && SAVED[saved] ? (
        <p className="alert alert-success" role="status">
          {t(SAVED[saved])}
        </p>
      ) : null}
      <section aria-labelledby="profile-heading" className="panel">
        <h2 id="profile-heading">{t("account.profile")}</h2>
        <Facts items={[[t("fields.email"), d.email]]} />
        {intent === "profile" ? <ErrorSummary state={state} /> : null}
        <Form method="post" className="stack" noValidate>
          <input type="hidden" name="intent" value="profile" />
          <Field
            name="displayName"
            label={t("fields.displayName")}
            defaultValue={d.displayName}
            required
            autoComplete="name"
            state={intent === "profile" ? state : undefined}
          />
          <SelectField name="locale" label={t("fields.locale")} defaultValue={d.locale} options={localeOptions()} />
          <SubmitButton>{t("actions.save")}</SubmitButton>
        </Form>
      </section>
      <section aria-labelledby="password-heading" className="panel">
        <h2 id="password-heading">{t("account.changePassword")}</h2>
        {intent === "password" ? <ErrorSummary state={state} /> : null}
        <Form method="post" className="stack" noValidate>
          <input type="hidden" name="intent" value="password" />
          <Field
            name="currentPassword"
            type="password"
            label={t("fields.currentPassword")}
            autoComplete="current-password"
            required
            state={intent === "password" ? state : undefined}
          />
          <Field
            name="newPassword"
            type="password"
            label={t("fields.newPassword")}
            autoComplete="new-password"
            required
            hint={t("password.rules")}
            state={intent === "password" ? state : undefined}
          />
          <SubmitButton>{t("account.changePassword")}</SubmitButton>
        </Form>
        <p className="hint">{t("account.passwordChangeEndsSessions")}</p>
      </section>
      <section aria-labelledby="two-factor-heading" className="panel">
        <h2 id="two-factor-heading">{t("twoFactor.title")}</h2>
        <p>{t(d.mfaEnrolled ? "twoFactor.isOn" : "account.twoFactorOff")}</p>
        <Link to="/account/two-factor">{t("account.manageTwoFactor")}</Link>
      </section>
      <section aria-labelledby="sessions-heading" className="panel">
        <h2 id="sessions-heading">{t("account.sessions")}</h2>
        {intent === "endSession" ? <ErrorSummary state={state} /> : null}
        <table className="table">
          <caption>{t("account.sessionsCaption")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("account.device")}</th>
              <th scope="col">{t("account.signedInAt")}</th>
              <th scope="col">{t("account.lastSeenAt")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("account.sessionActions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {d.sessions.map((s) => {
              const device = t("account.deviceName", {
                browser: t(`devices.browsers.${s.device.browser}`),
                system: t(`devices.systems.${s.device.system}`),
              });
              return (
                <tr key={s.ref}>
                  <th scope="row">
                    {device}
                    {s.current ? <strong> {t("account.thisDevice")}</strong> : null}
                  </th>
                  <td>{format.date(s.createdAt, true)}</td>
                  <td>{format.date(s.lastSeenAt, true)}</td>
                  <td>
                    {s.current ? null : (
                      <Form method="post" className="inline-form">
                        <input type="hidden" name="intent" value="endSession" />
                        <input type="hidden" name="session" value={s.ref} />
                        <button type="submit" className="link-button">
                          {t("account.endSession", { device })}
                        </button>
                      </Form>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {d.sessions.some((s) => !s.current) ? (
          <Form method="post">
            <input type="hidden" name="intent" value="endOtherSessions" />
            <SubmitButton className="button button-secondary">{t("account.endOtherSessions")}</SubmitButton>
          </Form>
        ) : null}
        <p>{t("account.sessionsBody")}</p>
        <Form method="post">
          <input type="hidden" name="intent" value="signOutEverywhere" />
          <SubmitButton className="button button-secondary">{t("account.signOutEverywhere")}</SubmitButton>
        </Form>
      </section>
    </div>
  );
}

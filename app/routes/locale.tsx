import { redirect, type ActionFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData } from "@remix-run/react";
import { z } from "zod";
import { ErrorSummary } from "~/components/forms";
import { useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { setUserLocale } from "~/server/org/users.server";
import { localeCookie } from "~/server/http/locale.server";
import { invalid, readForm } from "~/server/http/guards.server";
import { safeRedirectPath } from "~/server/http/redirect.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "localePage.title");

const LocaleForm = z.object({
  locale: z.enum(["ja", "en"], { error: "errors.locale.invalid" }),
  // Anything else than a path on this site falls back to the home page.
  redirectTo: z.unknown().optional(),
});

export async function action({ request, context }: ActionFunctionArgs) {
  const { app } = context;
  const form = await readForm(request, LocaleForm);
  if (!form.ok) {
    const back = safeRedirectPath(form.values.redirectTo, app.config.publicUrl);
    return invalid({ _form: "errors.locale.invalid" }, { redirectTo: back });
  }
  if (context.user) await setUserLocale(app.db, context.user.id, form.data.locale);
  return redirect(safeRedirectPath(form.data.redirectTo, app.config.publicUrl), {
    headers: { "Set-Cookie": localeCookie(form.data.locale, app.config.secureCookies) },
  });
}

// A page only when reached directly, or when the switch sent something it never sends: the choice again.
export const loader = () => null;

export default function Locale() {
  const t = useT();
  const state = useActionData<typeof action>();
  return (
    <div className="narrow">
      <h1>{t("localePage.title")}</h1>
      <ErrorSummary state={state} />
      <Form method="post" className="stack">
        <input type="hidden" name="redirectTo" value={state?.values?.redirectTo ?? "/"} />
        <p className="actions">
          <button type="submit" name="locale" value="ja" lang="ja" className="button">
            日本語
          </button>
          <button type="submit" name="locale" value="en" lang="en" className="button">
            English
          </button>
        </p>
      </Form>
    </div>
  );
}

import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { setUserLocale } from "~/server/org/users.server";
import { localeCookie } from "~/server/http/locale.server";
import { invalid, readForm, safeRedirectPath } from "~/server/http/guards.server";

const LocaleForm = z.object({
  locale: z.enum(["ja", "en"], { error: "errors.invalid" }),
  redirectTo: z.string().max(2000).optional(),
});

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request, LocaleForm);
  if (!form.ok) return invalid(form.errors);
  if (context.user) await setUserLocale(context.app.db, context.user.id, form.data.locale);
  return redirect(safeRedirectPath(form.data.redirectTo), {
    headers: { "Set-Cookie": localeCookie(form.data.locale, context.app.config.secureCookies) },
  });
}

export const loader = () => redirect("/");

import { redirect, type ActionFunctionArgs } from "@remix-run/node";
import { recordSignOut } from "~/server/auth/accounts.server";

export async function action({ context }: ActionFunctionArgs) {
  const { app, user, sessionToken } = context;
  if (user) await recordSignOut(app.db, user, "session");
  const cookie = sessionToken ? await app.sessions.end(sessionToken) : app.sessions.blankCookie();
  return redirect("/sign-in?signedOut=1", { headers: { "Set-Cookie": cookie } });
}

export const loader = () => redirect("/");

import { redirect, type ActionFunctionArgs } from "@remix-run/node";

export async function action({ context }: ActionFunctionArgs) {
  const cookie = context.sessionToken
    ? await context.app.sessions.end(context.sessionToken)
    : context.app.sessions.blankCookie();
  return redirect("/sign-in?signedOut=1", { headers: { "Set-Cookie": cookie } });
}

export const loader = () => redirect("/");

// What every completed sign-in answers with, whichever way the person proved who they are
// (password alone, password and a code, password and a passkey).
import type { AppContext } from "../context.server";
import { deviceCookieAfterSignIn } from "../auth/devices.server";
import { blankChallengeCookie } from "../auth/mfa.server";

/**
 * Set-Cookie headers for a person who has just signed in: a new session (the one this browser still
 * carried ends), this browser's known-device cookie when it has none yet, and, after a second step,
 * the step's challenge cleared.
 */
export async function signedInHeaders(
  app: AppContext,
  request: Request,
  userId: string,
  options: { afterSecondStep: boolean },
): Promise<Headers> {
  const cookies = request.headers.get("cookie");
  const secure = app.config.secureCookies;
  const headers = new Headers();
  if (options.afterSecondStep) headers.append("Set-Cookie", blankChallengeCookie(secure));
  headers.append(
    "Set-Cookie",
    await app.sessions.start(userId, { userAgent: request.headers.get("user-agent"), cookieHeader: cookies }),
  );
  const device = deviceCookieAfterSignIn(userId, cookies, secure);
  if (device) headers.append("Set-Cookie", device);
  return headers;
}

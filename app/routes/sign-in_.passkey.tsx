// The second step of signing in with a passkey, for the second-factor page's script (JSON).
import { signedInHeaders } from "~/server/http/signed-in.server";
import { type ActionFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { readChallengeCookie } from "~/server/auth/mfa.server";
import { authenticationOptions, completePasskeySignIn, relyingParty } from "~/server/auth/passkeys.server";
import { readForm } from "~/server/http/guards.server";
import { safeRedirectPath } from "~/server/http/redirect.server";

const PasskeyForm = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("options") }),
  z.object({ intent: z.literal("verify"), response: z.string().max(32_000), next: z.unknown().optional() }),
]);

const AuthenticationResponse = z.object({
  id: z.string().max(1400),
  rawId: z.string().max(1400),
  type: z.literal("public-key"),
  response: z
    .object({
      clientDataJSON: z.string(),
      authenticatorData: z.string(),
      signature: z.string(),
      userHandle: z.string().optional(),
    })
    .loose(),
  clientExtensionResults: z.record(z.string(), z.unknown()),
  authenticatorAttachment: z.string().optional(),
});

export const loader = () => new Response(null, { status: 405 });

export async function action({ request, context }: ActionFunctionArgs) {
  const { app } = context;
  const secure = app.config.secureCookies;
  const token = readChallengeCookie(request.headers.get("cookie"), secure);
  const form = await readForm(request, PasskeyForm);
  if (!form.ok) return Response.json({ error: "errors.invalid" }, { status: 400 });
  const rp = relyingParty(app.config.publicUrl);
  if (form.data.intent === "options") {
    const options = await authenticationOptions(app.db, rp, token);
    return options ? Response.json(options) : Response.json({ error: "errors.passkey.expired" }, { status: 400 });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(form.data.response);
  } catch {
    parsed = null;
  }
  const response = AuthenticationResponse.safeParse(parsed);
  if (!response.success) return Response.json({ error: "errors.passkey.failed" }, { status: 400 });
  const result = await completePasskeySignIn(app.db, rp, {
    token,
    response: response.data as unknown as Parameters<typeof completePasskeySignIn>[2]["response"],
    address: context.clientAddress,
  });
  if (!result.ok) {
    const error =
      result.reason === "throttled"
        ? "errors.mfa.throttled"
        : result.reason === "expired"
          ? "errors.passkey.expired"
          : "errors.passkey.failed";
    return Response.json({ error }, { status: result.reason === "throttled" ? 429 : 400 });
  }
  const headers = await signedInHeaders(app, request, result.userId, { afterSecondStep: true });
  return Response.json({ ok: true, next: safeRedirectPath(form.data.next, app.config.publicUrl) }, { headers });
}

// Adding a passkey, for the account page's script: JSON in and out (a passkey needs JavaScript).
import { type ActionFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { registerPasskey, registrationOptions, relyingParty } from "~/server/auth/passkeys.server";
import { hasNoControlCharacters } from "~/server/http/fields.server";
import { confirmPath, readForm, requireUser, signedInRecently } from "~/server/http/guards.server";
import { DomainError } from "~/server/shared/errors.server";

const PasskeyForm = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("options") }),
  z.object({
    intent: z.literal("register"),
    token: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
    response: z.string().max(32_000),
    name: z.string().trim().min(1).max(60).refine(hasNoControlCharacters),
  }),
]);

// What a browser's registration response must look like before the library reads it.
const RegistrationResponse = z.object({
  id: z.string().max(1400),
  rawId: z.string().max(1400),
  type: z.literal("public-key"),
  response: z
    .object({ clientDataJSON: z.string(), attestationObject: z.string(), transports: z.array(z.string()).optional() })
    .loose(),
  clientExtensionResults: z.record(z.string(), z.unknown()),
  authenticatorAttachment: z.string().optional(),
});

export const loader = () => new Response(null, { status: 405 });

export async function action({ request, context }: ActionFunctionArgs) {
  const user = requireUser(context, request, { withoutSecondFactor: true });
  const { app } = context;
  const form = await readForm(request, PasskeyForm);
  if (!form.ok) return Response.json({ error: "errors.invalid" }, { status: 400 });
  // Adding a passkey needs a recent sign-in (ASVS 7.5.1): the script sends the person to confirm it.
  if (!signedInRecently(user))
    return Response.json(
      { error: "errors.reauth.required", confirm: confirmPath("/account/two-factor") },
      { status: 403 },
    );
  const rp = relyingParty(app.config.publicUrl);
  try {
    if (form.data.intent === "options") return Response.json(await registrationOptions(app.db, rp, user));
    let parsed: unknown;
    try {
      parsed = JSON.parse(form.data.response);
    } catch {
      parsed = null;
    }
    const response = RegistrationResponse.safeParse(parsed);
    if (!response.success) return Response.json({ error: "errors.passkey.failed" }, { status: 400 });
    await registerPasskey(app.db, rp, user, {
      token: form.data.token,
      // The library checks the rest (types and bytes) and refuses what does not fit.
      response: response.data as unknown as Parameters<typeof registerPasskey>[3]["response"],
      name: form.data.name,
    });
    return Response.json({ ok: true });
  } catch (error) {
    if (error instanceof DomainError) return Response.json({ error: error.messageKey }, { status: 400 });
    throw error;
  }
}

// What every loader and action does first: find the signed-in person, check the policy, read the
// input. Each failure becomes the right HTTP answer (redirect, 400, 403, 404), never a 500.
import { data, redirect, type AppLoadContext } from "@remix-run/node";
import type { z } from "zod";
import type { SessionUser } from "../auth/sessions.server";
import { can, type Action, type Actor, type Target } from "../auth/policy.server";
import { DomainError } from "../shared/errors.server";
import { limitSubject, spendAllowance, type LimitName } from "../auth/throttle.server";

/** The signed-in person, or a redirect to the sign-in page that comes back here afterwards. */
export function requireUser(
  context: AppLoadContext,
  request: Request,
  options: { withoutSecondFactor?: boolean } = {},
): SessionUser {
  const url = new URL(request.url);
  const next = url.pathname + url.search;
  const user = context.user;
  if (!user) throw redirect(next === "/" ? "/sign-in" : `/sign-in?next=${encodeURIComponent(next)}`);
  // A role an admin requires a second factor of, and none set up: that comes before anything else.
  if (user.mfaRequired && !user.mfaEnrolled && !options.withoutSecondFactor)
    throw redirect(`/account/two-factor?required=1&next=${encodeURIComponent(next)}`);
  return user;
}

/**
 * How long a sign-in counts as recent: changes to how a person signs in, and ending sessions, need
 * one (ASVS 7.5.1, 7.5.2). Several changes in a row within it need no new confirmation (ADR 024).
 */
export const RECENT_SIGN_IN_MS = 5 * 60_000;

export const confirmPath = (back: string) => `/account/confirm?next=${encodeURIComponent(back)}`;

/** Whether the person's session began (with every factor they have) within the last five minutes. */
export const signedInRecently = (user: SessionUser, now = Date.now()) =>
  now - user.signedInAt.getTime() <= RECENT_SIGN_IN_MS;

/**
 * The signed-in person, when they signed in (with every factor they have) within the last five
 * minutes; otherwise a redirect to confirm it is them, which comes back to `back` (the page the
 * form was on: the form is sent again from there).
 */
export function requireRecentSignIn(
  context: AppLoadContext,
  request: Request,
  back: string,
  options: { withoutSecondFactor?: boolean } = {},
): SessionUser {
  const user = requireUser(context, request, options);
  if (!signedInRecently(user)) throw redirect(confirmPath(back));
  return user;
}

/** The person as the policy sees them. */
export async function requireActor(context: AppLoadContext, request: Request): Promise<Actor & { user: SessionUser }> {
  const user = requireUser(context, request);
  return { id: user.id, agencyId: user.agencyId, roles: user.roles, trainerOf: user.trainerOf, user };
}

export function forbidden(): never {
  throw data({ messageKey: "errors.forbidden" }, { status: 403 });
}

export function notFound(): never {
  throw data({ messageKey: "errors.notFound" }, { status: 404 });
}

export function authorize(actor: Actor, action: Action, target?: Target): void {
  if (!can(actor, action, target)) forbidden();
}

export type FieldErrors = Record<string, string>;
export type FormFailure = { ok: false; errors: FieldErrors; values: Record<string, string> };

/**
 * Reads a submitted form. Field errors carry i18n keys; anything zod did not word itself becomes
 * "errors.invalid". A value holding a NUL is refused whatever the schema says: no field takes one,
 * and Postgres cannot store it.
 */
export async function readForm<S extends z.ZodType>(
  request: Request,
  schema: S,
): Promise<{ ok: true; data: z.infer<S>; values: Record<string, string> } | FormFailure> {
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    return { ok: false, errors: { _form: "errors.invalid" }, values: {} };
  }
  const raw: Record<string, string | string[]> = {};
  const values: Record<string, string> = {};
  const withNul = new Set<string>();
  for (const key of new Set(form.keys())) {
    const all = form.getAll(key).filter((v): v is string => typeof v === "string");
    raw[key] = all.length > 1 ? all : (all[0] ?? "");
    if (all.some((v) => v.includes("\u0000"))) withNul.add(key);
    // Never echo a password or a one-time code back into the page.
    if (!/password|^code$/i.test(key)) values[key] = (all[0] ?? "").replaceAll("\u0000", "\ufffd");
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success && withNul.size === 0) return { ok: true, data: parsed.data, values };
  const errors: FieldErrors = {};
  for (const issue of parsed.error?.issues ?? []) {
    const field = String(issue.path[0] ?? "_form");
    errors[field] ??= issue.message.startsWith("errors.") ? issue.message : "errors.invalid";
  }
  for (const key of withNul) errors[key] ??= "errors.invalid";
  return { ok: false, errors, values };
}

/** A form re-rendered with its errors, status 400. */
export function invalid(errors: FieldErrors, values: Record<string, string> = {}) {
  return data({ ok: false as const, errors, values }, { status: 400 });
}

/**
 * Counts one use of a usage limit (LIMITS) for whoever sends the request: the signed-in person,
 * else the client address. Refuses past it with DomainError "throttled".
 */
export function spendRequestAllowance(context: AppLoadContext, name: LimitName): Promise<void> {
  return spendAllowance(
    context.app.db,
    name,
    limitSubject({ userId: context.user?.id, address: context.clientAddress }),
  );
}

/** Seconds until a moment, for a Retry-After header: at least one. */
export function retryAfter(retryAt: Date, now = Date.now()): string {
  return String(Math.max(1, Math.ceil((retryAt.getTime() - now) / 1000)));
}

/**
 * For a loader: a usage limit reached (DomainError "throttled") becomes the 429 page in the
 * reader's language; anything else is rethrown.
 */
export function throwIfThrottled(error: unknown): void {
  if (error instanceof DomainError && error.code === "throttled") {
    // Retry-After is added on the way out (remix-adapter.server.ts), from the throttle's own moment.
    throw data({ messageKey: error.messageKey, params: error.params }, { status: 429 });
  }
}

/** Turns a domain refusal into the matching response; anything else is rethrown. */
export function fromDomainError(error: unknown, values: Record<string, string> = {}) {
  if (!(error instanceof DomainError)) throw error;
  switch (error.code) {
    case "not_found":
      return notFound();
    case "forbidden":
      return forbidden();
    default:
      return data(
        {
          ok: false as const,
          errors: { [error.field ?? "_form"]: error.messageKey },
          values,
          ...(error.params ? { params: error.params } : {}),
        },
        { status: error.code === "conflict" ? 409 : error.code === "throttled" ? 429 : 400 },
      );
  }
}

/** The HTTP status of a page reached by a single-use link: gone when used, expired or ended, 404 when unknown. */
export function tokenPageStatus(status: "valid" | "expired" | "used" | "unknown" | "superseded" | "revoked"): number {
  return status === "valid" ? 200 : status === "unknown" ? 404 : 410;
}

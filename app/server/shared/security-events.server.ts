// Security events: the defined list (docs/security/events.md), each logged as one JSON line at warn
// level with a distinct `event` field, the request's id and the person's id when known. What the
// HTTP layer can see from the answer alone (403, 429, 400 on a security form, a refused link) is
// logged there (eventForResponse); what only the domain knows (a lock-out, a failed sign-in with the
// account behind it) is logged where it happens, through the request's scope. Never a secret, a
// token, a password or a code: the fields are checked against a deny-list before they are written.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Logger } from "./log.server";

export const SECURITY_EVENTS = {
  "auth.sign_in_failed": "A sign-in with a wrong password, an unknown address or a disabled account.",
  "auth.second_factor_failed": "A wrong authenticator code, recovery code or passkey at the second step of signing in.",
  "auth.password_check_failed": "A wrong current password where a signed-in person must give it again.",
  "auth.locked_out": "A failure that made an account, a browser, a client address or a second factor wait.",
  "request.throttled": "A request refused with 429: a sign-in wait, or a usage limit reached.",
  "input.refused": "Input refused with 400 on a form that signs in, sets a password or a factor, or invites.",
  "input.too_large": "A request body refused with 413 before it was read.",
  "access.forbidden": "A request refused with 403 by the access policy.",
  "request.cross_site": "A state-changing request refused with 403 because it came from another site.",
  "link.refused":
    "A single-use link (invitation, password reset, first admin) that is unknown, used, expired or ended.",
} as const;

export type SecurityEventName = keyof typeof SECURITY_EVENTS;

export interface SecurityScope {
  log: Logger;
  requestId: string;
  userId?: string | undefined;
  /** The events already logged for this request: the HTTP layer does not log one twice. */
  logged: Set<SecurityEventName>;
  /** When a throttle that refused this request lets it through again: the 429's Retry-After. */
  retryAt?: Date | undefined;
}

// One store per process, kept on globalThis: the server bundle and source modules loaded beside it
// (scripts, tests) must share it, as they share the chain keys (chain/anchor.server.ts).
const SLOT = Symbol.for("mamoru.security.scope");
type Slot = { [SLOT]?: AsyncLocalStorage<SecurityScope> };
const storage = ((globalThis as Slot)[SLOT] ??= new AsyncLocalStorage<SecurityScope>());

/** Runs a request's work with its logger and id, so that events logged deep inside carry them. */
export function inSecurityScope<T>(scope: SecurityScope, fn: () => T): T {
  return storage.run(scope, fn);
}

export function securityScope(log: Logger, requestId: string): SecurityScope {
  return { log, requestId, logged: new Set() };
}

/** The signed-in person, once the session is known. */
export function identifyInScope(userId: string): void {
  const scope = storage.getStore();
  if (scope) scope.userId = userId;
}

/** A throttle refused (or is about to refuse) the request until then: the latest such moment counts. */
export function noteRetryAt(retryAt: Date): void {
  const scope = storage.getStore();
  if (scope && (!scope.retryAt || scope.retryAt < retryAt)) scope.retryAt = retryAt;
}

/** The moment noted for the request in progress, if any. */
export function scopedRetryAt(): Date | undefined {
  return storage.getStore()?.retryAt;
}

// Field names that never belong in a log line, whatever a caller passes.
const SECRET_FIELD = /pass|token|secret|code|cookie|otp|mac|key|hash|authorization/i;

/** Logs one security event; outside a request (scripts, unit tests without a scope) it is dropped. */
export function securityEvent(event: SecurityEventName, fields: Record<string, unknown> = {}, log?: Logger): void {
  const scope = storage.getStore();
  const target = log ?? scope?.log;
  if (!target) return;
  scope?.logged.add(event);
  const safe = Object.fromEntries(Object.entries(fields).filter(([k, v]) => v !== undefined && !SECRET_FIELD.test(k)));
  target.warn("security event", {
    event,
    ...(scope ? { requestId: scope.requestId } : {}),
    ...(scope?.userId ? { userId: scope.userId } : {}),
    ...safe,
  });
}

/** The forms whose refused input (400) is a security event: they sign in, set a secret or a factor, or invite. */
const SECURITY_FORMS: readonly RegExp[] = [
  /^\/sign-in$/,
  /^\/forgot-password$/,
  /^\/reset-password\//,
  /^\/invite\//,
  /^\/setup\//,
  /^\/account(\/|$)/,
  /^\/admin\/users(\/|$)/,
  /^\/admin\/security$/,
  /^\/training\/invite(\/|$)/,
];
const SECOND_STEP = /^\/sign-in\/(second-factor|passkey)$/;
const TOKEN_LINK = /^\/(invite|reset-password|setup)\/[^/]+$/;

/**
 * The event a response is, from its method, path and status alone; null when it is none. A
 * cross-site refusal says so itself (`refusal`), as the check answers before any route.
 */
export function eventForResponse(
  method: string,
  path: string,
  status: number,
  refusal?: { reason?: string },
): SecurityEventName | null {
  if (status === 429) return "request.throttled";
  if (status === 413) return "input.too_large";
  if (status === 403) return refusal?.reason === "cross-site" ? "request.cross_site" : "access.forbidden";
  if (method === "POST" && status === 400 && SECOND_STEP.test(path)) return "auth.second_factor_failed";
  if (method === "POST" && status === 400 && path === "/sign-in") return "auth.sign_in_failed";
  if (method === "POST" && status === 400 && SECURITY_FORMS.some((form) => form.test(path))) return "input.refused";
  if ((status === 404 || status === 410) && TOKEN_LINK.test(path)) return "link.refused";
  return null;
}

/** After the answer: the response's own event, unless the request logged that event already. */
export function logResponseEvent(
  scope: SecurityScope,
  response: { method: string; path: string; status: number; refusal?: { reason?: string } | undefined },
  fields: Record<string, unknown> = {},
): void {
  const event = eventForResponse(response.method, response.path, response.status, response.refusal);
  if (!event || scope.logged.has(event)) return;
  inSecurityScope(scope, () => securityEvent(event, { status: response.status, ...fields }));
}

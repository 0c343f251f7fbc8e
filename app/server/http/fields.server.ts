// The building blocks of every form's schema; each refusal names an i18n key.
import { z } from "zod";
import { AGENCY_KINDS, GROUP_KINDS, LOCALES, PROFESSIONS, ROLES } from "../../../db/schema";
import { PASSWORD_MAX, passwordProblem } from "../auth/passwords.server";

export const email = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, { error: "errors.email.required" })
  .max(254, { error: "errors.email.invalid" })
  .pipe(z.email({ error: "errors.email.invalid" }));

/**
 * The password rules that need nothing but the password (length, common passwords), checked with
 * the form's other fields so that every problem shows at once. The auth module checks them all
 * again, with the e-mail address, before it stores anything.
 */
export const newPassword = z
  .string()
  .min(1, { error: "errors.password.required", abort: true })
  .max(PASSWORD_MAX * 4, { error: "errors.password.too_long", abort: true })
  .superRefine((password, ctx) => {
    const problem = passwordProblem(password);
    if (problem) ctx.addIssue({ code: "custom", message: `errors.password.${problem}` });
  });

/** Text a person typed holds no control characters (the database cannot even store a NUL). */
export const hasNoControlCharacters = (value: string) => !/[\u0000-\u001f\u007f]/.test(value);

/** What a search box sends: trimmed, bounded, no control characters. */
export const searchText = z
  .string()
  .trim()
  .max(100, { error: "errors.search.tooLong" })
  .refine(hasNoControlCharacters, { error: "errors.search.invalid" });

/** Field errors from a parsed query string, each named for its field: the page says which and why. */
export function queryErrors(error: z.ZodError): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? "_form");
    errors[field] ??= issue.message.startsWith("errors.") ? issue.message : "errors.invalid";
  }
  return errors;
}

/** A name typed by a person: any script, trimmed, no control characters. */
const name = (max: number, errors: { required: string; tooLong: string; invalid: string }) =>
  z
    .string()
    .trim()
    .min(1, { error: errors.required })
    .max(max, { error: errors.tooLong })
    .refine(hasNoControlCharacters, { error: errors.invalid });

/** A person's name. */
export const displayName = name(100, {
  required: "errors.name.required",
  tooLong: "errors.name.tooLong",
  invalid: "errors.name.invalid",
});
/** The name of an agency or a group: its own messages, so a form with both names tells them apart. */
export const shortName = name(120, {
  required: "errors.orgName.required",
  tooLong: "errors.orgName.tooLong",
  invalid: "errors.orgName.invalid",
});

export const locale = z.enum(LOCALES, { error: "errors.locale.invalid" });
export const profession = z.enum(PROFESSIONS, { error: "errors.profession.invalid" });
export const role = z.enum(ROLES, { error: "errors.role.invalid" });
export const agencyKind = z.enum(AGENCY_KINDS, { error: "errors.agencyKind.invalid" });
export const groupKind = z.enum(GROUP_KINDS, { error: "errors.groupKind.invalid" });
export const id = z.uuid({ error: "errors.invalid" });

/** A route parameter that must be an id; anything else is a page that does not exist. */
export function parseIdParam(value: string | undefined): string | null {
  const parsed = id.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** A route parameter that must look like one of our tokens (base64url, 43 characters). */
export function isTokenShaped(value: string | undefined): value is string {
  return typeof value === "string" && /^[A-Za-z0-9_-]{43}$/.test(value);
}

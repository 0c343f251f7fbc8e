// Domain modules say what went wrong in their own terms; routes turn it into an HTTP status.
import type { MessageParams } from "../../i18n";

export type DomainErrorCode = "not_found" | "forbidden" | "conflict" | "invalid" | "throttled";

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    /** An i18n key the page can show. */
    readonly messageKey: string,
    /** The form field the problem belongs to, when there is one. */
    readonly field?: string,
    /** What the message is filled with: when the next attempt is possible, how long is left. */
    readonly params?: MessageParams,
  ) {
    super(messageKey);
    this.name = "DomainError";
  }
}

/** Postgres' unique_violation, on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "23505";
}

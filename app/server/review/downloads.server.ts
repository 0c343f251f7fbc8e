// What a download route answers when it refuses: a download has no React page, so a refusal
// (403, 404, 400 from the guards, 429 from a usage limit) becomes the same short page the HTTP layer answers itself with,
// in the reader's language; a redirect to sign in stays a redirect.
import type { Locale } from "../../i18n";
import { plainPage, type PlainPageKind } from "../http/plain-page.server";
import { DomainError } from "../shared/errors.server";

const KIND: Record<number, PlainPageKind> = { 400: "badRequest", 403: "forbidden", 404: "notFound" };

function refusalStatus(error: unknown): number | null {
  if (typeof error !== "object" || error === null) return null;
  const thrown = error as { type?: unknown; init?: { status?: unknown } | null };
  if (thrown.type !== "DataWithResponseInit") return null;
  const status = thrown.init?.status;
  return typeof status === "number" && status in KIND ? status : null;
}

export function refusalAsPage(error: unknown, locale: Locale): Response {
  if (error instanceof Response) return error;
  // A usage limit reached: 429, and when to come back (Retry-After is added on the way out).
  if (error instanceof DomainError && error.code === "throttled") {
    return new Response(plainPage(locale, "tooMany", 429, { messageKey: error.messageKey, params: error.params }), {
      status: 429,
      headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" },
    });
  }
  const status = refusalStatus(error);
  if (status === null) throw error;
  return new Response(plainPage(locale, KIND[status]!, status), {
    status,
    headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" },
  });
}

/** Headers of a file to save, named with the moment it was made ("mamoru-records-20261201T093012Z.csv"). */
export function downloadHeaders(name: string, extension: "csv" | "jsonl", now = new Date()): HeadersInit {
  const stamp = now.toISOString().replace(/[-:]/g, "").slice(0, 15) + "Z";
  return {
    "Content-Type":
      extension === "csv" ? "text/csv; charset=utf-8; header=present" : "application/x-ndjson; charset=utf-8",
    "Content-Disposition": `attachment; filename="mamoru-${name}-${stamp}.${extension}"`,
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
  };
}

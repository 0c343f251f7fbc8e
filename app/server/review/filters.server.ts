// What the reviewer's pages and exports accept in their address: one schema per list, shared by
// the page and its export, so an export holds exactly the rows the page lists.
import { z } from "zod";
import { PROFESSIONS, STANDINGS, type Standing } from "../../../db/schema";
import { hasNoControlCharacters, searchText } from "../http/fields.server";

const uuid = z.uuid({ error: "errors.invalid" });
const slug = z.string().regex(/^[a-z0-9-]{1,80}$/, { error: "errors.invalid" });
/** A calendar day, as an <input type="date"> sends it; read in Japan's time zone. */
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: "errors.invalid" })
  .refine(
    (v) => !Number.isNaN(Date.parse(`${v}T00:00:00+09:00`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v),
    {
      error: "errors.invalid",
    },
  );
/** A keyset cursor: the sequence number of the last record of the page before. */
const seqCursor = z.coerce.number({ error: "errors.invalid" }).int().min(1).max(2_147_483_647);

export const RecordQuery = z.object({
  agency: uuid.optional(),
  group: uuid.optional(),
  course: slug.optional(),
  module: slug.optional(),
  kind: z.enum(["module", "course"], { error: "errors.invalid" }).optional(),
  status: z.enum(["current", "expired"], { error: "errors.invalid" }).optional(),
  from: day.optional(),
  to: day.optional(),
  q: searchText.optional(),
  after: seqCursor.optional(),
});
export type RecordFilter = z.infer<typeof RecordQuery>;

/** What the matrix's status filter offers: every standing a cell can be in except "not required". */
export const MATRIX_STATUSES = STANDINGS.filter((s): s is Exclude<Standing, "not_required"> => s !== "not_required");

export const MatrixQuery = z.object({
  agency: uuid.optional(),
  group: uuid.optional(),
  profession: z.enum(PROFESSIONS, { error: "errors.invalid" }).optional(),
  status: z.enum(MATRIX_STATUSES, { error: "errors.invalid" }).optional(),
  /** One column: "course:<slug>" or "module:<slug>". */
  course: z
    .string()
    .regex(/^(course|module):[a-z0-9-]{1,80}$/, { error: "errors.invalid" })
    .optional(),
  q: searchText.optional(),
  /** How many days ahead a record counts as expiring soon. */
  window: z.coerce.number({ error: "errors.invalid" }).int().min(1).max(365).optional(),
  /** The id of the last person of the page before. */
  after: uuid.optional(),
});
export type MatrixFilter = z.infer<typeof MatrixQuery>;

/** Actions are words with dots and underscores ("auth.sign_in_failed"). */
const actionName = z
  .string()
  .max(60)
  .regex(/^[a-z_]+(\.[a-z_]+)*$/, { error: "errors.invalid" })
  .refine(hasNoControlCharacters);

export const AuditQuery = z.object({
  agency: uuid.optional(),
  q: searchText.optional(),
  action: actionName.optional(),
  from: day.optional(),
  to: day.optional(),
  /** The id of the last event of the page before. */
  after: uuid.optional(),
});
export type AuditFilter = z.infer<typeof AuditQuery>;

/**
 * The query string as a plain object, empty fields dropped (an empty search box means no filter);
 * a parameter given twice is refused rather than read one way or the other.
 */
export function queryObject(url: URL): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (key in out) return null;
    if (value !== "") out[key] = value;
  }
  return out;
}

/** The first moment of a Japan-time day, and the first moment of the day after. */
export function dayStart(value: string): Date {
  return new Date(`${value}T00:00:00+09:00`);
}
export function dayEnd(value: string): Date {
  return new Date(dayStart(value).getTime() + 86_400_000);
}

// Exports of the records list and the audit trail: CSV (RFC 4180, UTF-8 with a BOM so that Excel in
// Japan reads it, headers in the reader's language, ISO 8601 dates, formulas neutralised) and xAPI
// statements as JSON lines. Each is a stream that reads the next keyset batch only when the client
// has taken the last one: one batch in memory whatever the size, on both engines (the embedded
// engine cannot stream a cursor, and a server cursor would hold a connection for the whole export).
// Each export is audited before its first row leaves (who, when, what filter) and again when it ends
// (how many rows, and whether the client took them all).
import { randomUUID } from "node:crypto";
import { stringify } from "csv-stringify/sync";
import type { Kysely } from "kysely";
import type { Database, LocalisedText } from "../../../db/schema";
import { translate, type Locale } from "../../i18n";
import { audit } from "../audit.server";
import { personInScope, type Scope } from "../auth/scope.server";
import { auditRows, type AuditScope } from "./audit-log.server";
import { dayEnd, dayStart, type AuditFilter, type RecordFilter } from "./filters.server";
import { recordRows, type RecordRow } from "./records.server";
import { attemptStatement, recordStatement } from "./xapi.server";

export const EXPORT_BATCH = 1000;
export const BOM = "\uFEFF";

interface Source {
  /** Called once, before anything is sent: the audit of the start, and the first bytes (BOM, header). */
  head(): Promise<string>;
  /** The next batch as text, or null when there is no more. */
  batch(): Promise<string | null>;
  /** Called once at the end, also when the client went away or a batch failed. */
  end(complete: boolean): Promise<void>;
}

/** A byte stream that reads a batch only when the one before has been taken (highWaterMark 0). */
export function pulledStream(source: Source): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let started = false;
  let ended = false;
  const end = async (complete: boolean) => {
    if (ended) return;
    ended = true;
    await source.end(complete);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          if (!started) {
            started = true;
            controller.enqueue(encoder.encode(await source.head()));
            return;
          }
          const text = await source.batch();
          if (text === null) {
            await end(true);
            controller.close();
          } else controller.enqueue(encoder.encode(text));
        } catch (error) {
          await end(false).catch(() => {});
          controller.error(error);
        }
      },
      async cancel() {
        await end(false);
      },
    },
    { highWaterMark: 0 },
  );
}

const CSV_OPTIONS = { record_delimiter: "\r\n", escape_formulas: true } as const;
export const csvLines = (rows: (string | number | null)[][]) => stringify(rows, CSV_OPTIONS);

export interface ExportAudit {
  db: Kysely<Database>;
  actorId: string;
  /** The agency the export is about, when it is one agency's. */
  agencyId: string | null;
}

export function audited(
  base: ExportAudit,
  what: { started: string; finished: string; format: string; filter: Record<string, unknown> },
) {
  const exportId = randomUUID();
  const write = (action: string, details: Record<string, unknown>) =>
    audit(base.db, {
      actorId: base.actorId,
      agencyId: base.agencyId,
      action,
      subjectType: "export",
      subjectId: exportId,
      details: { format: what.format, filter: what.filter, ...details },
    });
  return {
    started: () => write(what.started, {}),
    finished: (rows: number, complete: boolean) => write(what.finished, { rows, complete }),
  };
}

export const title = (locale: Locale, text: LocalisedText | null) =>
  text ? ((locale === "ja" ? text.ja : null) ?? text.en) : "";
const iso = (d: Date | null) => (d ? d.toISOString() : "");

const RECORD_COLUMNS = [
  "record",
  "kind",
  "name",
  "email",
  "agency",
  "course",
  "module",
  "moduleVersion",
  "pretestScore",
  "score",
  "startedAt",
  "completedAt",
  "expiresAt",
  "status",
  "certificate",
  "verifyUrl",
] as const;

export interface RecordExport extends ExportAudit {
  scope: Scope;
  filter: RecordFilter;
  locale: Locale;
  publicUrl: string;
  batchSize?: number;
  now?: Date;
}

/** Keyset batches of the records list, the page's cursor ignored: the export holds every matching row. */
function recordBatches(input: RecordExport) {
  const { after: _ignored, ...filter } = input.filter;
  let after: number | undefined;
  let done = false;
  return async (): Promise<RecordRow[]> => {
    if (done) return [];
    const rows = await recordRows(
      input.db,
      input.scope,
      { ...filter, after },
      input.batchSize ?? EXPORT_BATCH,
      input.now,
    );
    if (rows.length < (input.batchSize ?? EXPORT_BATCH)) done = true;
    if (rows.length) after = rows[rows.length - 1]!.seq;
    return rows;
  };
}

export function recordsCsv(input: RecordExport): ReadableStream<Uint8Array> {
  const t = (key: string) => translate(input.locale, key);
  const now = input.now ?? new Date();
  const next = recordBatches(input);
  const log = audited(input, {
    started: "records.export_started",
    finished: "records.exported",
    format: "csv",
    filter: input.filter,
  });
  let rows = 0;
  return pulledStream({
    async head() {
      await log.started();
      return BOM + csvLines([RECORD_COLUMNS.map((c) => t(`review.csv.${c}`))]);
    },
    async batch() {
      const batch = await next();
      if (batch.length === 0) return null;
      rows += batch.length;
      return csvLines(
        batch.map((r) => [
          r.id,
          t(`review.kind.${r.kind}`),
          r.display_name,
          r.email,
          r.agency_name,
          title(input.locale, r.course_title),
          title(input.locale, r.module_title),
          r.module_version,
          r.pretest_score,
          r.score,
          iso(r.started_at),
          iso(r.completed_at),
          iso(r.expires_at),
          t(r.expires_at > now ? "review.status.current" : "review.status.expired"),
          r.certificate_code,
          r.certificate_code ? `${input.publicUrl}/verify/${r.certificate_code}` : null,
        ]),
      );
    },
    end: (complete) => log.finished(rows, complete),
  });
}

/** Submitted attempts of the scope that pass the filter's person, module, course and date parts. */
async function attemptRows(input: RecordExport, afterId: string | undefined, limit: number) {
  const f = input.filter;
  let q = input.db
    .selectFrom("quiz_attempts as qa")
    .innerJoin("users as u", "u.id", "qa.user_id")
    .innerJoin("module_versions as mv", "mv.id", "qa.module_version_id")
    .select([
      "qa.id",
      "qa.user_id",
      "u.display_name",
      "qa.stage",
      "mv.module_slug",
      "mv.version as module_version",
      "mv.title as module_title",
      "qa.score",
      "qa.passed",
      "qa.started_at",
      "qa.submitted_at",
    ])
    .where(personInScope(input.scope))
    .where("qa.submitted_at", "is not", null);
  if (f.agency) q = q.where("u.agency_id", "=", f.agency);
  if (f.group)
    q = q.where(({ exists, selectFrom }) =>
      exists(
        selectFrom("group_members as gm")
          .select("gm.user_id")
          .whereRef("gm.user_id", "=", "u.id")
          .where("gm.group_id", "=", f.group!),
      ),
    );
  if (f.module) q = q.where("mv.module_slug", "=", f.module);
  if (f.course)
    q = q.where("mv.module_slug", "in", (eb) =>
      eb.selectFrom("course_modules as cm").select("cm.module_slug").where("cm.course_slug", "=", f.course!),
    );
  if (f.from) q = q.where("qa.submitted_at", ">=", dayStart(f.from));
  if (f.to) q = q.where("qa.submitted_at", "<", dayEnd(f.to));
  if (f.q) {
    const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) => eb.or([eb("u.display_name", "ilike", like), eb("u.email", "ilike", like)]));
  }
  if (afterId)
    q = q.where(({ eb, refTuple, selectFrom }) =>
      eb(
        refTuple("qa.submitted_at", "qa.id"),
        ">",
        selectFrom("quiz_attempts as c").select(["c.submitted_at", "c.id"]).where("c.id", "=", afterId) as never,
      ),
    );
  return q.orderBy("qa.submitted_at").orderBy("qa.id").limit(limit).execute();
}

/**
 * xAPI statements, one JSON object a line: the completion records first, then the submitted
 * attempts. A filter by kind or status concerns records; attempts are left out when only course
 * records are asked for.
 */
export function recordsXapi(input: RecordExport): ReadableStream<Uint8Array> {
  const size = input.batchSize ?? EXPORT_BATCH;
  const nextRecords = recordBatches(input);
  const log = audited(input, {
    started: "records.export_started",
    finished: "records.exported",
    format: "xapi",
    filter: input.filter,
  });
  const lines = (statements: object[]) => statements.map((s) => JSON.stringify(s) + "\n").join("");
  let phase: "records" | "attempts" | "done" = "records";
  let afterAttempt: string | undefined;
  let rows = 0;
  const withAttempts = input.filter.kind !== "course" && input.filter.status === undefined;
  return pulledStream({
    async head() {
      await log.started();
      return "";
    },
    async batch() {
      if (phase === "records") {
        const batch = await nextRecords();
        if (batch.length > 0) {
          rows += batch.length;
          return lines(batch.map((r) => recordStatement(input.publicUrl, r)));
        }
        phase = withAttempts ? "attempts" : "done";
      }
      if (phase === "attempts") {
        const batch = await attemptRows(input, afterAttempt, size);
        if (batch.length < size) phase = "done";
        if (batch.length > 0) {
          afterAttempt = batch[batch.length - 1]!.id;
          rows += batch.length;
          return lines(
            batch.map((a) =>
              attemptStatement(input.publicUrl, {
                ...a,
                module_title: a.module_title as LocalisedText,
                submitted_at: a.submitted_at!,
              }),
            ),
          );
        }
      }
      return null;
    },
    end: (complete) => log.finished(rows, complete),
  });
}

const AUDIT_COLUMNS = [
  "at",
  "action",
  "actor",
  "actorEmail",
  "subjectType",
  "subject",
  "subjectName",
  "agency",
  "details",
];

export interface AuditExport extends ExportAudit {
  scope: AuditScope;
  filter: AuditFilter;
  locale: Locale;
  batchSize?: number;
}

export function auditCsv(input: AuditExport): ReadableStream<Uint8Array> {
  const t = (key: string) => translate(input.locale, key);
  const size = input.batchSize ?? EXPORT_BATCH;
  const { after: _ignored, ...filter } = input.filter;
  const log = audited(input, { started: "audit.export_started", finished: "audit.exported", format: "csv", filter });
  let after: string | undefined;
  let done = false;
  let rows = 0;
  return pulledStream({
    async head() {
      await log.started();
      return BOM + csvLines([AUDIT_COLUMNS.map((c) => t(`review.auditCsv.${c}`))]);
    },
    async batch() {
      if (done) return null;
      const batch = await auditRows(input.db, input.scope, { ...filter, after }, size);
      if (batch.length < size) done = true;
      if (batch.length === 0) return null;
      after = batch[batch.length - 1]!.id;
      rows += batch.length;
      return csvLines(
        batch.map((e) => [
          e.at.toISOString(),
          e.action,
          e.actor_name,
          e.actor_email,
          e.subject_type,
          e.subject_id,
          e.subject_name,
          e.agency_name,
          JSON.stringify(e.details),
        ]),
      );
    },
    end: (complete) => log.finished(rows, complete),
  });
}

// The training matrix as CSV, with the page's filters: one row per person, three columns per course
// or module (status in words, due day, record valid until). The columns are read first (one
// statement), then the people in keyset batches by name, each batch read only when the client has
// taken the one before; audited at the start and the end like every export.
import type { Locale } from "../../i18n";
import { translate } from "../../i18n";
import type { Scope } from "../auth/scope.server";
import { BOM, EXPORT_BATCH, audited, csvLines, pulledStream, title, type ExportAudit } from "./exports.server";
import type { MatrixFilter } from "./filters.server";
import { matrixBatch, matrixColumns, type MatrixColumn } from "./matrix.server";

export interface MatrixExport extends ExportAudit {
  scope: Scope;
  filter: MatrixFilter;
  locale: Locale;
  batchSize?: number;
  now?: Date;
}

export function matrixCsv(input: MatrixExport): ReadableStream<Uint8Array> {
  const t = (key: string, params?: Record<string, string>) => translate(input.locale, key, params);
  const size = input.batchSize ?? EXPORT_BATCH;
  const now = input.now ?? new Date();
  // The page's cursor is ignored: the file holds every matching person.
  const { after: _page, ...filter } = input.filter;
  const log = audited(input, { started: "matrix.export_started", finished: "matrix.exported", format: "csv", filter });
  let columns: MatrixColumn[] = [];
  let after: { name: string; id: string } | undefined;
  let done = false;
  let rows = 0;
  return pulledStream({
    async head() {
      await log.started();
      columns = await matrixColumns(input.db, input.scope, filter, now);
      const header = [t("review.csv.name"), t("review.csv.email"), t("review.csv.agency")];
      for (const c of columns) {
        const name = title(input.locale, c.title);
        header.push(
          t("review.matrix.csv.status", { title: name }),
          t("review.matrix.csv.due", { title: name }),
          t("review.matrix.csv.expires", { title: name }),
        );
      }
      return BOM + csvLines([header]);
    },
    async batch() {
      if (done) return null;
      const batch = await matrixBatch(input.db, input.scope, filter, after, size, now);
      if (batch.length < size) done = true;
      if (batch.length === 0) return null;
      const last = batch[batch.length - 1]!;
      after = { name: last.display_name, id: last.id };
      rows += batch.length;
      return csvLines(
        batch.map((r) => [
          r.display_name,
          r.email,
          r.agency_name,
          ...columns.flatMap((c) => {
            const cell = r.cells[c.key];
            if (!cell) return [t("review.matrix.standing.not_required"), null, null];
            const [standing, due, expires] = cell;
            return [t(`review.matrix.standing.${standing}`), due, expires ? new Date(expires).toISOString() : null];
          }),
        ]),
      );
    },
    end: (complete) => log.finished(rows, complete),
  });
}

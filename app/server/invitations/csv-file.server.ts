// Reading an uploaded CSV file of invitations: the bytes decoded (UTF-8 with or without a BOM, or
// Shift_JIS as Excel in Japan writes it), then the rows under their header, in English or Japanese.
// Nothing here touches the database: what a row means is decided in bulk-import.server.ts.
import { createHash } from "node:crypto";
import { CsvError, parse } from "csv-parse/sync";
import type { ImportEncoding } from "../../../db/schema";

/** The largest file accepted, in bytes; larger is refused (413) before it is decoded. */
export const IMPORT_MAX_BYTES = 1024 * 1024;
/** The most rows (after the header) a file may hold. */
export const IMPORT_MAX_ROWS = 2000;

export type Decoded = { ok: true; text: string; encoding: ImportEncoding } | { ok: false };

const BOM = [0xef, 0xbb, 0xbf];

/**
 * The file's text. UTF-8 is tried first with a fatal decoder (a Shift_JIS file is almost never
 * valid UTF-8), then Shift_JIS (the WHATWG decoder, which is CP932). Text holding control
 * characters other than tab and line ends is not a CSV file.
 */
export function decodeFile(bytes: Uint8Array): Decoded {
  const bom = bytes.length >= 3 && BOM.every((b, i) => bytes[i] === b);
  const attempts: [ImportEncoding, string, Uint8Array][] = bom
    ? [["utf-8-bom", "utf-8", bytes.subarray(3)]]
    : [
        ["utf-8", "utf-8", bytes],
        ["shift_jis", "shift_jis", bytes],
      ];
  for (const [encoding, label, body] of attempts) {
    let text: string;
    try {
      text = new TextDecoder(label, { fatal: true, ignoreBOM: true }).decode(body);
    } catch {
      continue;
    }
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) return { ok: false };
    return { ok: true, text, encoding };
  }
  return { ok: false };
}

/** SHA-256 of the decoded text: the same rows in either encoding are the same file. */
export function contentHash(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export const COLUMNS = ["name", "email", "profession", "group"] as const;
export type Column = (typeof COLUMNS)[number];

/** Header cells as people write them, normalised (see `headerKey`). */
const HEADERS: Record<string, Column> = {
  name: "name",
  fullname: "name",
  displayname: "name",
  氏名: "name",
  名前: "name",
  email: "email",
  emailaddress: "email",
  mail: "email",
  メールアドレス: "email",
  メール: "email",
  profession: "profession",
  職種: "profession",
  group: "group",
  グループ: "group",
};

/** Width-folded (NFKC), lower case, without spaces, hyphens, underscores or middle dots. */
export function normalise(value: string): string {
  return value
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[\s\-_・]/g, "");
}

function headerKey(cell: string): Column | undefined {
  return HEADERS[normalise(cell)];
}

export interface CsvRow {
  /** The line of the file the row starts on (the header is line 1). */
  line: number;
  name: string;
  email: string;
  profession: string;
  group: string;
}

export type ParseProblem = "empty" | "malformed" | "columns" | "tooManyRows";

export type Parsed = { ok: true; rows: CsvRow[] } | { ok: false; problem: ParseProblem; detail?: string };

/** The rows under the header; a file without the four columns, or with too many rows, is refused whole. */
export function parseRows(text: string): Parsed {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      trim: true,
      // The header and one row past the limit are enough to know the file is too long.
      to: IMPORT_MAX_ROWS + 2,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    if (error instanceof CsvError) return { ok: false, problem: "malformed", detail: String(error.lines ?? "") };
    throw error;
  }
  const [header, ...body] = records;
  if (!header) return { ok: false, problem: "empty" };
  const index = new Map<Column, number>();
  header.record.forEach((cell, i) => {
    const column = headerKey(cell);
    if (column && !index.has(column)) index.set(column, i);
  });
  const missing = COLUMNS.filter((c) => !index.has(c));
  if (missing.length > 0) return { ok: false, problem: "columns", detail: missing.join(", ") };
  if (body.length === 0) return { ok: false, problem: "empty" };
  if (body.length > IMPORT_MAX_ROWS) return { ok: false, problem: "tooManyRows" };
  const cell = (record: string[], column: Column) => record[index.get(column)!] ?? "";
  return {
    ok: true,
    rows: body.map(({ record, info }) => ({
      line: info.lines - countLineBreaks(record),
      name: cell(record, "name"),
      email: cell(record, "email"),
      profession: cell(record, "profession"),
      group: cell(record, "group"),
    })),
  };
}

/** csv-parse reports the line a record ends on; a quoted cell may span lines. */
function countLineBreaks(record: string[]): number {
  let n = 0;
  for (const cell of record) n += (cell.match(/\r\n|\r|\n/g) ?? []).length;
  return n;
}

/** The sample file offered on the page: UTF-8 with a BOM (what Excel opens as UTF-8), both header languages shown. */
export function sampleCsv(locale: "ja" | "en"): Uint8Array<ArrayBuffer> {
  const rows =
    locale === "ja"
      ? [
          "氏名,メールアドレス,職種,グループ",
          "山田 花子,hanako.yamada@example.jp,警察,少年課",
          "佐藤 健,ken.sato@example.jp,police,少年課",
        ]
      : [
          "name,email,profession,group",
          "Hanako Yamada,hanako.yamada@example.jp,Police,Juvenile Division",
          "Ken Sato,ken.sato@example.jp,social_worker,Juvenile Division",
        ];
  const text = rows.join("\r\n") + "\r\n";
  const body = new TextEncoder().encode(text);
  const out = new Uint8Array(BOM.length + body.length);
  out.set(BOM);
  out.set(body, BOM.length);
  return out;
}

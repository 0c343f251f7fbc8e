// Reading a CSV file of invitations: the encodings Excel writes, the headers people write, and
// the files that are refused whole.
import { describe, expect, it } from "vitest";
import {
  contentHash,
  decodeFile,
  IMPORT_MAX_ROWS,
  parseRows,
  sampleCsv,
} from "../../app/server/invitations/csv-file.server";
import { professionOf } from "../../app/server/invitations/bulk-import.server";

const utf8 = (text: string) => new TextEncoder().encode(text);
const withBom = (bytes: Uint8Array) => new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]);
// "氏名,メール\r\n山田,a@b.jp\r\n" in CP932, built by hand from its code table.
const YAMADA = [0x8e, 0x52, 0x93, 0x63]; // 山田
const SHIMEI = [0x8e, 0x81, 0x96, 0xbc]; // 氏名
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

describe("decoding an uploaded file", () => {
  it("reads UTF-8 without a BOM", () => {
    expect(decodeFile(utf8("氏名,email\n山田,a@b.jp\n"))).toEqual({
      ok: true,
      text: "氏名,email\n山田,a@b.jp\n",
      encoding: "utf-8",
    });
  });

  it("reads UTF-8 with a BOM and leaves the BOM out of the text", () => {
    const decoded = decodeFile(withBom(utf8("name,email\n山田,a@b.jp\n")));
    expect(decoded).toEqual({ ok: true, text: "name,email\n山田,a@b.jp\n", encoding: "utf-8-bom" });
  });

  it("reads Shift_JIS (CP932) bytes that are not UTF-8", () => {
    const bytes = new Uint8Array([...SHIMEI, ...ascii(",email\r\n"), ...YAMADA, ...ascii(",a@b.jp\r\n")]);
    expect(decodeFile(bytes)).toEqual({ ok: true, text: "氏名,email\r\n山田,a@b.jp\r\n", encoding: "shift_jis" });
  });

  it("reads CP932's own characters (the circled digit ①, 0x87 0x40) as Shift_JIS", () => {
    expect(decodeFile(new Uint8Array([0x87, 0x40]))).toEqual({ ok: true, text: "①", encoding: "shift_jis" });
  });

  it("refuses bytes that are neither UTF-8 nor Shift_JIS", () => {
    expect(decodeFile(new Uint8Array([0xff, 0xfe, 0x80, 0xa0, 0xfd]))).toEqual({ ok: false });
  });

  it("refuses a binary file whose bytes happen to decode (control characters)", () => {
    expect(decodeFile(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]))).toEqual({ ok: false });
  });

  it("hashes the decoded text: the same rows in UTF-8 and Shift_JIS are the same file", () => {
    const a = decodeFile(utf8("山田\n"));
    const b = decodeFile(new Uint8Array([...YAMADA, 0x0a]));
    expect(a.ok && b.ok && contentHash(a.text) === contentHash(b.text)).toBe(true);
  });
});

describe("parsing the rows", () => {
  it("takes English headers in any order and case, and ignores other columns", () => {
    const parsed = parseRows("Group,E-mail,Notes,Name,Profession\nJuvenile,a@b.jp,x,Hanako,police\n");
    expect(parsed).toEqual({
      ok: true,
      rows: [{ line: 2, name: "Hanako", email: "a@b.jp", profession: "police", group: "Juvenile" }],
    });
  });

  it("takes Japanese headers, including full-width spaces around them, and skips blank lines", () => {
    const parsed = parseRows("　氏名　,メールアドレス,職種,グループ\r\n\r\n山田 花子,h@y.jp,警察,少年課\r\n,,,\r\n");
    expect(parsed).toEqual({
      ok: true,
      rows: [{ line: 3, name: "山田 花子", email: "h@y.jp", profession: "警察", group: "少年課" }],
    });
  });

  it("numbers rows by the line they start on, past quoted cells that span lines", () => {
    const parsed = parseRows('name,email,profession,group\n"Two\nlines",a@b.jp,police,G\nC,c@d.jp,police,G\n');
    expect(parsed.ok && parsed.rows.map((r) => r.line)).toEqual([2, 4]);
  });

  it("refuses a file whose header lacks a column, naming it", () => {
    expect(parseRows("name,email,group\nA,a@b.jp,G\n")).toEqual({
      ok: false,
      problem: "columns",
      detail: "profession",
    });
  });

  it("refuses an empty file and a header alone", () => {
    expect(parseRows("")).toMatchObject({ ok: false, problem: "empty" });
    expect(parseRows("name,email,profession,group\n")).toMatchObject({ ok: false, problem: "empty" });
  });

  it("refuses malformed quoting", () => {
    expect(parseRows('name,email,profession,group\n"A,a@b.jp,police,G\n')).toMatchObject({
      ok: false,
      problem: "malformed",
    });
  });

  it(`takes ${IMPORT_MAX_ROWS} rows and refuses one more`, () => {
    const file = (n: number) =>
      "name,email,profession,group\n" + Array.from({ length: n }, (_, i) => `P${i},p${i}@x.jp,police,G`).join("\n");
    const full = parseRows(file(IMPORT_MAX_ROWS));
    expect(full.ok && full.rows.length).toBe(IMPORT_MAX_ROWS);
    expect(parseRows(file(IMPORT_MAX_ROWS + 1))).toEqual({ ok: false, problem: "tooManyRows" });
  });
});

describe("professions", () => {
  it("are found by code, English label or Japanese label, whatever the width or case", () => {
    expect(professionOf("social_worker")).toBe("social_worker");
    expect(professionOf("Social Worker")).toBe("social_worker");
    expect(professionOf("ソーシャルワーカー")).toBe("social_worker");
    expect(professionOf("ＰＯＬＩＣＥ")).toBe("police");
    expect(professionOf("警察")).toBe("police");
    expect(professionOf("astronaut")).toBeUndefined();
  });
});

describe("the sample file", () => {
  it("is UTF-8 with a BOM and reads back as a valid file with the four columns, in either language", () => {
    for (const locale of ["en", "ja"] as const) {
      const bytes = sampleCsv(locale);
      expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const decoded = decodeFile(bytes);
      expect(decoded).toMatchObject({ ok: true, encoding: "utf-8-bom" });
      const parsed = decoded.ok ? parseRows(decoded.text) : undefined;
      expect(parsed?.ok && parsed.rows.length).toBe(2);
      expect(parsed?.ok && parsed.rows.every((r) => professionOf(r.profession))).toBe(true);
    }
  });
});

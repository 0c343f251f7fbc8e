import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  dictionaries,
  formatDate,
  formatNumber,
  ICU_MESSAGE,
  icuFormat,
  keysOf,
  localeFromAcceptLanguage,
  translate,
  type Locale,
} from "../../app/i18n";

const root = path.resolve(import.meta.dirname, "../..");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : /\.(ts|tsx)$/.test(name) ? [full] : [];
  });
}

describe("dictionaries", () => {
  const en = keysOf(dictionaries.en).sort();
  const ja = keysOf(dictionaries.ja).sort();

  it("have exactly the same keys in Japanese and English", () => {
    expect(ja.filter((k) => !en.includes(k))).toEqual([]);
    expect(en.filter((k) => !ja.includes(k))).toEqual([]);
  });

  it("use the same placeholders in both languages, ICU arguments included", () => {
    for (const key of en) {
      expect(placeholders("ja", key), key).toEqual(placeholders("en", key));
    }
  });

  it("write every count as an ICU plural with the plural forms each language needs", () => {
    const icu = en.filter((key) => ICU_MESSAGE.test(raw("en", key)));
    expect(icu.length).toBeGreaterThanOrEqual(8);
    for (const locale of ["en", "ja"] as const) {
      // CLDR's categories for the language: English one/other, Japanese other.
      const needed = new Intl.PluralRules(locale).resolvedOptions().pluralCategories;
      for (const key of icu) {
        expect(ICU_MESSAGE.test(raw(locale, key)), `${locale} ${key} is ICU too`).toBe(true);
        for (const plural of plurals(icuFormat(locale, raw(locale, key)).getAst())) {
          const forms = Object.keys(plural.options);
          expect(forms, `${locale} ${key}`).toEqual(expect.arrayContaining(needed));
          // No category the language does not have (a Japanese "one" would never be chosen).
          expect(
            forms.filter((f) => !f.startsWith("=") && !needed.includes(f as Intl.LDMLPluralRule)),
            key,
          ).toEqual([]);
        }
      }
    }
  });

  it("join no count to a noun by hand: a number before an English plural noun is an ICU plural", () => {
    // "{{n}} agencies" read "1 agencies"; units such as "{{m}} min" do not change with the count.
    const counted = en.filter((key) => /\{\{\w+\}\} (?!(?:min|h|s|has|is|was|does)\b)[a-z]+s\b/.test(raw("en", key)));
    expect(counted).toEqual([]);
  });

  it("have no empty texts", () => {
    for (const key of en) {
      expect(translate("en", key).trim(), key).not.toBe("");
      expect(translate("ja", key).trim(), key).not.toBe("");
    }
  });

  it("contain every literal key the code asks for", () => {
    const used = new Set<string>();
    for (const file of sourceFiles(path.join(root, "app"))) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/\bt\(\s*"([a-zA-Z][\w.]+)"/g)) used.add(m[1]!);
      for (const m of text.matchAll(/"((?:errors|errorPage|token)\.[\w.]+)"/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(50);
    expect([...used].filter((k) => !en.includes(k))).toEqual([]);
  });
});

/** The text as written in the dictionary, before any formatting. */
function raw(locale: Locale, key: string): string {
  let node: unknown = dictionaries[locale];
  for (const part of key.split(".")) node = (node as Record<string, unknown>)[part];
  return node as string;
}

interface AstNode {
  type: number;
  value?: unknown;
  options?: Record<string, { value: AstNode[] }>;
}
const ARGUMENT_TYPES = new Set([1, 2, 3, 4, 5, 6]); // argument, number, date, time, select, plural

function walk(nodes: AstNode[], visit: (n: AstNode) => void) {
  for (const n of nodes) {
    visit(n);
    for (const option of Object.values(n.options ?? {})) walk(option.value, visit);
  }
}

function plurals(nodes: AstNode[]) {
  const found: { options: Record<string, unknown> }[] = [];
  walk(nodes, (n) => {
    if (n.type === 6 && n.options) found.push({ options: n.options });
  });
  return found;
}

/** A message's placeholder names: {{name}}, or an ICU message's arguments. */
function placeholders(locale: Locale, key: string): string[] {
  const text = raw(locale, key);
  if (!ICU_MESSAGE.test(text)) return [...new Set([...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]!))].sort();
  const names = new Set<string>();
  walk(icuFormat(locale, text).getAst() as AstNode[], (n) => {
    if (ARGUMENT_TYPES.has(n.type)) names.add(String(n.value));
  });
  return [...names].sort();
}

describe("translate", () => {
  it("fills placeholders and formats numbers per locale", () => {
    expect(translate("en", "admin.userCount", { n: 1234 })).toBe("1,234 active accounts");
    expect(translate("ja", "admin.userCount", { n: 1234 })).toBe("有効なアカウント 1,234 件");
  });

  it("chooses the plural form by the count, per language", () => {
    expect(translate("en", "admin.agencyCount", { n: 1 })).toBe("1 agency");
    expect(translate("en", "admin.agencyCount", { n: 2 })).toBe("2 agencies");
    expect(translate("en", "admin.userCount", { n: 1 })).toBe("1 active account");
    expect(translate("ja", "admin.agencyCount", { n: 1 })).toBe("1 機関");
    expect(translate("en", "learn.courseProgress", { done: 0, total: 1 })).toBe("0 of 1 module done");
    expect(translate("en", "records.broken", { seq: 7, id: "r", reason: "x", n: 0 })).toContain(
      "No record comes before it.",
    );
  });

  it("falls back to the key itself rather than showing nothing", () => {
    expect(translate("en", "no.such.key")).toBe("no.such.key");
  });
});

describe("formatting", () => {
  it("writes dates the way each language reads them, in Japan's time zone", () => {
    const d = new Date("2026-03-31T16:30:00Z"); // 1 April 2026, 01:30 in Tokyo
    expect(formatDate("ja", d)).toBe("2026/04/01");
    expect(formatDate("en", d)).toBe("1 Apr 2026");
    expect(formatDate("ja", d, true)).toBe("2026/04/01 1:30");
  });

  it("groups digits", () => {
    expect(formatNumber("en", 1234567)).toBe("1,234,567");
  });
});

describe("language from the browser", () => {
  it("picks the best supported language by quality", () => {
    expect(localeFromAcceptLanguage("en-GB,en;q=0.9,ja;q=0.8")).toBe("en");
    expect(localeFromAcceptLanguage("fr-FR,ja;q=0.5,en;q=0.4")).toBe("ja");
    expect(localeFromAcceptLanguage("ko,fr")).toBeNull();
    expect(localeFromAcceptLanguage(null)).toBeNull();
    expect(localeFromAcceptLanguage("en;q=0, ja")).toBe("ja");
  });
});

import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { dictionaries, formatDate, formatNumber, keysOf, localeFromAcceptLanguage, translate } from "../../app/i18n";

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

  it("use the same placeholders in both languages", () => {
    const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
    for (const key of en) {
      expect(placeholders(translate("ja", key)), key).toEqual(placeholders(translate("en", key)));
    }
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

describe("translate", () => {
  it("fills placeholders and formats numbers per locale", () => {
    expect(translate("en", "admin.userCount", { n: 1234 })).toBe("1,234 active accounts");
    expect(translate("ja", "admin.userCount", { n: 1234 })).toBe("有効なアカウント 1,234 件");
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

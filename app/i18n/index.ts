// The platform's two languages. Every string a person reads comes from these dictionaries; a
// test fails when their keys differ. Shared by server and browser.
import { IntlMessageFormat } from "intl-messageformat";
import { LOCALES, type Locale } from "../../db/schema";
import { en } from "./en";
import { ja } from "./ja";

export { LOCALES, type Locale };
export const DEFAULT_LOCALE: Locale = "ja";

export type Dictionary = { [key: string]: string | Dictionary };
export const dictionaries: Record<Locale, Dictionary> = { en, ja };

export function isLocale(value: unknown): value is Locale {
  return value === "ja" || value === "en";
}

// Every message of a dictionary by its dotted key, made on first use: a page of a few hundred
// messages looks each one up without splitting its key and walking the tree.
const flat = new WeakMap<Dictionary, Map<string, string>>();
function flatten(dict: Dictionary, prefix: string, into: Map<string, string>): Map<string, string> {
  for (const [k, v] of Object.entries(dict))
    if (typeof v === "string") into.set(prefix + k, v);
    else flatten(v, `${prefix}${k}.`, into);
  return into;
}

function lookup(dict: Dictionary, key: string): string | undefined {
  let messages = flat.get(dict);
  if (!messages) flat.set(dict, (messages = flatten(dict, "", new Map())));
  return messages.get(key);
}

export type Params = Record<string, string | number>;

/**
 * What a message from the server may be filled with: text, a number, a moment (shown as a date and
 * time in Japan's time zone) or a length of time.
 */
export type MessageParam = string | number | Date | { seconds: number };
export type MessageParams = Record<string, MessageParam>;

/** Message parameters as text in the reader's language. */
export function formatMessageParams(locale: Locale, params: MessageParams | undefined): Params | undefined {
  if (!params) return undefined;
  return Object.fromEntries(
    Object.entries(params).map(([name, value]) => [
      name,
      value instanceof Date
        ? formatDate(locale, value, true)
        : typeof value === "object"
          ? formatDuration(locale, value.seconds)
          : value,
    ]),
  );
}

/** "1 h 5 min", "3 min 20 s", "45 s" / "1時間5分", "3分20秒", "45秒". */
export function formatDuration(locale: Locale, totalSeconds: number): string {
  const seconds = Math.max(0, Math.ceil(totalSeconds));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) {
    // Whole minutes are precise enough once the wait is an hour or more.
    const rounded = m + (s > 0 ? 1 : 0);
    if (rounded === 60) return translate(locale, "time.hours", { h: h + 1 });
    return rounded === 0
      ? translate(locale, "time.hours", { h })
      : translate(locale, "time.hoursMinutes", { h, m: rounded });
  }
  if (m === 0) return translate(locale, "time.seconds", { s });
  return s === 0 ? translate(locale, "time.minutes", { m }) : translate(locale, "time.minutesSeconds", { m, s });
}

/**
 * A message that counts something is written in ICU MessageFormat ("{n, plural, one {# agency}
 * other {# agencies}}"), so that each language applies its own plural rules: "1 agency",
 * "2 agencies", 「1 件」. Its placeholders are ICU's single braces; every other message keeps `{{name}}`.
 */
export const ICU_MESSAGE = /\{\s*\w+\s*,\s*(?:plural|selectordinal|select)\s*,/;

const icuFormats = new Map<string, IntlMessageFormat>();

/** The compiled form of an ICU message, one per language and text (they are costly to parse). */
export function icuFormat(locale: Locale, text: string): IntlMessageFormat {
  const id = `${locale}\u0000${text}`;
  let f = icuFormats.get(id);
  if (!f) icuFormats.set(id, (f = new IntlMessageFormat(text, INTL_LOCALE[locale])));
  return f;
}

/** The text for `key`, with its placeholders filled in; the key itself when missing. */
export function translate(locale: Locale, key: string, params?: Params): string {
  const own = lookup(dictionaries[locale], key);
  const text = own ?? lookup(dictionaries.en, key) ?? key;
  if (ICU_MESSAGE.test(text)) {
    try {
      return String(icuFormat(own ? locale : "en", text).format(params ?? {}));
    } catch {
      return text; // a value missing: show the message rather than break the page
    }
  }
  if (!params) return text;
  return text.replace(/\{\{(\w+)\}\}/g, (whole, name: string) =>
    name in params ? formatParam(locale, params[name]!) : whole,
  );
}

function formatParam(locale: Locale, value: string | number): string {
  return typeof value === "number" ? formatNumber(locale, value) : value;
}

const INTL_LOCALE: Record<Locale, string> = { ja: "ja-JP", en: "en-GB" };

// Intl formatters are costly to build and safe to share: one per locale and style.
const numberFormats = new Map<Locale, Intl.NumberFormat>();
const dateFormats = new Map<string, Intl.DateTimeFormat>();
const listFormats = new Map<Locale, Intl.ListFormat>();

/** "A, B and C" / 「A、B、C」. */
export function formatList(locale: Locale, values: string[]): string {
  let f = listFormats.get(locale);
  if (!f) listFormats.set(locale, (f = new Intl.ListFormat(INTL_LOCALE[locale], { type: "conjunction" })));
  return f.format(values);
}

export function formatNumber(locale: Locale, value: number): string {
  let f = numberFormats.get(locale);
  if (!f) numberFormats.set(locale, (f = new Intl.NumberFormat(INTL_LOCALE[locale])));
  return f.format(value);
}

/** Dates in the platform's time zone (Japan), so server and browser render the same text. */
export function formatDate(locale: Locale, value: Date | string, withTime = false): string {
  const key = `${locale}:${withTime}`;
  let f = dateFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(INTL_LOCALE[locale], {
      dateStyle: "medium",
      ...(withTime ? { timeStyle: "short" } : {}),
      timeZone: "Asia/Tokyo",
    });
    dateFormats.set(key, f);
  }
  return f.format(typeof value === "string" ? new Date(value) : value);
}

/** Every key path of a dictionary, for the test that keeps both languages in step. */
export function keysOf(dict: Dictionary, prefix = ""): string[] {
  return Object.entries(dict).flatMap(([k, v]) => (typeof v === "string" ? [prefix + k] : keysOf(v, `${prefix}${k}.`)));
}

/** The best supported language in an Accept-Language header, or null. */
export function localeFromAcceptLanguage(header: string | null): Locale | null {
  if (!header) return null;
  const ranked = header
    .split(",")
    .map((part) => {
      const [tag = "", ...rest] = part.trim().split(";");
      const q = rest.find((p) => p.trim().startsWith("q="));
      return { lang: tag.trim().toLowerCase().split("-")[0] ?? "", q: q ? Number(q.trim().slice(2)) || 0 : 1 };
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q);
  return ranked.map((x) => x.lang).find(isLocale) ?? null;
}

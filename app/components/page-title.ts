import { translate, type Locale } from "~/i18n";

/** A page's <title> in the reader's language: "<page> — Mamoru". */
type Matches = readonly { id: string; data?: unknown }[];

/** The reader's language, as the root loader decided it. */
export function rootLocale(matches: Matches): Locale {
  return (matches.find((m) => m.id === "root")?.data as { locale?: Locale } | undefined)?.locale ?? "ja";
}

export function pageTitle(matches: Matches, key: string, params?: Record<string, string>) {
  const locale = rootLocale(matches);
  return [{ title: `${translate(locale, key, params)} — ${translate(locale, "app.name")}` }];
}

import { translate, type Locale } from "~/i18n";

/** A page's <title> in the reader's language: "<page> — Mamoru". */
export function pageTitle(matches: readonly { id: string; data?: unknown }[], key: string, params?: Record<string, string>) {
  const root = matches.find((m) => m.id === "root")?.data as { locale?: Locale } | undefined;
  const locale = root?.locale ?? "ja";
  return [{ title: `${translate(locale, key, params)} — ${translate(locale, "app.name")}` }];
}

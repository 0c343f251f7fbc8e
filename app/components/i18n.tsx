// Reading the dictionaries from components: the language comes from the root loader.
import { useRouteLoaderData } from "@remix-run/react";
import { useCallback } from "react";
import {
  DEFAULT_LOCALE,
  formatDate,
  formatDuration,
  formatMessageParams,
  formatList,
  formatNumber,
  translate,
  type Locale,
  type MessageParams,
  type Params,
} from "~/i18n";

export function useLocale(): Locale {
  const root = useRouteLoaderData<{ locale: Locale }>("root");
  return root?.locale ?? DEFAULT_LOCALE;
}

export function useT() {
  const locale = useLocale();
  return useCallback((key: string, params?: Params) => translate(locale, key, params), [locale]);
}

/** A message from the server, filled with its parameters (moments and lengths of time formatted). */
export function useMessage() {
  const locale = useLocale();
  return useCallback(
    (key: string, params?: MessageParams) => translate(locale, key, formatMessageParams(locale, params)),
    [locale],
  );
}

export function useFormat() {
  const locale = useLocale();
  return {
    date: (value: Date | string, withTime = false) => formatDate(locale, value, withTime),
    number: (value: number) => formatNumber(locale, value),
    list: (values: string[]) => formatList(locale, values),
    duration: (seconds: number) => formatDuration(locale, seconds),
  };
}

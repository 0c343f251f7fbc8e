// Course content is written in English first; the Japanese edition follows module by module.
// Where a text has no Japanese yet, it is shown in English and marked lang="en" for screen readers.
import type { ElementType } from "react";
import { useLocale, useT } from "./i18n";

export type LocalisedText = { en: string; ja?: string };

export function useLocalised() {
  const locale = useLocale();
  return (text: LocalisedText) => {
    const own = text[locale];
    return own ? { text: own, lang: undefined } : { text: text.en, lang: locale === "en" ? undefined : "en" };
  };
}

export function L({
  text,
  as: Tag = "span",
  className,
}: {
  text: LocalisedText;
  as?: ElementType;
  className?: string;
}) {
  const pick = useLocalised();
  const { text: value, lang } = pick(text);
  return (
    <Tag lang={lang} className={className}>
      {value}
    </Tag>
  );
}

/** "2 h 15 min" / "2時間15分". */
export function useDuration() {
  const t = useT();
  return (minutes: number) => {
    const h = Math.floor(minutes / 60);
    const m = minutes % 60;
    if (h === 0) return t("time.minutes", { m });
    return m === 0 ? t("time.hours", { h }) : t("time.hoursMinutes", { h, m });
  };
}

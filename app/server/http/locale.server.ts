// Which language to speak: the person's own setting, else the language they picked on this
// browser (a cookie), else what the browser asks for, else Japanese.
import { DEFAULT_LOCALE, isLocale, localeFromAcceptLanguage, type Locale } from "../../i18n";

export const LOCALE_COOKIE = "mamoru_lang";

export function readLocaleCookie(cookieHeader: string | null): Locale | null {
  const match = cookieHeader?.match(new RegExp(`(?:^|;\\s*)${LOCALE_COOKIE}=(\\w+)`));
  return match && isLocale(match[1]) ? match[1] : null;
}

export function resolveLocale(request: Request, userLocale: Locale | null | undefined): Locale {
  return localeFromHeaders(request.headers.get("cookie"), request.headers.get("accept-language"), userLocale);
}

/** The same choice from the raw headers, for pages the Express layer answers itself. */
export function localeFromHeaders(
  cookieHeader: string | null | undefined,
  acceptLanguage: string | null | undefined,
  userLocale?: Locale | null,
): Locale {
  return (
    userLocale ??
    readLocaleCookie(cookieHeader ?? null) ??
    localeFromAcceptLanguage(acceptLanguage ?? null) ??
    DEFAULT_LOCALE
  );
}

export function localeCookie(locale: Locale, secure: boolean): string {
  return `${LOCALE_COOKIE}=${locale}; Path=/; Max-Age=31536000; SameSite=Lax${secure ? "; Secure" : ""}`;
}

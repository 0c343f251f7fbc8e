// Which language to speak: the person's own setting, else the language they picked on this
// browser (a cookie), else what the browser asks for, else Japanese.
import { DEFAULT_LOCALE, isLocale, localeFromAcceptLanguage, type Locale } from "../../i18n";

/**
 * The cookie's name. With secure cookies (production) it carries the __Host- prefix like the
 * session cookie (ASVS 3.3.1, 3.3.3): only this exact origin, over HTTPS, can have set it, so a
 * neighbouring host cannot choose a person's language for them.
 */
export const localeCookieName = (secure: boolean) => (secure ? "__Host-mamoru_lang" : "mamoru_lang");

/** The name the cookie had before it was prefixed: still read, once, so people keep their language. */
export const LEGACY_LOCALE_COOKIE = "mamoru_lang";

function cookieValue(cookieHeader: string | null, name: string): string | null {
  for (const part of (cookieHeader ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** The language this browser picked: the prefixed cookie, else the one of the old name. */
export function readLocaleCookie(cookieHeader: string | null): Locale | null {
  for (const name of [localeCookieName(true), LEGACY_LOCALE_COOKIE]) {
    const value = cookieValue(cookieHeader, name);
    if (value && isLocale(value)) return value;
  }
  return null;
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
  return `${localeCookieName(secure)}=${locale}; Path=/; Max-Age=31536000; SameSite=Lax${secure ? "; Secure" : ""}`;
}

/**
 * With secure cookies, a browser still holding only the old, unprefixed cookie gets its language
 * under the new name and the old cookie removed: the Set-Cookie headers to add, or none.
 */
export function legacyLocaleCookieUpgrade(cookieHeader: string | null | undefined, secure: boolean): string[] {
  if (!secure) return [];
  const legacy = cookieValue(cookieHeader ?? null, LEGACY_LOCALE_COOKIE);
  if (legacy === null) return [];
  const expired = `${LEGACY_LOCALE_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax; Secure`;
  const current = cookieValue(cookieHeader ?? null, localeCookieName(true));
  return isLocale(legacy) && !(current && isLocale(current)) ? [localeCookie(legacy, true), expired] : [expired];
}

// Where to send a person after a form that names its own way back (sign-in's `next`, the language
// switch's `redirectTo`): a place on this site, never another one.

// Browsers drop TAB, CR and LF anywhere in a URL, trim spaces and other C0 characters at its ends,
// and read a backslash as a slash, so "/\t/evil.example" and "/\evil.example" both lead away. A
// value carrying any of them is refused rather than cleaned.
const REFUSED = /[\u0000-\u0020\u007f-\u009f\\]/;
const MAX_LENGTH = 2000;

/**
 * The target resolved against the public origin as a browser would resolve it, when it stays on
 * that origin; else the fallback. What comes back is the URL's own serialisation (path, query and
 * fragment, percent-encoded ASCII), so it is always a valid Location header.
 */
export function safeRedirectPath(value: unknown, publicUrl: string, fallback = "/"): string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_LENGTH) return fallback;
  if (REFUSED.test(value) || !value.startsWith("/") || value.startsWith("//")) return fallback;
  const origin = new URL(publicUrl).origin;
  let url: URL;
  try {
    url = new URL(value, origin);
  } catch {
    return fallback;
  }
  if (url.origin !== origin) return fallback;
  const target = url.pathname + url.search + url.hash;
  // A path that resolves to "//host" (as "/.//evil.example" does) reads as another site in a Location.
  if (!target.startsWith("/") || target.startsWith("//")) return fallback;
  return target;
}

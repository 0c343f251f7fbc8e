// A browser that has signed in to an account before carries a signed device cookie (OWASP's
// "device cookies"): the account's id, a random device id and a MAC with a key the database never
// holds. With it, a sign-in to that account is throttled on the device's own count instead of the
// account's and the address's, so an attacker guessing at the account, or a shared address full of
// failures, does not lock its owner out. Without it, nothing changes. See ADR 021.
import { randomBytes } from "node:crypto";
import { keyedHash, keyedHashMatches } from "./secret-box.server";

export interface KnownDevice {
  userId: string;
  deviceId: string;
}

const MAX_AGE_S = 365 * 24 * 3600;
// The MAC names its algorithm ("hmac-sha256:…", ADR 025); cookies from before names carry the hex alone.
const VALUE = /^([0-9a-f-]{36})\.([A-Za-z0-9_-]{22})\.((?:[a-z0-9-]{1,32}:)?[0-9a-f]{64})$/;

export const deviceCookieName = (secure: boolean) => (secure ? "__Host-mamoru_device" : "mamoru_device");

export function deviceCookie(
  userId: string,
  secure: boolean,
  deviceId = randomBytes(16).toString("base64url"),
): string {
  const { hash } = keyedHash("device-cookie", `${userId}.${deviceId}`);
  return `${deviceCookieName(secure)}=${userId}.${deviceId}.${hash}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${MAX_AGE_S}${secure ? "; Secure" : ""}`;
}

/** After a full sign-in: a device cookie for the account, unless the browser has one for it already. */
export function deviceCookieAfterSignIn(userId: string, cookieHeader: string | null, secure: boolean): string | null {
  return readKnownDevice(cookieHeader, secure)?.userId === userId ? null : deviceCookie(userId, secure);
}

/** The device the cookie names, when its MAC is right (under any listed key); otherwise null. */
export function readKnownDevice(cookieHeader: string | null, secure: boolean): KnownDevice | null {
  const name = deviceCookieName(secure);
  for (const part of (cookieHeader ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0 || part.slice(0, eq).trim() !== name) continue;
    const match = VALUE.exec(part.slice(eq + 1).trim());
    if (!match) return null;
    const [, userId, deviceId, mac] = match as unknown as [string, string, string, string];
    return keyedHashMatches("device-cookie", `${userId}.${deviceId}`, mac) ? { userId, deviceId } : null;
  }
  return null;
}

import { createHash, randomBytes } from "node:crypto";

/** A URL-safe secret with 256 bits of entropy. */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** What the database keeps of a token: enough to recognise it, useless to anyone who reads it. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export type TokenStatus = "valid" | "expired" | "used" | "unknown";

/** The standing of a single-use, expiring token's row (or of its absence). */
export function tokenStatus(
  row: { expires_at: Date; used_at?: Date | null; accepted_at?: Date | null } | undefined,
  now = new Date(),
): TokenStatus {
  if (!row) return "unknown";
  if (row.used_at || row.accepted_at) return "used";
  if (row.expires_at <= now) return "expired";
  return "valid";
}

// Sign-in throttling, kept in Postgres so that every instance sees the same counts. Failures are
// counted per account and per client address within a window. Past the free failures each further
// one makes the key wait, the wait doubling up to a ceiling; a rule may end in a hard lock after
// many failures. A browser that has signed in to the account before (a signed device cookie,
// devices.server.ts) is counted on its own key instead, so that someone guessing at an account,
// or many people behind one address, cannot lock its owner out (ADR 021).
import { sql, type Kysely } from "kysely";
import type { Database } from "../../../db/schema";

export interface ThrottleRule {
  /** Failures allowed before the first wait. */
  maxFailures: number;
  /** How long failures are remembered. */
  windowMs: number;
  /** The first wait; it doubles with each further failure… */
  lockMs: number;
  /** …up to this. */
  maxLockMs: number;
  /** From this many failures on: a hard lock of hardLockMs instead of a wait. */
  hardLockAfter?: number;
  hardLockMs?: number;
}

/**
 * Per account (and per second factor): four failures free; from the fifth a wait of one minute,
 * then 2, 4, 8 and 15 minutes each; at the twentieth failure in a day, a lock of a day. About 20
 * guesses a day at most, and a person who mistypes waits a minute, not a quarter of an hour.
 */
export const ACCOUNT_RULE: ThrottleRule = {
  maxFailures: 5,
  windowMs: 24 * 3_600_000,
  lockMs: 60_000,
  maxLockMs: 15 * 60_000,
  hardLockAfter: 20,
  hardLockMs: 24 * 3_600_000,
};

/** A known device's own count: its owner mistyping, or someone who took the device. */
export const DEVICE_RULE: ThrottleRule = ACCOUNT_RULE;
export const ADDRESS_RULE: ThrottleRule = {
  maxFailures: 30,
  windowMs: 15 * 60_000,
  lockMs: 15 * 60_000,
  maxLockMs: 3_600_000,
};

/** Reset mails per address: enough for a person who mistyped, too few to flood an inbox. */
export const RESET_REQUEST_RULE: ThrottleRule = {
  maxFailures: 3,
  windowMs: 3_600_000,
  lockMs: 3_600_000,
  maxLockMs: 24 * 3_600_000,
};

/** When the key may try again, or null when it is not locked. */
export async function lockedUntil(db: Kysely<Database>, key: string, now = new Date()): Promise<Date | null> {
  const row = await db.selectFrom("throttles").select("locked_until").where("key", "=", key).executeTakeFirst();
  return row?.locked_until && row.locked_until > now ? row.locked_until : null;
}

/** Counts one attempt (a failed sign-in, a reset request), atomically, and locks the key once it passes the rule's limit. */
export async function recordAttempt(db: Kysely<Database>, key: string, rule: ThrottleRule, now = new Date()) {
  const windowStart = new Date(now.getTime() - rule.windowMs);
  const { rows } = await sql<{ failures: number }>`
    insert into throttles as t (key, failures, window_started_at, locked_until)
    values (${key}, 1, ${now}, null)
    on conflict (key) do update set
      failures = case when t.window_started_at < ${windowStart} and (t.locked_until is null or t.locked_until < ${now})
                      then 1 else t.failures + 1 end,
      window_started_at = case when t.window_started_at < ${windowStart} and (t.locked_until is null or t.locked_until < ${now})
                      then ${now} else t.window_started_at end
    returning t.failures
  `.execute(db);
  const failures = rows[0]?.failures ?? 0;
  const over = failures - rule.maxFailures;
  if (over >= 0) {
    const hard = rule.hardLockAfter !== undefined && failures >= rule.hardLockAfter;
    const lockMs = hard ? rule.hardLockMs! : Math.min(rule.lockMs * 2 ** Math.min(over, 20), rule.maxLockMs);
    await db
      .updateTable("throttles")
      .set({ locked_until: new Date(now.getTime() + lockMs) })
      .where("key", "=", key)
      .execute();
  }
}

export async function clearFailures(db: Kysely<Database>, key: string) {
  await db.deleteFrom("throttles").where("key", "=", key).execute();
}

export const accountKey = (email: string) => `account:${email.toLowerCase()}`;
export const resetKey = (email: string) => `reset:${email.toLowerCase()}`;
export const addressKey = (address: string) => `address:${address}`;
export const deviceKey = (deviceId: string) => `device:${deviceId}`;

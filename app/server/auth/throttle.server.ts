// Sign-in throttling, kept in Postgres so that every instance sees the same counts. Failures are
// counted per account and per client address within a window. Past the free failures each further
// one makes the key wait, the wait doubling up to a ceiling; a rule may end in a hard lock after
// many failures. A browser that has signed in to the account before (a signed device cookie,
// devices.server.ts) is counted on its own key instead, so that someone guessing at an account,
// or many people behind one address, cannot lock its owner out (ADR 021).
import { sql, type Kysely } from "kysely";
import type { Database } from "../../../db/schema";
import { DomainError } from "../shared/errors.server";
import { noteRetryAt, securityEvent } from "../shared/security-events.server";

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

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A usage limit: at most `max` uses in a window of `windowMs` that starts with the first use. */
export interface UsageLimit {
  max: number;
  windowMs: number;
}

/**
 * Every usage limit, in one place (ADR 025, README "Limits"). Each is counted per signed-in person,
 * or per client address where no one is signed in, in the same table as the sign-in throttle, so
 * that every instance sees the same counts. Generous for real work, tight for a script: a training
 * officer inviting a new intake, a trainee retaking a quiz, an employer checking a pile of
 * certificates all stay far below them.
 */
export const LIMITS = {
  /** Invitation mails sent one at a time (an invitation or a resent one). */
  invitations: { max: 300, windowMs: DAY },
  /** CSV files uploaded for a bulk invitation (each is read and checked in full). */
  importUploads: { max: 30, windowMs: HOUR },
  /** Invitations sent by confirmed CSV imports, counted per row: two full files (2,000 rows each) a day. */
  importedInvitations: { max: 4000, windowMs: DAY },
  /** Exports (records as CSV or xAPI, the matrix, the audit trail). */
  exports: { max: 30, windowMs: HOUR },
  /** Quiz attempts started, every module and stage together (each module's own rules apply too). */
  quizAttempts: { max: 30, windowMs: HOUR },
  /** Certificate PDFs rendered. */
  certificatePdfs: { max: 60, windowMs: HOUR },
  /** Certificate look-ups at /verify/<code>. */
  verifyLookups: { max: 200, windowMs: HOUR },
} as const satisfies Record<string, UsageLimit>;

export type LimitName = keyof typeof LIMITS;

/** Who a limit is counted for: the signed-in person, else the client address. */
export const limitSubject = (who: { userId?: string | null | undefined; address: string }) =>
  who.userId ? `user:${who.userId}` : `address:${who.address}`;

export const limitKey = (name: LimitName, subject: string) => `limit:${name}:${subject}`;

/**
 * Uses `amount` of a limit's allowance, atomically, or refuses (DomainError "throttled", with the
 * moment the window ends) and uses nothing: a refused request changes nothing, the count included.
 * Call it inside the transaction of what it limits, where there is one, so that a request that
 * fails later gives its allowance back.
 */
export async function spendAllowance(
  db: Kysely<Database>,
  name: LimitName,
  subject: string,
  amount = 1,
  now = new Date(),
): Promise<void> {
  const limit: UsageLimit = LIMITS[name];
  const key = limitKey(name, subject);
  const windowStart = new Date(now.getTime() - limit.windowMs);
  if (amount <= limit.max) {
    const { rows } = await sql<{ failures: number }>`
      insert into throttles as t (key, failures, window_started_at, locked_until)
      values (${key}, ${amount}::int, ${now}, null)
      on conflict (key) do update set
        failures = case when t.window_started_at <= ${windowStart} then excluded.failures
                        else t.failures + excluded.failures end,
        window_started_at = case when t.window_started_at <= ${windowStart} then excluded.window_started_at
                        else t.window_started_at end
      where (case when t.window_started_at <= ${windowStart} then excluded.failures
                  else t.failures + excluded.failures end) <= ${limit.max}::int
      returning t.failures
    `.execute(db);
    if (rows.length > 0) return;
  }
  const row = await db.selectFrom("throttles").select("window_started_at").where("key", "=", key).executeTakeFirst();
  const retryAt = new Date((row?.window_started_at.getTime() ?? now.getTime()) + limit.windowMs);
  noteRetryAt(retryAt);
  throw new DomainError("throttled", `errors.limit.${name}`, undefined, { time: retryAt });
}

/** Forgets counts whose window has passed and whose lock has ended: the table holds only live ones. */
export async function sweepThrottles(db: Kysely<Database>, now = new Date()): Promise<number> {
  const longest = Math.max(DAY, ...Object.values(LIMITS).map((l) => l.windowMs), ACCOUNT_RULE.windowMs);
  const result = await db
    .deleteFrom("throttles")
    .where("window_started_at", "<", new Date(now.getTime() - longest))
    .where((eb) => eb.or([eb("locked_until", "is", null), eb("locked_until", "<", now)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** When the key may try again, or null when it is not locked. */
export async function lockedUntil(db: Kysely<Database>, key: string, now = new Date()): Promise<Date | null> {
  const row = await db.selectFrom("throttles").select("locked_until").where("key", "=", key).executeTakeFirst();
  if (!row?.locked_until || row.locked_until <= now) return null;
  // A locked key means a 429: it says when to come back (Retry-After).
  noteRetryAt(row.locked_until);
  return row.locked_until;
}

/**
 * Counts one attempt (a failed sign-in, a reset request), atomically, and locks the key once it
 * passes the rule's limit; a lock is a security event ("auth.locked_out"). Returns the lock set, if any.
 */
export async function recordAttempt(
  db: Kysely<Database>,
  key: string,
  rule: ThrottleRule,
  now = new Date(),
  userId?: string,
): Promise<Date | null> {
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
    const until = new Date(now.getTime() + lockMs);
    await db.updateTable("throttles").set({ locked_until: until }).where("key", "=", key).execute();
    // Which kind of count locked (never the e-mail address the key holds), and for how long.
    const scope = key.slice(0, key.indexOf(":"));
    securityEvent("auth.locked_out", {
      scope,
      failures,
      until: until.toISOString(),
      // The account's id, when the caller knows it or the key is a second factor's ("mfa:<id>").
      userId: userId ?? (scope === "mfa" ? key.slice(4) : undefined),
    });
    return until;
  }
  return null;
}

export async function clearFailures(db: Kysely<Database>, key: string) {
  await db.deleteFrom("throttles").where("key", "=", key).execute();
}

export const accountKey = (email: string) => `account:${email.toLowerCase()}`;
export const resetKey = (email: string) => `reset:${email.toLowerCase()}`;
export const addressKey = (address: string) => `address:${address}`;
export const deviceKey = (deviceId: string) => `device:${deviceId}`;

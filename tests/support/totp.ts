// An authenticator app's codes, for tests that set up or give a second factor. The server takes a
// code only within its own 30 seconds and never the same step twice (ADR 024).
import type { Kysely } from "kysely";
import { Secret, TOTP } from "otpauth";
import type { Database } from "../../db/schema";

const STEP_MS = 30_000;

/** The code the app shows for the key `steps` periods from now (negative: earlier). */
export const codeAt = (key: string, steps = 0) =>
  new TOTP({ secret: Secret.fromBase32(key.replace(/\s/g, "")) }).generate({
    timestamp: Date.now() + steps * STEP_MS,
  });

/**
 * The code the app shows now. In the last seconds of a period it waits for the next one, as a
 * person would, so that the server reads the code in the period it was made for.
 */
export async function currentCode(key: string): Promise<string> {
  const left = STEP_MS - (Date.now() % STEP_MS);
  if (left < 3_000) await new Promise((resolve) => setTimeout(resolve, left + 100));
  return codeAt(key);
}

/**
 * As if the person's last accepted code were a period old: the current code counts again, as it
 * would 30 seconds later, without the test waiting for them.
 */
export async function aPeriodLater(db: Kysely<Database>, userId: string): Promise<void> {
  await db
    .updateTable("totp_credentials")
    .set((eb) => ({ last_step: eb("last_step", "-", 1) }))
    .where("user_id", "=", userId)
    .execute();
}

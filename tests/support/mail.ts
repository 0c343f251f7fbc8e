import type { Kysely } from "kysely";
import type { Database } from "../../db/schema";

/** The newest link sent to an address, read from the outbox as an admin would. */
export async function lastLinkTo(db: Kysely<Database>, to: string, kind: "invite" | "reset-password"): Promise<string> {
  const mail = await db
    .selectFrom("mail_outbox")
    .select("body_text")
    .where("to_address", "=", to)
    .orderBy("created_at", "desc")
    .execute();
  for (const m of mail) {
    const match = m.body_text.match(new RegExp(`https?://[^\\s]+/${kind}/([A-Za-z0-9_-]{43})`));
    if (match) return match[1]!;
  }
  throw new Error(`no ${kind} link sent to ${to}`);
}

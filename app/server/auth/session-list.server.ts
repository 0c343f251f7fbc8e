// A person's own sessions (ASVS 7.5.2): what they are, and ending any of them. An admin can end
// every session of a person without disabling the account. Every ending is audited.
import type { Kysely } from "kysely";
import type { Database } from "../../../db/schema";
import { audit } from "../audit.server";
import { DomainError } from "../shared/errors.server";
import { hashToken } from "../shared/tokens.server";
import { describeUserAgent, type Device } from "./user-agent.server";

export interface SessionView {
  ref: string;
  device: Device;
  createdAt: Date;
  lastSeenAt: Date;
  current: boolean;
}

/** The person's live sessions, this one first, then the most recently used. */
export async function listSessions(
  db: Kysely<Database>,
  userId: string,
  currentToken: string | null,
  now = new Date(),
): Promise<SessionView[]> {
  const current = currentToken ? hashToken(currentToken) : null;
  const rows = await db
    .selectFrom("sessions")
    .select(["id", "ref", "user_agent", "created_at", "last_seen_at"])
    .where("user_id", "=", userId)
    .where("expires_at", ">", now)
    .where("absolute_expires_at", ">", now)
    .orderBy("last_seen_at", "desc")
    .orderBy("ref")
    .execute();
  return rows
    .map((r) => ({
      ref: r.ref,
      device: describeUserAgent(r.user_agent),
      createdAt: r.created_at,
      lastSeenAt: r.last_seen_at,
      current: r.id === current,
    }))
    .sort((a, b) => Number(b.current) - Number(a.current));
}

/** Ends one of the person's own sessions; a reference to anyone else's is "not found". */
export async function endOwnSession(
  db: Kysely<Database>,
  user: { id: string; agencyId: string },
  ref: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const ended = await trx
      .deleteFrom("sessions")
      .where("ref", "=", ref)
      .where("user_id", "=", user.id)
      .returning("ref")
      .executeTakeFirst();
    if (!ended) throw new DomainError("invalid", "errors.session.notFound");
    await audit(trx, {
      actorId: user.id,
      agencyId: user.agencyId,
      action: "auth.session_ended",
      subjectType: "user",
      subjectId: user.id,
      details: { session: ref },
    });
  });
}

/** Ends every session of the person but the one making the request. */
export async function endOtherSessions(
  db: Kysely<Database>,
  user: { id: string; agencyId: string },
  currentToken: string,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const ended = await trx
      .deleteFrom("sessions")
      .where("user_id", "=", user.id)
      .where("id", "<>", hashToken(currentToken))
      .returning("ref")
      .execute();
    await audit(trx, {
      actorId: user.id,
      agencyId: user.agencyId,
      action: "auth.other_sessions_ended",
      subjectType: "user",
      subjectId: user.id,
      details: { count: ended.length },
    });
    return ended.length;
  });
}

/** An admin ends every session of a person; the account stays open (they sign in again). */
export async function endSessionsOf(
  db: Kysely<Database>,
  actorId: string,
  person: { id: string; agencyId: string },
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const ended = await trx.deleteFrom("sessions").where("user_id", "=", person.id).returning("ref").execute();
    await audit(trx, {
      actorId,
      agencyId: person.agencyId,
      action: "user.sessions_ended",
      subjectType: "user",
      subjectId: person.id,
      details: { count: ended.length },
    });
    return ended.length;
  });
}

/** How many live sessions a person has (the admin's page says so). */
export async function countSessions(db: Kysely<Database>, userId: string, now = new Date()): Promise<number> {
  const row = await db
    .selectFrom("sessions")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("user_id", "=", userId)
    .where("expires_at", ">", now)
    .where("absolute_expires_at", ">", now)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

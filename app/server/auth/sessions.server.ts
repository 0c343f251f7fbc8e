// Sessions, through lucia v3 behind this one module. The cookie carries a random token; the
// database keeps only its SHA-256, so a leaked sessions table opens no account. Sessions end
// after an idle period (sliding, refreshed at most once per half period) and, whatever the
// activity, at an absolute lifetime.
import { Lucia, TimeSpan, type Adapter, type Cookie, type DatabaseSession, type DatabaseUser } from "lucia";
import { sql, type Kysely } from "kysely";
import type { Database, Locale, Profession, Role } from "../../../db/schema";
import { compiledQuery } from "../../../db/compiled-query.server";
import { hashToken, newToken } from "../shared/tokens.server";
import { audit } from "../audit.server";
import { unreadOf } from "../notifications/inbox.server";

export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
  profession: Profession;
  locale: Locale | null;
  agencyId: string;
  agencyName: string;
  roles: Role[];
  /** The groups this person trains (see group_trainers). */
  trainerOf: string[];
  /** Has a confirmed second factor (an authenticator app or a passkey). */
  mfaEnrolled: boolean;
  /** Holds a role whose people an admin requires a second factor of. */
  mfaRequired: boolean;
  /** When this session began: when the person last proved who they are with every factor they have. */
  signedInAt: Date;
  /** Notifications not yet read, as the request began (the header shows them). */
  unreadNotifications: number;
}

interface UserAttributes {
  email: string;
  display_name: string;
  profession: Profession;
  locale: Locale | null;
  agency_id: string;
  agency_name: string;
  roles: Role[];
  trainer_of: string[];
  mfa_enrolled: boolean;
  mfa_required: boolean;
  signed_in_at: Date;
  unread_notifications: number;
}

declare module "lucia" {
  interface Register {
    Lucia: Lucia<Record<never, never>, SessionUser>;
    DatabaseUserAttributes: UserAttributes;
    DatabaseSessionAttributes: { absolute_expires_at?: Date; user_agent?: string | null };
  }
}

// Every signed-in request runs this: compiled once.
const sessionAndUser = compiledQuery(["id"], (db, p: { id: string }) =>
  db
    .selectFrom("sessions as s")
    .leftJoin("users as u", (join) => join.onRef("u.id", "=", "s.user_id").on("u.disabled_at", "is", null))
    .select([
      "s.user_id",
      "s.expires_at",
      "s.absolute_expires_at",
      "s.last_seen_at",
      "s.created_at",
      "u.id as uid",
      "u.email",
      "u.display_name",
      "u.profession",
      "u.locale",
      "u.agency_id",
      sql<string>`(select a.name from agencies a where a.id = u.agency_id)`.as("agency_name"),
      sql<Role[]>`array(select r.role from user_roles r where r.user_id = u.id order by r.role)`.as("roles"),
      sql<string[]>`array(select t.group_id from group_trainers t where t.user_id = u.id order by t.group_id)`.as(
        "trainer_of",
      ),
      sql<boolean>`(exists (select 1 from totp_credentials c where c.user_id = u.id and c.confirmed_at is not null)
        or exists (select 1 from passkeys k where k.user_id = u.id))`.as("mfa_enrolled"),
      sql<boolean>`exists (select 1 from user_roles r join mfa_required_roles m on m.role = r.role where r.user_id = u.id)`.as(
        "mfa_required",
      ),
      // Read here rather than in a statement of its own: every signed-in page's header shows it.
      unreadOf(sql.ref("u.id")).as("unread_notifications"),
    ])
    .where("s.id", "=", p.id),
);

/**
 * Live sessions one account may hold at once (ASVS 7.1.2): a desk, a laptop, a phone and a few
 * shared machines. A sign-in past it ends the least recently active of the others, audited.
 */
export const MAX_SESSIONS_PER_ACCOUNT = 10;

/**
 * Ends the person's live sessions beyond the newest MAX_SESSIONS_PER_ACCOUNT, the one just started
 * always kept; each is audited as ended, with the reason. Expired ones are left to the hourly sweep.
 */
async function endSessionsOverLimit(db: Kysely<Database>, userId: string, keptId: string, now = new Date()) {
  await db.transaction().execute(async (trx) => {
    const over = await trx
      .selectFrom("sessions")
      .select("id")
      .where("user_id", "=", userId)
      .where("id", "<>", keptId)
      .where("expires_at", ">", now)
      .where("absolute_expires_at", ">", now)
      .orderBy("last_seen_at", "desc")
      .orderBy("created_at", "desc")
      .orderBy("ref")
      .offset(MAX_SESSIONS_PER_ACCOUNT - 1)
      .execute();
    if (over.length === 0) return;
    const ended = await trx
      .deleteFrom("sessions")
      .where(
        "id",
        "in",
        over.map((o) => o.id),
      )
      .returning("ref")
      .execute();
    const person = await trx.selectFrom("users").select("agency_id").where("id", "=", userId).executeTakeFirst();
    for (const { ref } of ended) {
      await audit(trx, {
        actorId: userId,
        agencyId: person?.agency_id ?? null,
        action: "auth.session_ended",
        subjectType: "user",
        subjectId: userId,
        details: { session: ref, reason: "limit" },
      });
    }
  });
}

/** How often the last-seen time of a session is written: at most once a minute, not on every request. */
const LAST_SEEN_EVERY_MS = 60_000;

/** A User-Agent as stored: no control characters, at most 512 characters. */
export function cleanUserAgent(value: string | null | undefined): string | null {
  const clean = (value ?? "")
    .replace(/[\u0000-\u001f\u007f]/g, "")
    .slice(0, 512)
    .trim();
  return clean || null;
}

/** Lucia's storage, in our tables. Every id Lucia passes in is a raw token and is hashed here. */
export class KyselySessionAdapter implements Adapter {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly absoluteMs: number,
  ) {}

  async getSessionAndUser(token: string): Promise<[DatabaseSession | null, DatabaseUser | null]> {
    const [row] = await sessionAndUser(this.db, { id: hashToken(token) });
    if (!row) return [null, null];
    const now = Date.now();
    if (now - row.last_seen_at.getTime() >= LAST_SEEN_EVERY_MS) {
      await this.db
        .updateTable("sessions")
        .set({ last_seen_at: new Date(now) })
        .where("id", "=", hashToken(token))
        .execute();
    }
    // Lucia ends a session whose expiry has passed: report the earlier of idle and absolute expiry.
    const expiresAt = row.expires_at < row.absolute_expires_at ? row.expires_at : row.absolute_expires_at;
    const session: DatabaseSession = { id: token, userId: row.user_id, expiresAt, attributes: {} };
    if (!row.uid) return [session, null];
    return [
      session,
      {
        id: row.uid,
        attributes: {
          email: row.email!,
          display_name: row.display_name!,
          profession: row.profession!,
          locale: row.locale ?? null,
          agency_id: row.agency_id!,
          agency_name: row.agency_name ?? "",
          roles: row.roles ?? [],
          trainer_of: row.trainer_of ?? [],
          mfa_enrolled: row.mfa_enrolled ?? false,
          mfa_required: row.mfa_required ?? false,
          signed_in_at: row.created_at,
          unread_notifications: row.unread_notifications ?? 0,
        },
      },
    ];
  }

  async getUserSessions(userId: string): Promise<DatabaseSession[]> {
    const rows = await this.db.selectFrom("sessions").selectAll().where("user_id", "=", userId).execute();
    return rows.map((r) => ({ id: r.id, userId: r.user_id, expiresAt: r.expires_at, attributes: {} }));
  }

  async setSession(session: DatabaseSession): Promise<void> {
    const absolute = session.attributes.absolute_expires_at ?? new Date(Date.now() + this.absoluteMs);
    await this.db
      .insertInto("sessions")
      .values({
        id: hashToken(session.id),
        user_id: session.userId,
        expires_at: session.expiresAt < absolute ? session.expiresAt : absolute,
        absolute_expires_at: absolute,
        user_agent: cleanUserAgent(session.attributes.user_agent),
        last_seen_at: new Date(),
      })
      .execute();
  }

  async updateSessionExpiration(token: string, expiresAt: Date): Promise<void> {
    // Sliding renewal never reaches past the absolute lifetime.
    await this.db
      .updateTable("sessions")
      .set({ expires_at: sql<Date>`least(${expiresAt}::timestamptz, absolute_expires_at)` })
      .where("id", "=", hashToken(token))
      .execute();
  }

  async deleteSession(token: string): Promise<void> {
    await this.db.deleteFrom("sessions").where("id", "=", hashToken(token)).execute();
  }

  async deleteUserSessions(userId: string): Promise<void> {
    await this.db.deleteFrom("sessions").where("user_id", "=", userId).execute();
  }

  async deleteExpiredSessions(): Promise<void> {
    await this.db
      .deleteFrom("sessions")
      .where((eb) => eb.or([eb("expires_at", "<=", new Date()), eb("absolute_expires_at", "<=", new Date())]))
      .execute();
  }
}

export interface SessionOptions {
  idleMs: number;
  absoluteMs: number;
  secureCookies: boolean;
}

export type ValidatedSession =
  | { user: SessionUser; sessionToken: string; refreshedCookie: string | null }
  | { user: null; sessionToken: null; refreshedCookie: string | null };

/** Lucia's `expires: false` still sets a long Max-Age; we want the cookie gone with the browser. */
function sessionOnly(cookie: Cookie): string {
  delete cookie.attributes.maxAge;
  delete cookie.attributes.expires;
  return cookie.serialize();
}

export function createSessions(db: Kysely<Database>, options: SessionOptions) {
  const lucia = new Lucia(new KyselySessionAdapter(db, options.absoluteMs), {
    sessionExpiresIn: new TimeSpan(Math.max(1, Math.round(options.idleMs / 1000)), "s"),
    sessionCookie: {
      // __Host- binds the cookie to this exact origin (no Domain, Path=/, Secure).
      name: options.secureCookies ? "__Host-mamoru_session" : "mamoru_session",
      expires: false,
      attributes: { secure: options.secureCookies, sameSite: "lax", path: "/" },
    },
    getUserAttributes: (a) => ({
      email: a.email,
      displayName: a.display_name,
      profession: a.profession,
      locale: a.locale,
      agencyId: a.agency_id,
      agencyName: a.agency_name,
      roles: a.roles,
      trainerOf: a.trainer_of,
      mfaEnrolled: a.mfa_enrolled,
      mfaRequired: a.mfa_required,
      signedInAt: a.signed_in_at,
      unreadNotifications: a.unread_notifications,
    }),
  });

  return {
    cookieName: lucia.sessionCookieName,

    /**
     * A new session (new token) for a user who just proved who they are; returns Set-Cookie. The
     * session the request still carried, if any, ends: one browser holds one session (ASVS 7.2.4).
     */
    async start(
      userId: string,
      meta: { userAgent?: string | null; cookieHeader?: string | null } = {},
    ): Promise<string> {
      const previous = lucia.readSessionCookie(meta.cookieHeader ?? "");
      if (previous) await lucia.invalidateSession(previous);
      const session = await lucia.createSession(
        userId,
        { user_agent: meta.userAgent ?? null },
        { sessionId: newToken() },
      );
      await endSessionsOverLimit(db, userId, hashToken(session.id));
      return sessionOnly(lucia.createSessionCookie(session.id));
    },

    async validate(cookieHeader: string | null): Promise<ValidatedSession> {
      const token = lucia.readSessionCookie(cookieHeader ?? "");
      if (!token) return { user: null, sessionToken: null, refreshedCookie: null };
      const { session, user } = await lucia.validateSession(token);
      if (!session) {
        return { user: null, sessionToken: null, refreshedCookie: lucia.createBlankSessionCookie().serialize() };
      }
      return { user, sessionToken: token, refreshedCookie: null };
    },

    async end(token: string): Promise<string> {
      await lucia.invalidateSession(token);
      return lucia.createBlankSessionCookie().serialize();
    },

    /** Ends every session of a user: sign out everywhere, password change, account disabled. */
    async endAll(userId: string): Promise<void> {
      await lucia.invalidateUserSessions(userId);
    },

    blankCookie(): string {
      return lucia.createBlankSessionCookie().serialize();
    },

    deleteExpired: () => lucia.deleteExpiredSessions(),
  };
}

export type Sessions = ReturnType<typeof createSessions>;

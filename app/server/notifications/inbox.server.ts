// A person's in-app notifications: every reminder the sweep mails is also written here, in the
// language it was mailed in (app/server/assignments/reminders.server.ts). A person reads and marks
// only their own.
import { sql, type Kysely, type RawBuilder } from "kysely";
import { compiledQuery } from "../../../db/compiled-query.server";
import type { Database } from "../../../db/schema";

export const INBOX_PAGE_SIZE = 20;

export interface InboxItem {
  id: string;
  kind: string;
  subject: string;
  body_text: string;
  /** The page the notification is about, as a path on this site. */
  path: string;
  created_at: Date;
  read_at: Date | null;
}

/**
 * A page of the person's notifications, newest first, after the cursor (the id of the last one of
 * the page before; a cursor that is not one of theirs reads nothing): one statement.
 */
export async function inboxPage(
  db: Kysely<Database>,
  userId: string,
  after?: string,
): Promise<{ items: InboxItem[]; next: string | null }> {
  let q = db
    .selectFrom("notifications as n")
    .select(["n.id", "n.kind", "n.subject", "n.body_text", "n.link", "n.created_at", "n.read_at"])
    .where("n.user_id", "=", userId);
  if (after) {
    q = q.where(({ eb, refTuple, selectFrom }) =>
      eb(
        refTuple("n.created_at", "n.id"),
        "<",
        // The cursor's own (created_at, id), and only when it is one of the person's notifications.
        selectFrom("notifications as c")
          .select(["c.created_at", "c.id"])
          .where("c.id", "=", after)
          .where("c.user_id", "=", userId) as never,
      ),
    );
  }
  const rows = await q
    .orderBy("n.created_at", "desc")
    .orderBy("n.id", "desc")
    .limit(INBOX_PAGE_SIZE + 1)
    .execute();
  const items = rows.slice(0, INBOX_PAGE_SIZE).map(({ link, ...row }) => ({ ...row, path: pathOf(link) }));
  return { items, next: rows.length > INBOX_PAGE_SIZE ? items[items.length - 1]!.id : null };
}

/**
 * The number of unread notifications of the person `userId` (a column or a value), as SQL: every
 * signed-in page's header shows it, so the session's own statement reads it (sessions.server.ts).
 */
export const unreadOf = (userId: RawBuilder<unknown> | string) =>
  sql<number>`(select count(*)::int from notifications n where n.user_id = ${userId} and n.read_at is null)`;

const unreadQuery = compiledQuery(["userId"], (db, { userId }: { userId: string }) =>
  db.selectNoFrom(unreadOf(sql`${userId}::uuid`).as("n")),
);

/** How many of the person's notifications are unread. */
export async function unreadCount(db: Kysely<Database>, userId: string): Promise<number> {
  const [row] = await unreadQuery(db, { userId });
  return Number(row?.n ?? 0);
}

/**
 * Marks the person's notifications read: the ones named, or all. Another person's id changes
 * nothing; marking twice keeps the first time. Returns how many were marked now.
 */
export async function markRead(
  db: Kysely<Database>,
  userId: string,
  which: { ids: readonly string[] } | "all",
  now = new Date(),
): Promise<number> {
  if (which !== "all" && which.ids.length === 0) return 0;
  let q = db
    .updateTable("notifications")
    .set({ read_at: now })
    .where("user_id", "=", userId)
    .where("read_at", "is", null);
  if (which !== "all") q = q.where("id", "in", which.ids);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * Mails carry the public address; in the app the link is the path on this site. Anything else is
 * not followed (the link column is written by the sweep only, but a stored value is not trusted).
 */
function pathOf(link: string): string {
  try {
    const url = new URL(link);
    return url.pathname.startsWith("/") && !url.pathname.startsWith("//") ? url.pathname + url.search : "/";
  } catch {
    return "/";
  }
}

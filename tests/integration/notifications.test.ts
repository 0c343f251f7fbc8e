// A person's in-app notifications: each reminder the sweep mails is listed on /notifications in the
// language it was mailed in, newest first, a page at a time; a person marks only their own read,
// and the header counts what is unread.
import { beforeAll, describe, expect, it } from "vitest";
import { assign } from "../../app/server/assignments/assign.server";
import { sweepReminders } from "../../app/server/assignments/reminders.server";
import { createMailer } from "../../app/server/mail/mailer.server";
import { INBOX_PAGE_SIZE, inboxPage, markRead, unreadCount } from "../../app/server/notifications/inbox.server";
import { createLogger } from "../../app/server/shared/log.server";
import { addDays, tokyoDate } from "../../app/server/shared/days.server";
import { engine } from "../support/db";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { startTestServer, type TestServer } from "../support/http";
import { syncSample } from "../support/learning";

let server: TestServer;
let trainee: MadeUser;
let other: MadeUser;
let agencyId: string;

beforeAll(async () => {
  server = await startTestServer();
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  const db = server.database.db;
  await syncSample(db);
  agencyId = (await makeAgency(db, "Osaka Child Guidance Centre", "child_guidance")).id;
  trainee = await makeUser(db, { agencyId, displayName: "Hana Trainee" });
  other = await makeUser(db, { agencyId, displayName: "Ken Other" });
  await db.updateTable("users").set({ locale: "ja" }).where("id", "=", other.id).execute();
  const admin = await makeUser(db, { agencyId, roles: ["admin"] });
  await assign(
    db,
    { id: admin.id, agencyId, roles: ["admin"] },
    {
      agencyId,
      moduleSlug: "sample-module",
      audience: "people",
      userIds: [trainee.id, other.id],
      due: { on: addDays(tokyoDate(new Date()), 30) },
      note: "Before the January rotation",
    },
  );
  const mailer = createMailer(db, createLogger("silent"), { smtpUrl: undefined, from: "test" });
  await sweepReminders(db, mailer, { now: new Date(), publicUrl: server.url });
});

const signedIn = async (user: MadeUser) => {
  const client = server.client();
  expect((await client.signIn(user.email, PASSWORD)).status).toBe(302);
  return client;
};

describe(`notifications (${engine})`, () => {
  it("lists the mailed reminder in the person's own language, with a link on this site, and counts it unread in the header", async () => {
    const en = await (await signedIn(trainee)).get("/notifications");
    expect(en.status).toBe(200);
    const html = await en.text();
    expect(html).toContain("Training assigned to you: Sample module");
    expect(html).toContain("Note from your trainer: Before the January rotation");
    // The mail's link names the public address; in the app it is a path on this site.
    expect(html).toMatch(/<a [^>]*href="\/modules\/sample-module"[^>]*>Open the page this is about<\/a>/);
    expect(html).toMatch(/Notifications<span class="badge">1 unread<\/span>/);
    expect(html).not.toContain("Ken Other");

    const ja = await (await signedIn(other)).get("/notifications", { "accept-language": "ja" });
    expect(await ja.text()).toContain("未読1件");
  });

  it("marks one read, only the reader's own: another person's id changes nothing", async () => {
    const db = server.database.db;
    const [theirs] = (await inboxPage(db, other.id)).items;
    const client = await signedIn(trainee);
    const refused = await client.post("/notifications", { intent: "read", id: theirs!.id });
    expect(refused.headers.get("location")).toBe("/notifications?marked=0");
    expect(await unreadCount(db, other.id)).toBe(1);

    const [mine] = (await inboxPage(db, trainee.id)).items;
    const marked = await client.post("/notifications", { intent: "read", id: mine!.id });
    expect(marked.headers.get("location")).toBe("/notifications?marked=1");
    expect(await unreadCount(db, trainee.id)).toBe(0);
    const page = await (await client.get("/notifications?marked=1")).text();
    expect(page).toContain("1 notification marked as read.");
    expect(page).not.toContain('class="badge">1 unread');
    // Marking again keeps the first time.
    const firstRead = (await inboxPage(db, trainee.id)).items[0]!.read_at;
    expect(await markRead(db, trainee.id, { ids: [mine!.id] }, new Date(Date.now() + 60_000))).toBe(0);
    expect((await inboxPage(db, trainee.id)).items[0]!.read_at).toEqual(firstRead);
  });

  it("pages newest first with a cursor; another person's cursor reads nothing", async () => {
    const db = server.database.db;
    const person = await makeUser(db, { agencyId });
    const base = Date.now() - 10 * 86_400_000;
    await db
      .insertInto("notifications")
      .values(
        Array.from({ length: INBOX_PAGE_SIZE + 5 }, (_, i) => ({
          user_id: person.id,
          kind: "due_soon" as const,
          key: `test:${person.id}:${i}`,
          subject: `Reminder ${i}`,
          body_text: "x",
          link: `${server.url}/`,
          created_at: new Date(base + i * 60_000),
        })),
      )
      .execute();
    const first = await inboxPage(db, person.id);
    expect(first.items.map((n) => n.subject).slice(0, 2)).toEqual([
      `Reminder ${INBOX_PAGE_SIZE + 4}`,
      `Reminder ${INBOX_PAGE_SIZE + 3}`,
    ]);
    const second = await inboxPage(db, person.id, first.next!);
    expect(second.items.map((n) => n.subject)).toEqual([
      "Reminder 4",
      "Reminder 3",
      "Reminder 2",
      "Reminder 1",
      "Reminder 0",
    ]);
    expect(second.next).toBeNull();
    const foreign = (await inboxPage(db, other.id)).items[0]!.id;
    expect((await inboxPage(db, person.id, foreign)).items).toEqual([]);

    const client = await signedIn(person);
    const html = await (await client.get(`/notifications?after=${first.next}`)).text();
    expect(html).toContain("Reminder 0");
    expect(html).not.toContain(`Reminder ${INBOX_PAGE_SIZE + 4}<`);
    expect(await client.post("/notifications", { intent: "read-all" })).toHaveProperty("status", 302);
    expect(await unreadCount(db, person.id)).toBe(0);
  });

  it("refuses bad input with a 400 page that changes nothing, and sends a visitor to sign in", async () => {
    const db = server.database.db;
    const client = await signedIn(other);
    expect((await client.get("/notifications?after=not-an-id")).status).toBe(400);
    expect((await client.post("/notifications", { intent: "read", id: "1 or 1=1" })).status).toBe(400);
    expect((await client.post("/notifications", { intent: "delete-all" })).status).toBe(400);
    expect(await unreadCount(db, other.id)).toBe(1);
    const visitor = await server.client().get("/notifications");
    expect(visitor.status).toBe(302);
    expect(visitor.headers.get("location")).toMatch(/^\/sign-in/);
  });
});

// The trainer's side in Chromium, without JavaScript: a trainer assigns a course to a group they
// train with a due date; a person who joins the group later is assigned too; a member sees it first
// on their home and completes it; the trainer's view moves them to completed; when the date passes,
// the people still behind appear in the trainer's weekly digest, in the app as in the mail.
import type { Browser, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { sweepReminders } from "../../app/server/assignments/reminders.server";
import { addDays, tokyoDate } from "../../app/server/shared/days.server";
import { engine } from "../support/engine";
import { chooseLanguage, expectNoAxeViolations, launchBrowser, screenshot, signedInPage } from "../support/browser";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { startTestServer, type TestServer } from "../support/http";
import { syncSample } from "../support/learning";
import { answerQuiz, letTimePass } from "../support/quiz-browser";

let server: TestServer;
let browser: Browser;
let moduleVersionId: string;
const people: Record<"admin" | "trainer" | "aya" | "ren" | "kai", MadeUser> = {} as never;
const DUE = addDays(tokyoDate(new Date()), 14);

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  const db = server.database.db;
  moduleVersionId = (await syncSample(db)).id;
  const agencyId = (await makeAgency(db, "Chiba Prefectural Police", "police")).id;
  const unit = await db
    .insertInto("groups")
    .values({ agency_id: agencyId, name: "Juvenile Division", kind: "unit" })
    .returning("id")
    .executeTakeFirstOrThrow();
  people.admin = await makeUser(db, { agencyId, roles: ["admin"], displayName: "Aki Admin" });
  people.trainer = await makeUser(db, { agencyId, roles: ["trainer"], displayName: "Tomo Trainer" });
  people.aya = await makeUser(db, { agencyId, displayName: "Aya Member" });
  people.ren = await makeUser(db, { agencyId, displayName: "Ren Behind" });
  people.kai = await makeUser(db, { agencyId, displayName: "Kai Newcomer" });
  await db.insertInto("group_trainers").values({ group_id: unit.id, user_id: people.trainer.id }).execute();
  await db
    .insertInto("group_members")
    .values([people.aya, people.ren].map((p) => ({ group_id: unit.id, user_id: p.id })))
    .execute();
});

const signIn = (who: keyof typeof people) =>
  signedInPage(browser, server.url, people[who].email, PASSWORD, { javaScript: false });

/** The assignment's table as "name: status, due" lines, in the page's order. */
const rows = (page: Page) =>
  page.locator("table tbody tr").evaluateAll((trs) =>
    trs.map((tr) => {
      const [name, state, due] = [...tr.querySelectorAll("th, td")].map((c) => c.textContent!.trim());
      return `${name}: ${state}, ${due}`;
    }),
  );

describe(`the trainer's side in Chromium (${engine})`, () => {
  it("assigns a course to a group, reaches a newcomer, follows a completion and digests who is late", async () => {
    // The trainer assigns the course to the group they train, due in two weeks.
    const trainer = await signIn("trainer");
    await trainer.getByRole("link", { name: "Training", exact: true }).click();
    await trainer.waitForURL(/\/training$/);
    await expectNoAxeViolations(trainer);
    await trainer.getByRole("link", { name: "Assign training" }).click();
    await trainer.waitForURL(/\/training\/assign$/);
    await expectNoAxeViolations(trainer);
    await trainer.getByLabel("Course or module").selectOption("course:sample-course");
    await trainer.locator("#groupId").selectOption({ label: "Juvenile Division" });
    await trainer.locator("#dueOn").fill(DUE);
    await trainer.getByLabel("Note to the people assigned (optional)").fill("Before the spring rotation");
    await trainer.getByRole("button", { name: "Assign", exact: true }).click();
    await trainer.waitForURL(/\/training\/assignments\/[0-9a-f-]+\?created=1$/);
    const assignmentUrl = trainer.url().replace("?created=1", "");
    await expect.poll(() => trainer.getByRole("status").textContent()).toBe("Assigned. People are notified by mail.");
    expect(await rows(trainer)).toEqual([`Aya Member: Not started, ${DUE}`, `Ren Behind: Not started, ${DUE}`]);
    await expectNoAxeViolations(trainer);
    await screenshot(trainer, "training-assignment");

    // A newcomer joins the group (an admin adds them: the trainer does not see people outside the
    // groups they train): the assignment reaches them.
    const admin = await signIn("admin");
    await admin.goto(`${server.url}/admin/users/${people.kai.id}`);
    await admin.getByLabel("Add to group").selectOption({ label: "Juvenile Division" });
    await admin.getByRole("button", { name: "Add", exact: true }).click();
    await admin.waitForLoadState();
    await trainer.goto(assignmentUrl);
    expect(await rows(trainer)).toContain(`Kai Newcomer: Not started, ${DUE}`);

    // Aya sees it first on her home, with who assigned it and the note, and completes it.
    const aya = await signIn("aya");
    const assigned = aya.locator("section", { has: aya.getByRole("heading", { name: "Assigned to you" }) });
    expect(await assigned.textContent()).toContain(`Due ${DUE}`);
    expect(await assigned.textContent()).toContain("Assigned by Tomo Trainer");
    expect(await assigned.textContent()).toContain("Note: Before the spring rotation");
    await expectNoAxeViolations(aya);
    await screenshot(aya, "training-home-assigned");
    const db = server.database.db;
    await aya.goto(`${server.url}/learn/sample-module`);
    await aya.getByRole("button", { name: "Start the pre-test" }).click();
    await aya.locator("form.question").waitFor();
    await answerQuiz(aya, db, moduleVersionId, false, false);
    await aya.getByRole("button", { name: "Submit my answers" }).click();
    await aya.waitForURL(/\/result$/);
    for (const lesson of ["01-first", "02-second"]) {
      await aya.goto(`${server.url}/learn/sample-module/lessons/${lesson}`);
      const before = aya.getByRole("link", { name: "Continue to the lesson" });
      if ((await before.count()) > 0) await before.click();
      await aya.getByRole("button", { name: "I have read this lesson" }).waitFor();
      await letTimePass(db, people.aya.id);
      await aya.getByRole("button", { name: "I have read this lesson" }).click();
      await aya.waitForLoadState();
    }
    await aya.goto(`${server.url}/learn/sample-module`);
    await aya.getByRole("button", { name: "Start the final quiz" }).click();
    await aya.locator("form.question").waitFor();
    await answerQuiz(aya, db, moduleVersionId, true, false);
    await aya.getByRole("button", { name: "Submit my answers" }).click();
    await aya.waitForURL(/\/result$/);
    await expect.poll(() => aya.getByRole("status").textContent()).toContain("Course complete");

    // The trainer's view has moved her to completed; the filter shows who is not started.
    await trainer.goto(assignmentUrl);
    expect(await rows(trainer)).toContain("Aya Member: Completed, —");
    await trainer.getByLabel("Status").selectOption({ label: "Not started" });
    await trainer.getByRole("button", { name: "Filter" }).click();
    await trainer.waitForURL(/state=not_started/);
    expect((await rows(trainer)).map((r) => r.split(":")[0])).toEqual(["Kai Newcomer", "Ren Behind"]);

    // The day after the due date, the sweep runs (as the workers do every quarter hour): the people
    // still behind are overdue, and the trainer's digest names them, in the app as by mail.
    const dayAfter = new Date(`${addDays(DUE, 1)}T09:00:00+09:00`);
    await sweepReminders(db, server.app.mailer, { now: dayAfter, publicUrl: server.url });
    await trainer.goto(`${server.url}/notifications`);
    const digest = trainer.locator("li.inbox-item", { hasText: "This week: 2 people overdue in your groups" });
    expect(await digest.count()).toBe(1);
    const digestText = await digest.textContent();
    expect(digestText).toContain("Kai Newcomer");
    expect(digestText).toContain("Ren Behind");
    expect(digestText).not.toContain("Aya Member");
    expect(await trainer.getByRole("link", { name: /Notifications\s*1 unread/ }).count()).toBe(1);
    await expectNoAxeViolations(trainer);
    await screenshot(trainer, "training-digest");
    await trainer.getByRole("button", { name: "Mark as read" }).click();
    await trainer.waitForURL(/marked=1$/);
    await expect.poll(() => trainer.getByRole("status").textContent()).toBe("1 notification marked as read.");

    // Ren's own notifications say it is overdue, in Japanese when Ren reads in Japanese.
    const ren = await signIn("ren");
    await chooseLanguage(ren, "ja");
    await ren.goto(`${server.url}/notifications`);
    expect(await ren.locator("h1").textContent()).toBe("お知らせ");
    await expectNoAxeViolations(ren);
  });
});

// A trainer's journey in Chromium, with JavaScript and without: assign a course to a group with a
// due date; a person who joins the group later is assigned too; a member sees it first on their
// home and completes it; the trainer's view moves them to completed; an overdue person is in the
// trainer's weekly digest. Every page passes axe, in English and in Japanese.
import type { Browser } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { sweepReminders } from "../../app/server/assignments/reminders.server";
import { startAttempt, submitAttempt } from "../../app/server/learning/attempts.server";
import { setGroupMembership } from "../../app/server/org/agencies.server";
import { addDays, tokyoDate } from "../../app/server/shared/days.server";
import { expectNoAxeViolations, launchBrowser, screenshot, signedInPage } from "../support/browser";
import { engine } from "../support/engine";
import { PASSWORD, makeAgency, makeUser, type MadeUser } from "../support/fixtures";
import { startTestServer, type TestServer } from "../support/http";
import { answerAll, readyForFinal, syncSample } from "../support/learning";

let server: TestServer;
let browser: Browser;
let trainer: MadeUser;
let member: MadeUser;
let late: MadeUser;
let unit: string;
let mv: string;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  const db = server.database.db;
  mv = (await syncSample(db)).id;
  const agency = await makeAgency(db, "Fukuoka Child Guidance Centre", "child_guidance");
  unit = (
    await db
      .insertInto("groups")
      .values({ agency_id: agency.id, name: "Intake Team", kind: "unit" })
      .returning("id")
      .executeTakeFirstOrThrow()
  ).id;
  trainer = await makeUser(db, { agencyId: agency.id, roles: ["trainer"], displayName: "Trainer Kato" });
  await db.insertInto("group_trainers").values({ group_id: unit, user_id: trainer.id }).execute();
  member = await makeUser(db, { agencyId: agency.id, displayName: "田中 陽子" });
  late = await makeUser(db, { agencyId: agency.id, displayName: "Late Starter" });
  for (const p of [member, late]) await db.insertInto("group_members").values({ group_id: unit, user_id: p.id }).execute();
});

describe(`a trainer's journey (${engine})`, () => {
  it("assigns a course to a group, follows it to completion, and hears of the overdue in a digest", async () => {
    const due = addDays(tokyoDate(new Date()), 14);
    const page = await signedInPage(browser, server.url, trainer.email, PASSWORD, { javaScript: false });
    await page.getByRole("link", { name: "Training", exact: true }).click();
    await page.waitForURL(/\/training$/);
    await expectNoAxeViolations(page);
    await page.getByRole("link", { name: "Assign training" }).click();
    await expectNoAxeViolations(page);
    await page.getByLabel("Course or module").selectOption({ label: "Course: Sample course" });
    await page.locator("select#groupId").selectOption({ label: "Intake Team" });
    await page.locator("input#dueOn").fill(due);
    await page.getByLabel("Note to the people assigned (optional)").fill("Read before Monday's case review");
    await page.getByRole("button", { name: "Assign" }).click();
    await page.waitForURL(/\/training\/assignments\/[0-9a-f-]{36}\?created=1$/);
    await expectNoAxeViolations(page);
    await screenshot(page, "training-assignment-en");
    const assignmentUrl = page.url().replace(/\?.*$/, "");
    expect(await page.locator("tbody tr").count()).toBe(2);

    // Someone joins the group later: they are assigned from the day they join.
    const db = server.database.db;
    const newcomer = await makeUser(db, { agencyId: trainer.agencyId, displayName: "New Colleague" });
    await setGroupMembership(db, trainer.id, { groupId: unit, userId: newcomer.id, member: true });
    await page.goto(assignmentUrl);
    await expect.poll(() => page.locator("tbody tr").count()).toBe(3);

    // A member sees it first on their home, then completes the course.
    const home = await signedInPage(browser, server.url, member.email, PASSWORD, { locale: "ja-JP" });
    await home.goto(`${server.url}/`);
    const assigned = home.locator("section", { has: home.getByRole("heading", { name: "あなたに割り当てられた研修" }) });
    await expect.poll(() => assigned.textContent()).toContain("Read before Monday's case review");
    await expectNoAxeViolations(home);
    await screenshot(home, "home-assigned-ja");
    await readyForFinal(db, member.id, mv);
    const attempt = await startAttempt(db, { userId: member.id, moduleVersionId: mv, stage: "final" });
    await answerAll(db, member.id, attempt, true);
    await submitAttempt(db, member.id, attempt);
    await page.goto(`${assignmentUrl}?state=completed`);
    expect(await page.locator("tbody th[scope=row]").allTextContents()).toEqual(["田中 陽子"]);

    // Three weeks on, the others are overdue: the trainer's weekly digest names them, once.
    const later = new Date(Date.now() + 21 * 86_400_000);
    await sweepReminders(db, server.app.mailer, { now: later, publicUrl: server.url });
    await sweepReminders(db, server.app.mailer, { now: later, publicUrl: server.url });
    const digests = await db
      .selectFrom("notifications as n")
      .innerJoin("mail_outbox as m", "m.id", "n.mail_id")
      .select("m.body_text")
      .where("n.user_id", "=", trainer.id)
      .where("n.kind", "=", "digest")
      .execute();
    expect(digests).toHaveLength(1);
    expect(digests[0]!.body_text).toContain("Late Starter");
    expect(digests[0]!.body_text).not.toContain("田中 陽子");
  });
});

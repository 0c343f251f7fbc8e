// A reviewer's journey through the training matrix in Chromium: from the records to the matrix,
// filtered to one group, a person opened from a cell, the CSV downloaded and parsed (BOM, header,
// a Japanese name, a formula-like name neutralised); then the same page in Japanese without
// JavaScript. Every page passes axe (in both languages).
import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import type { Browser } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { assign } from "../../app/server/assignments/assign.server";
import { startAttempt, submitAttempt } from "../../app/server/learning/attempts.server";
import { engine } from "../support/engine";
import { expectNoAxeViolations, launchBrowser, screenshot, signedInPage } from "../support/browser";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { startTestServer, type TestServer } from "../support/http";
import { answerAll, readyForFinal, syncSample } from "../support/learning";

let server: TestServer;
let browser: Browser;
let reviewer: MadeUser;
const FORMULA = "=1+2";

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  const db = server.database.db;
  const agency = await makeAgency(db, "Osaka Prefectural Police");
  reviewer = await makeUser(db, { agencyId: agency.id, roles: ["reviewer"], displayName: "Inspector Mori" });
  const made = await makeUser(db, { agencyId: agency.id, roles: ["admin"], displayName: "Admin" });
  const admin = { id: made.id, agencyId: agency.id, roles: made.roles, trainerOf: [] };
  const mv = (await syncSample(db)).id;
  const groups: Record<string, string> = {};
  for (const name of ["Juvenile Division", "Cyber Crime Unit"]) {
    groups[name] = (
      await db
        .insertInto("groups")
        .values({ agency_id: agency.id, name, kind: "unit" })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
  }
  const people: Record<string, string> = {};
  for (const [name, group] of [
    ["佐藤 美咲", "Juvenile Division"],
    [FORMULA, "Juvenile Division"],
    ["Cyber Officer Ito", "Cyber Crime Unit"],
  ] as const) {
    people[name] = (await makeUser(db, { agencyId: agency.id, displayName: name })).id;
    await db.insertInto("group_members").values({ group_id: groups[group]!, user_id: people[name]! }).execute();
  }
  for (const group of Object.values(groups))
    await assign(db, admin, {
      agencyId: agency.id,
      courseSlug: "sample-course",
      audience: "group",
      groupId: group,
      due: { days: 30 },
    });
  // 佐藤 passes the course's module (and with it the course); Ito has begun; the formula has not.
  const misaki = people["佐藤 美咲"]!;
  await readyForFinal(db, misaki, mv);
  const attempt = await startAttempt(db, { userId: misaki, moduleVersionId: mv, stage: "final" });
  await answerAll(db, misaki, attempt, true);
  await submitAttempt(db, misaki, attempt);
  await readyForFinal(db, people["Cyber Officer Ito"]!, mv);
});

describe(`the training matrix in a browser (${engine})`, () => {
  it("filters the matrix to one group, opens a person from a cell, and downloads the CSV", async () => {
    const page = await signedInPage(browser, server.url, reviewer.email, PASSWORD);
    await page.getByRole("link", { name: "Records" }).click();
    await page.waitForURL(/\/agency\/records$/);
    await page.getByRole("link", { name: "Training matrix" }).click();
    await page.waitForURL(/\/agency\/matrix$/);
    const matrix = page.getByRole("table", { name: /People \(rows\)/ });
    await expect.poll(() => matrix.locator("tbody tr").count()).toBe(3);
    await expectNoAxeViolations(page);
    expect(await matrix.locator("thead th").allTextContents()).toEqual(["Person", "Sample course"]);
    expect(await matrix.locator("tbody").textContent()).toContain("In progress, due");

    await page.getByLabel("Group").selectOption({ label: "Juvenile Division" });
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(/group=/);
    // With JavaScript the address changes before the filtered page is drawn.
    await expect
      .poll(async () => (await matrix.locator("tbody th").allTextContents()).sort())
      .toEqual([FORMULA, "佐藤 美咲"].sort());
    const cells = await matrix.locator("tbody td").allTextContents();
    expect(cells.sort()).toEqual([
      expect.stringMatching(/^Current until /),
      expect.stringMatching(/^Not started, due /),
    ]);
    // The counts above the table: one current, one not started.
    const summary = page.getByRole("table", { name: /How many of the 2 people/ });
    expect(await summary.locator("tfoot").textContent()).toMatch(/^All courses and modules1000010$/);
    await expectNoAxeViolations(page);
    await screenshot(page, "matrix-filtered");

    const download = page.waitForEvent("download");
    await page.getByRole("link", { name: "Download as CSV" }).click();
    const file = await (await download).path();
    const bytes = readFileSync(file!);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const [header, ...rows] = parse(bytes.toString("utf8"), { bom: true }) as string[][];
    expect(header).toEqual([
      "Name",
      "E-mail address",
      "Agency",
      "Sample course: status",
      "Sample course: due",
      "Sample course: valid until",
    ]);
    expect(rows.map((r) => [r[0], r[3]]).sort()).toEqual(
      [
        [`'${FORMULA}`, "Not started"],
        ["佐藤 美咲", "Current"],
      ].sort(),
    );

    await matrix.getByRole("link", { name: /^Current until / }).click();
    // With JavaScript the address changes before the new page is drawn.
    await expect.poll(() => page.locator("h1").textContent()).toBe("Records of 佐藤 美咲");
    await expectNoAxeViolations(page);
  });

  it("reads in Japanese without JavaScript, filtered by status", async () => {
    await server.database.db.updateTable("users").set({ locale: "ja" }).where("id", "=", reviewer.id).execute();
    const page = await signedInPage(browser, server.url, reviewer.email, PASSWORD, { javaScript: false });
    await page.goto(`${server.url}/agency/matrix`);
    expect(await page.locator("h1").textContent()).toBe("研修マトリクス");
    await page.getByLabel("状況", { exact: true }).selectOption({ label: "受講中" });
    await page.getByRole("button", { name: "絞り込む" }).click();
    await page.waitForURL(/status=in_progress/);
    const matrix = page.getByRole("table", { name: /受講者（行）/ });
    await expect.poll(() => matrix.locator("tbody th").allTextContents()).toEqual(["Cyber Officer Ito"]);
    expect(await matrix.locator("tbody td").textContent()).toMatch(/^受講中（期限 /);
    // axe runs in the page's JavaScript: the same address, in a profile that has it.
    const withScript = await signedInPage(browser, server.url, reviewer.email, PASSWORD);
    await withScript.goto(page.url());
    await expectNoAxeViolations(withScript);
    await screenshot(withScript, "matrix-ja");
  });
});

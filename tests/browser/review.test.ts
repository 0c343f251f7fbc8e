// A reviewer's journey in Chromium: filter the agency's records to one group, open a person,
// download the CSV (parsed: BOM, header, a Japanese name, a formula-like name neutralised) and run
// the integrity check; every page passes axe.
import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import type { Browser } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { startAttempt, submitAttempt } from "../../app/server/learning/attempts.server";
import { engine } from "../support/engine";
import { expectNoAxeViolations, launchBrowser, screenshot, signedInPage } from "../support/browser";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { startTestServer, type TestServer } from "../support/http";
import { answerAll, enrol, readyForFinal, syncSample } from "../support/learning";

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
  reviewer = await makeUser(db, { agencyId: agency.id, roles: ["reviewer"], displayName: "Inspector Mori" });
  const mv = (await syncSample(db)).id;
  for (const [name, group] of [
    ["佐藤 美咲", "Juvenile Division"],
    [FORMULA, "Juvenile Division"],
    ["Cyber Officer Ito", "Cyber Crime Unit"],
  ] as const) {
    const person = await makeUser(db, { agencyId: agency.id, displayName: name });
    await db.insertInto("group_members").values({ group_id: groups[group]!, user_id: person.id }).execute();
    await enrol(db, person.id, "sample-course");
    await readyForFinal(db, person.id, mv);
    const attempt = await startAttempt(db, { userId: person.id, moduleVersionId: mv, stage: "final" });
    await answerAll(db, person.id, attempt, true);
    await submitAttempt(db, person.id, attempt);
  }
});

describe(`a reviewer's pages (${engine})`, () => {
  it("filter the records to a group, open a person, download the CSV and check the agency's records", async () => {
    const page = await signedInPage(browser, server.url, reviewer.email, PASSWORD);
    await page.getByRole("link", { name: "Records" }).click();
    await page.waitForURL(/\/agency\/records$/);
    await expectNoAxeViolations(page);
    await expect.poll(() => page.locator("tbody tr").count()).toBe(6);

    await page.getByLabel("Group").selectOption({ label: "Juvenile Division" });
    await page.getByLabel("Kind").selectOption("course");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL(/group=/);
    // With JavaScript the address changes before the filtered page is drawn.
    await expect
      .poll(async () => (await page.locator("tbody tr td:first-child a").allTextContents()).sort())
      .toEqual([FORMULA, "佐藤 美咲"].sort());
    await expectNoAxeViolations(page);
    await screenshot(page, "review-records-filtered");

    const download = page.waitForEvent("download");
    await page.getByRole("link", { name: "Download as CSV" }).click();
    const file = await (await download).path();
    const bytes = readFileSync(file!);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const [header, ...rows] = parse(bytes.toString("utf8"), { bom: true }) as string[][];
    expect(header!.slice(0, 3)).toEqual(["Record ID", "Kind", "Name"]);
    expect(rows.map((r) => r[2]).sort()).toEqual([`'${FORMULA}`, "佐藤 美咲"].sort());
    expect(rows.every((r) => r[1] === "Course")).toBe(true);

    await page.getByRole("link", { name: "佐藤 美咲" }).click();
    // With JavaScript the address changes before the new page is drawn.
    await expect.poll(() => page.locator("h1").textContent()).toBe("Records of 佐藤 美咲");
    expect(await page.locator("tbody tr").count()).toBe(2);
    expect(await page.locator("tbody").textContent()).toContain("Checks out");
    await expectNoAxeViolations(page);
    await screenshot(page, "review-person");

    await page.getByRole("link", { name: "Back to the records" }).click();
    await page.getByRole("link", { name: "Check the integrity of the records" }).click();
    await page.waitForURL(/\/agency\/integrity$/);
    await expect.poll(() => page.getByRole("status").textContent()).toContain("No check has been run");
    await page.getByRole("button", { name: "Check now" }).click();
    await expect
      .poll(() => page.getByRole("status").textContent())
      .toMatch(/Last check .* by Inspector Mori: all 6 records check out/);
    await expectNoAxeViolations(page);
    await screenshot(page, "review-integrity");

    await page.goto(`${server.url}/agency/audit`);
    expect(await page.locator("tbody").textContent()).toContain("records.agency_checked");
    await expectNoAxeViolations(page);
  });

  it("read in Japanese, without JavaScript", async () => {
    const page = await signedInPage(browser, server.url, reviewer.email, PASSWORD, { javaScript: false });
    await server.database.db.updateTable("users").set({ locale: "ja" }).where("id", "=", reviewer.id).execute();
    await page.goto(`${server.url}/agency/records?kind=module`);
    expect(await page.locator("h1").textContent()).toBe("修了記録");
    await page.getByLabel("氏名またはメールアドレス").fill("佐藤");
    await page.getByRole("button", { name: "絞り込む" }).click();
    await page.waitForURL(/q=/);
    await expect.poll(() => page.locator("tbody tr").count()).toBe(1);
    await page.goto(`${server.url}/agency/integrity`);
    await page.getByRole("button", { name: "今すぐ確認する" }).click();
    await page.waitForURL(/\/agency\/integrity/);
    await expect.poll(() => page.getByRole("status").textContent()).toContain("6 件すべて一致しました");
  });
});

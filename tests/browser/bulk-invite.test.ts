// Bulk invitation in Chromium: a trainer chooses a file, reads the preview (a table with its
// caption and header cells) and confirms it without JavaScript; a file with an error is previewed
// and cannot be confirmed. The pages are free of axe-core violations, in English and Japanese.
import type { Browser, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { engine } from "../support/engine";
import { chooseLanguage, expectNoAxeViolations, launchBrowser, screenshot, signedInPage } from "../support/browser";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { startTestServer, type TestServer } from "../support/http";

let server: TestServer;
let browser: Browser;
let trainer: MadeUser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  const db = server.database.db;
  const agencyId = (await makeAgency(db, "Kyoto Prefectural Police")).id;
  const unit = await db
    .insertInto("groups")
    .values({ agency_id: agencyId, name: "少年課", kind: "unit" })
    .returning("id")
    .executeTakeFirstOrThrow();
  trainer = await makeUser(db, { agencyId, roles: ["trainer"], displayName: "Tomo Trainer" });
  await db.insertInto("group_trainers").values({ group_id: unit.id, user_id: trainer.id }).execute();
});

const file = (name: string, ...rows: string[]) => ({
  name,
  mimeType: "text/csv",
  buffer: Buffer.from("\ufeff" + ["氏名,メールアドレス,職種,グループ", ...rows].join("\r\n") + "\r\n", "utf8"),
});

async function upload(page: Page, label: string, button: string, csv: ReturnType<typeof file>) {
  await page.goto(`${server.url}/training/invite`);
  await page.getByLabel(label).setInputFiles(csv);
  const uploadHeading = await page.locator("h1").textContent();
  await page.getByRole("button", { name: button }).click();
  await page.waitForURL(/\/training\/invite\/[0-9a-f-]{36}$/);
  // With JavaScript the address changes before the preview is drawn.
  await expect.poll(() => page.locator("h1").textContent()).not.toBe(uploadHeading);
}

describe(`bulk invitation in Chromium (${engine})`, () => {
  it("a trainer uploads, previews and confirms a file without JavaScript", async () => {
    const page = await signedInPage(browser, server.url, trainer.email, PASSWORD, { javaScript: false });
    await page.goto(`${server.url}/training`);
    await page.getByRole("link", { name: "Invite from a CSV file" }).click();
    await page.waitForURL(/\/training\/invite$/);
    await upload(
      page,
      "CSV file",
      "Upload and preview",
      file("good.csv", "山田 花子,hanako@kyoto.example,警察,少年課", "佐藤 健,ken@kyoto.example,police,少年課"),
    );
    const table = page.getByRole("table", { name: /2 rows of the file/ });
    expect(await table.getByRole("columnheader").allTextContents()).toEqual([
      "Line",
      "Name",
      "E-mail",
      "Profession",
      "Group",
      "Outcome",
    ]);
    expect(await table.getByRole("rowheader").allTextContents()).toEqual(["2", "3"]);
    await screenshot(page, "bulk-invite-preview-nojs");
    await page.getByRole("button", { name: "Invite 2 people" }).click();
    await page.waitForURL(/done=kept$/);
    await expect.poll(() => page.getByRole("heading", { level: 2, name: "The file was imported" }).count()).toBe(1);
  });

  it("the upload page, a preview with an error and a result have no axe-core violations", async () => {
    const page = await signedInPage(browser, server.url, trainer.email, PASSWORD);
    await page.goto(`${server.url}/training/invite`);
    await expectNoAxeViolations(page);
    await upload(
      page,
      "CSV file",
      "Upload and preview",
      file("bad.csv", "Aiko Ito,aiko@kyoto.example,astronaut,少年課"),
    );
    expect(await page.getByRole("alert").first().textContent()).toContain("1 row has an error");
    expect(await page.getByRole("button", { name: /^Invite/ }).count()).toBe(0);
    await expectNoAxeViolations(page);
    await screenshot(page, "bulk-invite-preview-error");
    await upload(page, "CSV file", "Upload and preview", file("one.csv", "Aiko Ito,aiko@kyoto.example,police,少年課"));
    await page.getByRole("button", { name: "Invite 1 person" }).click();
    await page.waitForURL(/done=kept$/);
    await expectNoAxeViolations(page);
  });

  it("the pages read in Japanese", async () => {
    const page = await signedInPage(browser, server.url, trainer.email, PASSWORD, { locale: "ja-JP" });
    await chooseLanguage(page, "ja");
    await page.goto(`${server.url}/training/invite`);
    expect(await page.locator("h1").textContent()).toBe("CSVファイルで招待する");
    await expectNoAxeViolations(page);
    await upload(
      page,
      "CSVファイル",
      "アップロードして確認",
      file("ja.csv", "鈴木 一郎,ichiro@kyoto.example,police,少年課"),
    );
    expect(await page.locator("h1").textContent()).toBe("CSVファイルによる招待：確認");
    await expectNoAxeViolations(page);
  });
});

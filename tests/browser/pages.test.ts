// Pages as people use them: without JavaScript, by keyboard, in both languages, refused where
// their role ends, and free of axe-core violations.
import type { Browser } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { engine } from "../support/engine";
import {
  chooseLanguage,
  expectNoAxeViolations,
  hydrated,
  launchBrowser,
  newContext,
  screenshot,
  signedInPage,
} from "../support/browser";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { startTestServer, type TestServer } from "../support/http";

let server: TestServer;
let browser: Browser;
let admin: MadeUser;
let trainee: MadeUser;
let trainer: MadeUser;
let agencyId: string;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  const db = server.database.db;
  agencyId = (await makeAgency(db, "Saitama Child Guidance Centre", "child_guidance")).id;
  admin = await makeUser(db, { agencyId, roles: ["admin"], displayName: "Aoi Admin" });
  trainee = await makeUser(db, {
    agencyId,
    roles: ["trainee"],
    displayName: "Taro Trainee",
    profession: "child_guidance",
  });
  trainer = await makeUser(db, { agencyId, roles: ["trainer"], displayName: "Hana Trainer" });
  const groups = await db
    .insertInto("groups")
    .values([
      { agency_id: agencyId, name: "Intake Team", kind: "unit" },
      { agency_id: agencyId, name: "2026 Spring Cohort", kind: "cohort" },
    ])
    .returning("id")
    .execute();
  await db.insertInto("group_trainers").values({ group_id: groups[0]!.id, user_id: trainer.id }).execute();
});

const signInPage = (user: MadeUser, options: { javaScript?: boolean; locale?: string } = {}) =>
  signedInPage(browser, server.url, user.email, PASSWORD, options);

describe(`pages in Chromium (${engine})`, () => {
  it("sign in, navigate and sign out with JavaScript turned off", async () => {
    const page = await signInPage(trainee, { javaScript: false });
    expect(await page.locator("h1").textContent()).toBe("Welcome, Taro Trainee");
    await page.getByRole("link", { name: "My account" }).click();
    await page.waitForURL(/\/account$/);
    // A form error without JavaScript: the server re-renders the form with the message.
    await page.getByLabel("Current password").fill("wrong password here");
    await page.getByLabel("New password").fill("a brand new passphrase");
    await page.getByRole("button", { name: "Change password" }).click();
    expect(await page.locator("#currentPassword-error").textContent()).toBe("The current password is not correct.");
    await screenshot(page, "account-error-nojs");
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    await page.waitForURL(/\/sign-in\?signedOut=1$/);
  });

  it("refuse a trainee the admin pages with a clear 403 page", async () => {
    const page = await signInPage(trainee);
    const response = await page.goto(`${server.url}/admin/agencies`);
    expect(response!.status()).toBe(403);
    expect(await page.locator("h1").textContent()).toBe("You do not have access to this page");
    await expectNoAxeViolations(page);
    await screenshot(page, "forbidden");
  });

  it("switch language with the header buttons and keep it", async () => {
    const page = await signInPage(trainee);
    await page.getByRole("button", { name: "日本語" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Taro Trainee さん、ようこそ");
    expect(await page.locator("html").getAttribute("lang")).toBe("ja");
    await page.reload();
    expect(await page.locator("h1").textContent()).toBe("Taro Trainee さん、ようこそ");
    await screenshot(page, "home-ja");
    await page.getByRole("button", { name: "English" }).click();
    await expect.poll(() => page.locator("h1").textContent()).toBe("Welcome, Taro Trainee");
  });

  it("can be used by keyboard: skip link first, visible focus, forms submitted with Enter", async () => {
    const context = await newContext(browser);
    const page = await context.newPage();
    await page.goto(`${server.url}/sign-in`);
    await hydrated(page, "form.stack button[type=submit]");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Skip to main content");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => location.hash)).toBe("#main");
    await page.locator("#email").focus();
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe("none");
    await page.keyboard.type(admin.email);
    await page.keyboard.press("Tab");
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Enter");
    await page.waitForURL(`${server.url}/`);
    await expect.poll(() => page.locator("h1").textContent()).toBe("Welcome, Aoi Admin");
  });

  it("have no axe-core violations on the main pages, in both languages", async () => {
    const visitor = await (await newContext(browser)).newPage();
    for (const path of [
      "/sign-in",
      "/forgot-password",
      "/verify",
      `/reset-password/${"x".repeat(43)}`,
      "/no-such-page",
    ]) {
      await visitor.goto(server.url + path);
      await expectNoAxeViolations(visitor);
    }
    const page = await signInPage(admin);
    const pages = [
      "/",
      "/account",
      "/admin",
      "/admin/agencies",
      `/admin/agencies/${agencyId}`,
      "/admin/users",
      `/admin/users/${trainee.id}`,
      `/admin/users/${trainer.id}`,
      "/admin/users/invite",
      "/admin/outbox",
      "/admin/security",
      "/account/two-factor",
      "/notifications",
      "/training",
      "/training/assign",
      "/training/invite",
    ];
    for (const path of pages) {
      await page.goto(server.url + path);
      await expectNoAxeViolations(page);
    }
    await chooseLanguage(page, "ja");
    for (const path of pages) {
      await page.goto(server.url + path);
      await expectNoAxeViolations(page);
    }
    await page.goto(`${server.url}/admin/users/${trainee.id}`);
    await screenshot(page, "user-ja");
    await page.goto(`${server.url}/admin/users/${trainer.id}`);
    await screenshot(page, "trainer-ja");
    await page.goto(`${server.url}/admin/agencies/${agencyId}`);
    await screenshot(page, "agency-ja");
    await chooseLanguage(page, "en");
    await page.goto(`${server.url}/admin/users`);
    await screenshot(page, "users-en");
    // Two dozen pages, each through axe and the HTML validator: longer than one journey, and
    // much longer on a machine shared with other test runs.
  }, 600_000);
});

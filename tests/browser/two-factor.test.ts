// Two-step sign-in in Chromium without JavaScript: a person sets up an authenticator app from the
// key shown in text (as someone who cannot scan the QR code would), keeps the recovery codes shown
// once, and from then on signs in with the password and a code. Every page passes axe-core and the
// HTML validator, in English and in Japanese.
import type { Browser, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { engine } from "../support/engine";
import { expectNoAxeViolations, launchBrowser, newContext, screenshot, signedInPage } from "../support/browser";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { startTestServer, type TestServer } from "../support/http";
import { aPeriodLater, currentCode } from "../support/totp";

let server: TestServer;
let browser: Browser;
let person: MadeUser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  const agencyId = (await makeAgency(server.database.db, "Fukuoka Child Guidance Centre", "child_guidance")).id;
  person = await makeUser(server.database.db, { agencyId, roles: ["reviewer"], displayName: "Sora Reviewer" });
});

async function signInWithPassword(page: Page) {
  await page.goto(`${server.url}/sign-in`);
  await page.locator("#email").fill(person.email);
  await page.locator("#password").fill(PASSWORD);
  await page.locator("form.stack button[type=submit]").click();
}

describe(`two-step sign-in in Chromium (${engine})`, () => {
  it("is set up from the key in text, then asked for at every sign-in, without JavaScript", async () => {
    const page = await signedInPage(browser, server.url, person.email, PASSWORD, { javaScript: false });
    await page.goto(`${server.url}/account/two-factor`);
    await expectNoAxeViolations(page);
    await page.getByRole("button", { name: "Set up an authenticator app" }).click();
    await page.locator(".secret-text").waitFor();
    const key = (await page.locator(".secret-text").textContent())!;
    expect(key.replace(/\s/g, "")).toMatch(/^[A-Z2-7]{16,}$/);
    await expectNoAxeViolations(page);
    await screenshot(page, "two-factor-setup");

    // A wrong code is refused at the field; the right one turns it on and shows the recovery codes once.
    await page.getByLabel("Code from the app").fill("000000");
    await page.getByRole("button", { name: "Turn on two-step sign-in" }).click();
    await expect.poll(() => page.locator(".field-error").count()).toBeGreaterThan(0);
    await page.getByLabel("Code from the app").fill(await currentCode(key));
    await page.getByRole("button", { name: "Turn on two-step sign-in" }).click();
    await expect.poll(() => page.getByRole("heading", { name: "Your recovery codes" }).count()).toBe(1);
    expect(await page.locator(".recovery-codes li").count()).toBe(10);
    await expectNoAxeViolations(page);
    await page.goto(`${server.url}/account/two-factor`);
    expect(await page.getByText("Two-step sign-in is on").count()).toBeGreaterThan(0);
    expect(await page.locator(".recovery-codes").count()).toBe(0); // shown once only

    // A new browser: the password alone opens only the second step.
    const fresh = await (await newContext(browser, { javaScript: false })).newPage();
    await signInWithPassword(fresh);
    await fresh.waitForURL(/\/sign-in\/second-factor/);
    expect(await fresh.locator("h1").textContent()).toBe("Second step of signing in");
    await expectNoAxeViolations(fresh);
    await screenshot(fresh, "two-factor-sign-in");
    expect((await fresh.goto(`${server.url}/account`))!.url()).toMatch(/\/sign-in/);
    await signInWithPassword(fresh);
    await fresh.waitForURL(/\/sign-in\/second-factor/);
    // The set-up used this period's code, which is never accepted twice: the next period's code is
    // (as if 30 seconds had passed), and only within its own period.
    await aPeriodLater(server.database.db, person.id);
    await fresh.getByLabel("Code", { exact: true }).fill(await currentCode(key));
    await fresh.getByRole("button", { name: "Continue" }).click();
    await fresh.waitForURL(`${server.url}/`);
    expect(await fresh.locator("h1").textContent()).toBe("Welcome, Sora Reviewer");
  });

  it("reads in Japanese", async () => {
    const page = await (await newContext(browser, { javaScript: false, locale: "ja-JP" })).newPage();
    await signInWithPassword(page);
    await page.waitForURL(/\/sign-in\/second-factor/);
    expect(await page.locator("html").getAttribute("lang")).toBe("ja");
    await expectNoAxeViolations(page);
  });
});

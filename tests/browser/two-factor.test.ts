// Two-step sign-in in Chromium without JavaScript: a person sets up an authenticator app from the
// key shown in text (as someone who cannot scan the QR code would), keeps the recovery codes shown
// once, and from then on signs in with the password and a code. Every page passes axe-core and the
// HTML validator, in English and in Japanese.
import { sql } from "kysely";
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
/** The authenticator's key, once the first test has set it up. */
let key = "";

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
    key = (await page.locator(".secret-text").textContent())!;
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
    // The heading can be drawn while the rest of the document is still arriving.
    await page.waitForLoadState();
    expect(await page.locator(".recovery-codes li").count()).toBe(10);
    await expectNoAxeViolations(page);
    await page.goto(`${server.url}/account/two-factor`);
    expect(await page.getByText("Two-step sign-in is on").count()).toBeGreaterThan(0);
    expect(await page.locator(".recovery-codes").count()).toBe(0); // shown once only

    // A new browser: the password alone opens only the second step.
    const fresh = await (await newContext(browser, { javaScript: false })).newPage();
    await signInWithPassword(fresh);
    await fresh.waitForURL(/\/sign-in\/second-factor/);
    await expect.poll(() => fresh.locator("h1").textContent()).toBe("Second step of signing in");
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
    await expect.poll(() => fresh.locator("h1").textContent()).toBe("Welcome, Sora Reviewer");
  });

  it("reads in Japanese", async () => {
    const page = await (await newContext(browser, { javaScript: false, locale: "ja-JP" })).newPage();
    await signInWithPassword(page);
    await page.waitForURL(/\/sign-in\/second-factor/);
    await expect.poll(() => page.locator("html").getAttribute("lang")).toBe("ja");
    await expectNoAxeViolations(page);
  });

  it("asks to confirm it is them once the sign-in is old, and an admin states how they proved who is asking", async () => {
    const page = await (await newContext(browser, { javaScript: false })).newPage();
    await signInWithPassword(page);
    await page.waitForURL(/\/sign-in\/second-factor/);
    await aPeriodLater(server.database.db, person.id);
    await page.getByLabel("Code", { exact: true }).fill(await currentCode(key));
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(`${server.url}/`);
    await sql`update sessions set created_at = now() - interval '6 minutes' where user_id = ${person.id}`.execute(
      server.database.db,
    );
    // New recovery codes, from a sign-in six minutes old: first the password and the code again.
    await page.goto(`${server.url}/account/two-factor`);
    await aPeriodLater(server.database.db, person.id);
    await page.locator("#regenerate-code").fill(await currentCode(key));
    await page.getByRole("button", { name: "Make new recovery codes" }).click();
    await page.waitForURL(/\/account\/confirm\?next=%2Faccount%2Ftwo-factor$/);
    await expect.poll(() => page.locator("h1").textContent()).toBe("Confirm it is you");
    await expectNoAxeViolations(page);
    await screenshot(page, "confirm-sign-in");
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(/\/sign-in\/second-factor\?next=%2Faccount%2Ftwo-factor$/);
    await aPeriodLater(server.database.db, person.id);
    await page.getByLabel("Code", { exact: true }).fill(await currentCode(key));
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL(`${server.url}/account/two-factor`);
    await aPeriodLater(server.database.db, person.id);
    await page.locator("#regenerate-code").fill(await currentCode(key));
    await page.getByRole("button", { name: "Make new recovery codes" }).click();
    await expect.poll(() => page.getByRole("heading", { name: "Your recovery codes" }).count()).toBe(1);

    // The admin's side: the identity-proofing questions come before the removal, each answered.
    const admin = await makeUser(server.database.db, { agencyId: person.agencyId, roles: ["admin"] });
    const adminPage = await signedInPage(browser, server.url, admin.email, PASSWORD, { javaScript: false });
    await adminPage.goto(`${server.url}/admin/users/${person.id}`);
    await expectNoAxeViolations(adminPage);
    await adminPage.getByRole("button", { name: "Remove two-step sign-in" }).click();
    await expect.poll(() => adminPage.locator(".field-error").count()).toBe(3);
    await expectNoAxeViolations(adminPage);
    await screenshot(adminPage, "remove-second-factor-refused");
    await adminPage.getByLabel("How you confirmed who is asking").selectOption("in_person");
    await adminPage.getByLabel("Reason").fill("Phone lost; seen in person with the staff card");
    await adminPage.getByLabel("I have confirmed this person's identity").check();
    await adminPage.getByRole("button", { name: "Remove two-step sign-in" }).click();
    await adminPage.waitForURL(/\?saved=removeSecondFactor$/);
    await expect.poll(() => adminPage.getByText("Two-step sign-in is off.").count()).toBe(1);
  });
});

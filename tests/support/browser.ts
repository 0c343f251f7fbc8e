// Debian's Chromium, headless, with nothing reaching beyond this machine.
import { mkdirSync } from "node:fs";
import path from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { expect } from "vitest";
import { disposeAfterFile } from "./cleanup";
import { htmlWatchOf, watchHtml } from "./html-validity";

export const SCREENSHOTS = path.resolve(import.meta.dirname, "../../test-results/screenshots");

export async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  disposeAfterFile("the browser", () => browser.close());
  return browser;
}

/** Profiles made with JavaScript turned off, and what they were made with. */
const withoutScripts = new WeakMap<BrowserContext, { browser: Browser; locale: string }>();

export async function newContext(
  browser: Browser,
  options: { javaScript?: boolean; locale?: string } = {},
): Promise<BrowserContext> {
  const locale = options.locale ?? "en-GB";
  const context = await browser.newContext({
    javaScriptEnabled: options.javaScript ?? true,
    locale,
    viewport: { width: 1200, height: 900 },
  });
  if (options.javaScript === false) withoutScripts.set(context, { browser, locale });
  // Every document this profile loads is checked for HTML validity, whether or not the test runs
  // axe on it: what expectNoAxeViolations has not reported yet fails the file when it ends.
  const watch = watchHtml(context);
  // With scripts, React's own reports (a hydration mismatch, an error it caught while drawing) and
  // uncaught errors fail the file when it ends. A fetch the router had in flight when a test moved
  // on to another address is cut off and says so: that is the test's doing, and left alone.
  const scriptErrors: string[] = [];
  context.on("page", (page) => {
    page.on("pageerror", (error) => {
      if (!/Failed to fetch|aborted/i.test(error.message)) scriptErrors.push(`${page.url()} ${error.message}`);
    });
    page.on("console", (message) => {
      if (message.type() === "error" && /React|hydrat/i.test(message.text()))
        scriptErrors.push(`${page.url()} ${message.text()}`);
    });
  });
  disposeAfterFile("the checks of what the pages loaded", async () => {
    const left = await watch.take();
    if (left.length) throw new Error(`HTML validity problems:\n${left.join("\n")}`);
    if (scriptErrors.length) throw new Error(`Errors in the pages' scripts:\n${scriptErrors.join("\n")}`);
  });
  return context;
}

/**
 * Saves a picture of the whole page in test-results/screenshots, for people to look at. Not in CI,
 * whose clone is thrown away: about a third of a second each, three dozen of them.
 */
export async function screenshot(page: Page, name: string) {
  if (process.env.CI) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * Runs axe-core (WCAG 2.1 A and AA rules and best practices) and expects no violations, and no
 * HTML validity problems in any document the page's profile has loaded so far.
 */
export async function expectNoAxeViolations(page: Page) {
  const html = (await htmlWatchOf(page.context())?.take()) ?? [];
  expect(html, `HTML validity problems up to ${page.url()}`).toEqual([]);
  // axe runs as a script in the page: on a page loaded without JavaScript it would wait forever.
  // It then reads the same address, signed in as the same person, in a twin profile with scripts.
  const noScripts = withoutScripts.get(page.context());
  const twin = noScripts
    ? await noScripts.browser.newContext({
        storageState: await page.context().storageState(),
        locale: noScripts.locale,
        viewport: { width: 1200, height: 900 },
      })
    : null;
  const target = twin ? await twin.newPage() : page;
  if (twin) await target.goto(page.url());
  // Legacy mode runs axe in the page itself; the default opens a blank page per run to merge the
  // results of cross-origin frames, which these pages do not have, and doubles each run's time.
  const results = await new AxeBuilder({ page: target })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"])
    .options({ resultTypes: ["violations"] })
    .setLegacyMode(true)
    .analyze()
    .finally(() => twin?.close());
  const summary = results.violations.map(
    (v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`,
  );
  expect(summary, `axe violations on ${page.url()}`).toEqual([]);
}

/**
 * Waits until React has taken over the element (its props are attached to it): a form sent while
 * the page is still hydrating unloads it mid-render, and React then reports "root did not
 * complete" (error 345), which fails the file. People who click that early get the form's own
 * post; the tests that sign in are about what comes after.
 */
export async function hydrated(page: Page, selector: string) {
  await page.waitForFunction(
    (s) => Object.keys(document.querySelector(s) ?? {}).some((key) => key.startsWith("__reactProps$")),
    selector,
  );
}

/** A new browser profile signed in through the sign-in form, on the home page. */
export async function signedInPage(
  browser: Browser,
  base: string,
  email: string,
  password: string,
  options: { javaScript?: boolean; locale?: string } = {},
): Promise<Page> {
  const context = await newContext(browser, options);
  const page = await context.newPage();
  await page.goto(`${base}/sign-in`);
  if (options.javaScript !== false) await hydrated(page, "form.stack button[type=submit]");
  await page.locator("#email").fill(email);
  await page.locator("#password").fill(password);
  await page.locator("form.stack button[type=submit]").click();
  await page.waitForURL(`${base}/`);
  return page;
}

/**
 * Switches the page's language with the header's button and waits until the page reads in it:
 * the choice is a form post, and a test that goes on at once can load its next page before the
 * answer has set the cookie.
 */
export async function chooseLanguage(page: Page, language: "ja" | "en") {
  const answered = page.waitForResponse(
    (r) => r.request().method() === "POST" && new URL(r.url()).pathname.startsWith("/locale"),
  );
  await page.getByRole("button", { name: language === "ja" ? "日本語" : "English" }).click();
  await answered;
  await expect.poll(() => page.locator("html").getAttribute("lang")).toBe(language);
}

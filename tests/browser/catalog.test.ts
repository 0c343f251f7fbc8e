// The catalogue, a course and a module page, as visitors see them in both languages.
import path from "node:path";
import type { Browser } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { syncContentFrom } from "../../app/server/catalog/content-sync.server";
import { createLogger } from "../../app/server/shared/log.server";
import { engine } from "../support/engine";
import { expectNoAxeViolations, launchBrowser, newContext, screenshot } from "../support/browser";
import { startTestServer, type TestServer } from "../support/http";

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  const outcome = await syncContentFrom(
    server.database.db,
    path.resolve(import.meta.dirname, "../../modules"),
    createLogger("silent"),
  );
  expect(outcome.ok).toBe(true);
});

/** The version now published: the page shows the one that trainees take. */
const versionOf = async (slug: string) =>
  (
    await server.database.db
      .selectFrom("modules")
      .select("latest_version")
      .where("slug", "=", slug)
      .executeTakeFirstOrThrow()
  ).latest_version;

describe(`catalogue pages (${engine})`, () => {
  it("hydrate with JavaScript: a link is followed in the page, without loading a new document, in both languages", async () => {
    for (const locale of ["en-GB", "ja-JP"]) {
      const page = await (await newContext(browser, { locale })).newPage();
      const documents: string[] = [];
      page.on("request", (r) => void (r.resourceType() === "document" && documents.push(r.url())));
      await page.goto(`${server.url}/courses`);
      // The router exists once React has hydrated the page (it never did while the loader data
      // the browser needs was missing from the document).
      await expect.poll(() => page.evaluate(() => "__remixRouter" in window)).toBe(true);
      const link = page.locator("main a[href^='/courses/']").first();
      const [href, name] = await Promise.all([link.getAttribute("href"), link.textContent()]);
      await link.click();
      await expect.poll(() => page.url()).toBe(`${server.url}${href}`);
      await expect.poll(() => page.locator("h1").textContent()).toBe(name);
      expect(documents).toEqual([`${server.url}/courses`]);
    }
  });

  it("list the learning paths and filter them by profession, without JavaScript", async () => {
    const page = await (await newContext(browser, { javaScript: false })).newPage();
    await page.goto(`${server.url}/courses`);
    expect(await page.locator("h1").textContent()).toBe("Course catalogue");
    expect(await page.locator(".card h2").count()).toBeGreaterThanOrEqual(6);
    await page.getByLabel("Profession").selectOption("judge");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL(/profession=judge/);
    await expect.poll(() => page.locator(".card h2").allTextContents()).toEqual(["Judges: child-friendly justice"]);
    await screenshot(page, "catalog-judges");
  });

  it("show a course's modules, its time and what each module addresses in the report", async () => {
    const page = await (await newContext(browser)).newPage();
    await page.goto(`${server.url}/courses`);
    await expectNoAxeViolations(page); // axe runs in the page, so it needs JavaScript
    await page.goto(`${server.url}/courses/police`);
    expect(await page.locator("h1").textContent()).toBe("Police: child victims of sexual exploitation");
    const modules = await server.database.db
      .selectFrom("course_modules")
      .select("module_slug")
      .where("course_slug", "=", "police")
      .execute();
    expect(await page.locator(".module-list > li").count()).toBe(modules.length);
    await page.locator(".module-list details summary").first().click();
    expect(await page.locator(".module-list details").first().textContent()).toContain("§1.1.1");
    await expectNoAxeViolations(page);
    await screenshot(page, "course-police");
  });

  it("show a module's summary, lessons, sources, recommendations and version, in Japanese", async () => {
    const page = await (await newContext(browser, { locale: "ja-JP" })).newPage();
    await page.goto(`${server.url}/modules/childrens-rights-framework`);
    expect(await page.locator("h1").textContent()).toBe("子どもの権利と子どもの商業的性的搾取（CSEC）：国際的な枠組み");
    expect(await page.locator(".lesson-list li").count()).toBe(4);
    expect(await page.locator(".sources li").count()).toBeGreaterThan(3);
    expect(await page.locator("dl.facts").textContent()).toContain(
      `第${await versionOf("childrens-rights-framework")}版`,
    );
    await expectNoAxeViolations(page);
    // Every module has its Japanese edition (tests/integration/editions.test.ts covers one without).
    await page.goto(`${server.url}/modules/victim-not-offender`);
    expect(await page.locator("h1").getAttribute("lang")).toBeNull();
    expect(await page.locator("h1").textContent()).toMatch(/被害者/);
    expect(await page.locator("dl.facts").textContent()).toContain(`第${await versionOf("victim-not-offender")}版`);
    await expectNoAxeViolations(page);
    await page.goto(`${server.url}/courses`);
    await expectNoAxeViolations(page);
    await screenshot(page, "catalog-ja");
  });

  it("answer an unknown course or module with a 404 page", async () => {
    const page = await (await newContext(browser)).newPage();
    expect((await page.goto(`${server.url}/courses/no-such-course`))!.status()).toBe(404);
    expect((await page.goto(`${server.url}/modules/no-such-module`))!.status()).toBe(404);
    expect((await page.goto(`${server.url}/courses?profession=astronaut`))!.status()).toBe(400);
  });
});

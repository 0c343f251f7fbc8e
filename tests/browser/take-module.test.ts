// A trainee completes a whole module in Chromium: enrol, pre-test, lessons (with a content
// note), final quiz, result, certificate verification. Once without JavaScript, once with it.
import type { Browser, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { engine } from "../support/engine";
import { expectNoAxeViolations, launchBrowser, newContext, screenshot, signedInPage } from "../support/browser";
import { PASSWORD, makeAgency, makeUser, secondFactorRequiredFor } from "../support/fixtures";
import { startTestServer, type TestServer } from "../support/http";
import { syncSample } from "../support/learning";
import { answerQuiz as answerQuizOn, letTimePass as letTimePassFor } from "../support/quiz-browser";

let server: TestServer;
let browser: Browser;
let agencyId: string;
let moduleVersionId: string;

beforeAll(async () => {
  [server, browser] = await Promise.all([startTestServer(), launchBrowser()]);
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  agencyId = (await makeAgency(server.database.db, "Hokkaido Juvenile Protection", "juvenile_protection")).id;
  moduleVersionId = (await syncSample(server.database.db)).id;
});

const letTimePass = (userId: string) => letTimePassFor(server.database.db, userId);
const answerQuiz = (page: Page, right: boolean, js: boolean) =>
  answerQuizOn(page, server.database.db, moduleVersionId, right, js);

async function completeModule(js: boolean) {
  const step = (s: string) => process.env.DEBUG_BROWSER && console.log(`[${js ? "js" : "nojs"}] ${s}`);
  const name = js ? "Jun Scripted" : "山田 花子";
  const user = await makeUser(server.database.db, { agencyId, displayName: name, roles: ["trainee"] });
  const page = await signedInPage(browser, server.url, user.email, PASSWORD, { javaScript: js });
  const context = page.context();

  await page.goto(`${server.url}/courses/sample-course`);
  await page.getByRole("button", { name: "Enrol in this course" }).click();
  await expect.poll(() => page.getByText("You are enrolled in this course.").count()).toBe(1);
  await page.getByRole("link", { name: "Take this module" }).click();
  await page.waitForURL(/\/learn\/sample-module$/);

  step("// Pre-test.");
  // Pre-test.
  await page.getByRole("button", { name: "Start the pre-test" }).click();
  await page.waitForURL(/\/attempts\//);
  await page.locator("form.question").waitFor();
  if (js) await expectNoAxeViolations(page);
  step("await answerQuiz(page, false, js);");
  await answerQuiz(page, false, js);
  await expect.poll(() => page.getByRole("heading", { name: "All questions answered" }).count()).toBe(1);
  await page.getByRole("button", { name: "Submit my answers" }).click();
  await page.waitForURL(/\/result$/);
  await expect.poll(() => page.getByRole("status").textContent()).toContain("Pre-test (not graded): 0%");

  step("// Lessons: the second");
  // Lessons: the second carries a content note first. Confirming a lesson at once is refused
  // with the time left; then the reading is moved an hour back, as if the trainee had read.
  await page.goto(`${server.url}/learn/sample-module`);
  await page.getByRole("link", { name: "Continue" }).click();
  await page.waitForURL(/lessons\/01-first$/);
  if (js) await expectNoAxeViolations(page);
  await screenshot(page, js ? "lesson-js" : "lesson-nojs");
  await page.getByRole("button", { name: "I have read this lesson" }).click();
  await expect.poll(() => page.getByRole("alert").count()).toBe(1);
  expect(await page.getByRole("alert").textContent()).toMatch(
    /^This lesson takes at least 1 min \d+ s to read, and you opened it \d+ s ago\. You can confirm it in 1 min \d+ s/,
  );
  expect(page.url()).toMatch(/lessons\/01-first$/);
  if (js) await expectNoAxeViolations(page);
  await screenshot(page, js ? "lesson-too-early-js" : "lesson-too-early-nojs");
  await letTimePass(user.id);
  await page.getByRole("button", { name: "I have read this lesson" }).click();
  await page.waitForURL(/lessons\/02-second$/);
  await expect.poll(() => page.getByRole("heading", { name: "Before you read" }).count()).toBe(1);
  await page.getByRole("link", { name: "Continue to the lesson" }).click();
  await expect.poll(() => page.getByRole("button", { name: "I have read this lesson" }).count()).toBe(1);
  await letTimePass(user.id);
  await page.getByRole("button", { name: "I have read this lesson" }).click();
  await page.waitForURL(/\/learn\/sample-module$/);

  step("// Final quiz, answered wrong: the key stays hidden.");
  // Final quiz, answered wrong first: the result keeps the correct options to itself.
  await page.getByRole("button", { name: "Start the final quiz" }).click();
  await page.waitForURL(/\/attempts\//);
  await page.locator("form.question").waitFor();
  await answerQuiz(page, false, js);
  await page.getByRole("button", { name: "Submit my answers" }).click();
  await page.waitForURL(/\/result$/);
  await expect.poll(() => page.getByRole("status").textContent()).toContain("Not passed this time.");
  await expect.poll(() => page.getByText("The correct answers are shown once you pass.").count()).toBe(1);
  await page.waitForLoadState(); // the whole document, before counting what it must not show
  expect(await page.locator(".is-correct").count()).toBe(0);
  expect(await page.getByText("correct answer", { exact: true }).count()).toBe(0);
  if (js) await expectNoAxeViolations(page);
  await screenshot(page, js ? "result-failed-js" : "result-failed-nojs");

  step("// Final quiz, answered right.");
  // Final quiz, answered right (the sample module has no cool-down).
  await page.getByRole("button", { name: "Try the final quiz again" }).click();
  await page.waitForURL(/\/attempts\/[0-9a-f-]+$/);
  // With JavaScript the address changes as the new page renders: wait for its first question.
  await page.locator("form.question").waitFor();
  // No answer or feedback in the page before submission.
  const html = await page.content();
  expect(html).not.toMatch(/Because [abc]|correct|misconception/);
  step("await answerQuiz(page, true, js);");
  await answerQuiz(page, true, js);
  await page.getByRole("button", { name: "Submit my answers" }).click();
  await page.waitForURL(/\/result$/);
  await expect.poll(() => page.getByRole("status").textContent()).toContain("Score");
  const status = (await page.getByRole("status").textContent())!;
  expect(status).toContain("Score: 100%");
  expect(status).toContain("You passed.");
  const code = status.match(/certificate code is ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){6})/)![1]!;
  if (js) await expectNoAxeViolations(page);
  await screenshot(page, js ? "result-js" : "result-nojs");

  step("// The public verification page");
  // The public verification page, as anyone would see it.
  const visitor = await (await newContext(browser, { javaScript: js })).newPage();
  const response = await visitor.goto(`${server.url}/verify/${code}`);
  expect(response!.status()).toBe(200);
  expect(await visitor.locator("dl").textContent()).toContain(name);
  expect(await visitor.locator("dl").textContent()).toContain("Hokkaido Juvenile Protection");
  expect(await visitor.getByRole("status").textContent()).toBe("This certificate is valid.");
  expect((await visitor.goto(`${server.url}/verify/0000-0000-0000`))!.status()).toBe(404);
  expect(await visitor.getByRole("status").textContent()).toBe("No such certificate.");
  // The form takes the code as typed from paper, in Japanese too.
  if (js) {
    const reader = await (await newContext(browser, { locale: "ja-JP" })).newPage();
    await reader.goto(`${server.url}/verify`);
    await reader.getByLabel("修了証コード").fill(code.toLowerCase().replace(/-/g, " "));
    await screenshot(reader, "verify-form-ja");
    await expectNoAxeViolations(reader);
    await reader.getByRole("button", { name: "確認する" }).click();
    await reader.waitForURL(new RegExp(`/verify/${code}$`));
    await expect.poll(() => reader.getByRole("status").textContent()).toBe("この修了証は有効です。");
    await expect.poll(() => reader.locator("dl").textContent()).toContain("所属機関");
    await screenshot(reader, "verify-result-ja");
  }

  // Home: the course is done and the certificate listed.
  await page.goto(`${server.url}/`);
  expect(await page.locator(".course-progress").textContent()).toContain("1 of 1 module done");
  expect(await page.locator("#certificates-heading + ul").textContent()).toContain(code);
  // The main button points on from the finished course, never "continue" on it.
  expect(await page.locator(".continue a.button").textContent()).toBe("Choose another course");
  expect(await page.getByText("Continue where you left off").count()).toBe(0);
  if (js) await expectNoAxeViolations(page);
  await screenshot(page, js ? "home-done-js" : "home-done-nojs");
  await context.close();
}

describe(`taking a module in Chromium (${engine})`, () => {
  // Whole journeys, every page through axe and the HTML validator: minutes on a busy machine.
  it("works from enrolment to certificate with JavaScript disabled", () => completeModule(false), 300_000);
  it("works from enrolment to certificate with JavaScript enabled", () => completeModule(true), 300_000);
});

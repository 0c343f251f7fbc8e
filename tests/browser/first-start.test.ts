// A new installation, end to end in Chromium: the printed first-admin link, inviting someone,
// the invitee accepting, signing in and out, and a graceful stop.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { engine } from "../support/engine";
import { expectNoAxeViolations, launchBrowser, newContext, screenshot } from "../support/browser";
import { startPlatform, type PlatformProcess } from "../support/process";

let platform: PlatformProcess;
let browser: Browser;

beforeAll(async () => {
  [platform, browser] = await Promise.all([startPlatform(), launchBrowser()]);
});

afterAll(async () => {
  if (platform.child.exitCode === null) await platform.stop();
});

const ADMIN = { email: "admin@kanagawa.example", password: "protect every child first" };

describe(`first start (${engine})`, () => {
  it("creates the first admin from the printed link, then invites a trainee who signs in and out", async () => {
    const [, link] = await platform.waitFor(/Create the first admin account: (\S+)/);
    const context = await newContext(browser);
    const page = await context.newPage();

    await page.goto(link!);
    await expect.poll(() => page.title()).toContain("Set up Mamoru");
    await expectNoAxeViolations(page);
    // Submitting with a weak password shows the error at the field and keeps what was typed.
    await page.getByLabel("Agency name").fill("Kanagawa Prefectural Police");
    await page.getByLabel("Name", { exact: true }).fill("Aiko Admin");
    await page.getByLabel("E-mail address").fill(ADMIN.email);
    await page.getByLabel("New password").fill("password");
    await page.getByRole("button", { name: "Create the administrator" }).click();
    await expect.poll(() => page.locator(".field-error").first().textContent()).toContain("at least 12 characters");
    expect(await page.getByLabel("Agency name").inputValue()).toBe("Kanagawa Prefectural Police");
    await screenshot(page, "setup-error");

    await page.getByLabel("New password").fill(ADMIN.password);
    await page.getByRole("button", { name: "Create the administrator" }).click();
    await page.waitForURL(/\/admin\?welcome=1$/);
    await expect.poll(() => page.getByRole("status").textContent()).toContain("Mamoru is set up");
    await screenshot(page, "admin-home");

    // The link is used up.
    const again = await page.goto(link!);
    expect(again!.status()).toBe(410);

    // Invite a trainee.
    await page.goto(`${platform.url}/admin/users/invite`);
    await page.getByLabel("E-mail address").fill("trainee@kanagawa.example");
    await page.getByLabel("Profession").selectOption("juvenile_protection");
    await page.getByRole("button", { name: "Send the invitation" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toContain("trainee@kanagawa.example");
    await page.goto(`${platform.url}/admin/outbox`);
    const body = await page.locator(".mail-body").first().textContent();
    const invite = body!.match(/http\S+\/invite\/[A-Za-z0-9_-]{43}/)![0];
    await screenshot(page, "outbox");
    // The Outbox has it; the log does not (only LOG_MAIL_LINKS=true, for development, writes it there).
    expect(platform.output()).toContain("mail kept in outbox");
    expect(platform.output()).not.toContain(invite.split("/invite/")[1]);

    // The invitee, in another browser profile, in Japanese.
    const inviteeContext = await newContext(browser, { locale: "ja-JP" });
    const invitee = await inviteeContext.newPage();
    await invitee.goto(invite);
    await expect.poll(() => invitee.title()).toContain("アカウントの作成");
    await expectNoAxeViolations(invitee);
    await invitee.getByLabel("氏名").fill("山田 花子");
    await invitee.getByLabel("新しいパスワード").fill("こどもをまもるための研修です");
    await invitee.getByRole("button", { name: "アカウントを作成する" }).click();
    await invitee.waitForURL(/\/\?welcome=1$/);
    await expect.poll(() => invitee.locator("h1").textContent()).toBe("山田 花子 さん、ようこそ");
    await screenshot(invitee, "trainee-home-ja");

    await invitee.getByRole("button", { name: "ログアウト" }).click();
    await invitee.waitForURL(/\/sign-in\?signedOut=1$/);
    await invitee.getByLabel("メールアドレス").fill("trainee@kanagawa.example");
    await invitee.getByLabel("パスワード").fill("こどもをまもるための研修です");
    await invitee.getByRole("button", { name: "ログイン" }).click();
    await invitee.waitForURL(`${platform.url}/`);
    await expect.poll(() => invitee.locator("h1").textContent()).toContain("山田 花子");
  });

  it("stops cleanly on SIGTERM", async () => {
    const code = await platform.stop();
    expect(code).toBe(0);
    expect(platform.output()).toContain('"msg":"stopped"');
  });
});

// A new installation, end to end in Chromium: the printed first-admin link, setting up a second
// factor right after the password (every role requires one on a new installation), inviting
// someone, the invitee accepting and setting up theirs, signing in and out, and a graceful stop.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { engine } from "../support/engine";
import { expectNoAxeViolations, launchBrowser, newContext, screenshot } from "../support/browser";
import { startPlatform, type PlatformProcess } from "../support/process";
import { currentCode } from "../support/totp";

let platform: PlatformProcess;
let browser: Browser;

beforeAll(async () => {
  [platform, browser] = await Promise.all([startPlatform(), launchBrowser()]);
});

afterAll(async () => {
  if (platform.child.exitCode === null) await platform.stop();
});

const ADMIN = { email: "admin@kanagawa.example", password: "protect every child first" };

/** Sets up an authenticator app from the key in text, on the page a required role is sent to; returns the recovery codes. */
async function setUpAuthenticator(
  page: Page,
  labels: { start: string; code: string; confirm: string; codes: string; continue: string },
): Promise<string[]> {
  await page.getByRole("button", { name: labels.start }).click();
  await page.locator(".secret-text").waitFor();
  const key = (await page.locator(".secret-text").textContent())!;
  await page.getByLabel(labels.code).fill(await currentCode(key));
  await page.getByRole("button", { name: labels.confirm }).click();
  await page.getByRole("heading", { name: labels.codes, exact: true }).waitFor();
  const codes = await page.locator(".recovery-codes li").allTextContents();
  await page.getByRole("link", { name: labels.continue, exact: true }).click();
  return codes;
}

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
    // Right after the password: the second factor, before anything else.
    await page.waitForURL(/\/account\/two-factor\?required=1&next=%2Fadmin%3Fwelcome%3D1$/);
    await expect.poll(() => page.getByRole("status").first().textContent()).toContain("Your role requires two-step");
    await expectNoAxeViolations(page);
    await setUpAuthenticator(page, {
      start: "Set up an authenticator app",
      code: "Code from the app",
      confirm: "Turn on two-step sign-in",
      codes: "Your recovery codes",
      continue: "Continue",
    });
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
    await invitee.waitForURL(/\/account\/two-factor\?required=1/);
    await expectNoAxeViolations(invitee);
    const recoveryCodes = await setUpAuthenticator(invitee, {
      start: "認証アプリを設定する",
      code: "アプリのコード",
      confirm: "2段階認証をオンにする",
      codes: "リカバリーコード",
      continue: "続ける",
    });
    expect(recoveryCodes).toHaveLength(10);
    await invitee.waitForURL(/\/\?welcome=1$/);
    await expect.poll(() => invitee.locator("h1").textContent()).toBe("山田 花子 さん、ようこそ");
    await screenshot(invitee, "trainee-home-ja");

    await invitee.getByRole("button", { name: "ログアウト" }).click();
    await invitee.waitForURL(/\/sign-in\?signedOut=1$/);
    await invitee.getByLabel("メールアドレス").fill("trainee@kanagawa.example");
    await invitee.getByLabel("パスワード").fill("こどもをまもるための研修です");
    await invitee.getByRole("button", { name: "ログイン" }).click();
    // The password alone is not enough: a recovery code (the app's code of this period was spent
    // on the set-up, and a code works once) completes the sign-in.
    await invitee.waitForURL(/\/sign-in\/second-factor/);
    await invitee.getByLabel("コード", { exact: true }).fill(recoveryCodes[0]!);
    await invitee.getByRole("button", { name: "続ける" }).click();
    await invitee.waitForURL(/\/account\/two-factor\?usedRecoveryCode=1$/);
    await invitee.goto(`${platform.url}/`);
    await expect.poll(() => invitee.locator("h1").textContent()).toContain("山田 花子");
  });

  it("stops cleanly on SIGTERM", async () => {
    const code = await platform.stop();
    expect(code).toBe(0);
    expect(platform.output()).toContain('"msg":"stopped"');
  });
});

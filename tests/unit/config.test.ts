import { describe, expect, it } from "vitest";
import { loadConfig } from "../../app/server/config.server";

describe("configuration", () => {
  it("defaults to a 30-minute idle timeout and a 12-hour absolute session lifetime", () => {
    const c = loadConfig({});
    expect(c.sessionIdleMs).toBe(30 * 60_000);
    expect(c.sessionAbsoluteMs).toBe(12 * 3_600_000);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.dataDir).toBe("./data");
  });

  it("uses secure cookies in production unless told otherwise", () => {
    expect(loadConfig({ NODE_ENV: "production" }).secureCookies).toBe(true);
    expect(loadConfig({ NODE_ENV: "development" }).secureCookies).toBe(false);
    expect(loadConfig({ NODE_ENV: "production", SECURE_COOKIES: "false" }).secureCookies).toBe(false);
  });

  it("logs mail links only when asked to", () => {
    expect(loadConfig({}).logMailLinks).toBe(false);
    expect(loadConfig({ LOG_MAIL_LINKS: "true" }).logMailLinks).toBe(true);
    expect(() => loadConfig({ LOG_MAIL_LINKS: "yes" })).toThrow(/LOG_MAIL_LINKS/);
  });

  it("refuses argon2 parameters below OWASP's minimum", () => {
    expect(() => loadConfig({ ARGON2_MEMORY_KIB: "4096" })).toThrow(/ARGON2_MEMORY_KIB/);
  });

  it("names every invalid setting at once", () => {
    expect(() => loadConfig({ PORT: "eighty", SESSION_IDLE_MINUTES: "-5" })).toThrow(/PORT.*SESSION_IDLE_MINUTES/);
  });
});

// Which answers are security events (docs/security/events.md), and what an event line may hold.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../app/server/shared/log.server";
import {
  SECURITY_EVENTS,
  eventForResponse,
  inSecurityScope,
  logResponseEvent,
  securityEvent,
  securityScope,
} from "../../app/server/shared/security-events.server";

describe("security events", () => {
  it("are told from the answer: 429, 413, 403 by policy or cross-site, 400 on a security form, a refused link", () => {
    expect(eventForResponse("POST", "/sign-in", 429)).toBe("request.throttled");
    expect(eventForResponse("GET", "/verify/ABCD", 429)).toBe("request.throttled");
    expect(eventForResponse("POST", "/training/invite", 413)).toBe("input.too_large");
    expect(eventForResponse("GET", "/admin/users", 403)).toBe("access.forbidden");
    expect(eventForResponse("POST", "/forgot-password", 403, { reason: "cross-site" })).toBe("request.cross_site");
    expect(eventForResponse("POST", "/sign-in", 400)).toBe("auth.sign_in_failed");
    expect(eventForResponse("POST", "/sign-in/second-factor", 400)).toBe("auth.second_factor_failed");
    expect(eventForResponse("POST", "/account", 400)).toBe("input.refused");
    expect(eventForResponse("POST", "/admin/users/invite", 400)).toBe("input.refused");
    expect(eventForResponse("GET", "/invite/abc", 410)).toBe("link.refused");
    expect(eventForResponse("GET", "/setup/abc", 404)).toBe("link.refused");
    // Ordinary answers are not.
    expect(eventForResponse("GET", "/courses/nope", 404)).toBeNull();
    expect(eventForResponse("POST", "/attempts/x", 400)).toBeNull();
    expect(eventForResponse("GET", "/", 200)).toBeNull();
  });

  it("are one warn line each with the name, the request id and the person, never a secret field", () => {
    const lines: string[] = [];
    const scope = securityScope(
      createLogger("info", {}, (l) => lines.push(l)),
      "req-1",
    );
    scope.userId = "user-1";
    inSecurityScope(scope, () =>
      securityEvent("auth.password_check_failed", { password: "hunter2", token: "t", code: "123456", reason: "x" }),
    );
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toEqual({
      time: expect.any(String),
      level: "warn",
      msg: "security event",
      event: "auth.password_check_failed",
      requestId: "req-1",
      userId: "user-1",
      reason: "x",
    });
  });

  it("are not logged twice for one request, and not at all outside a request without a logger", () => {
    const lines: string[] = [];
    const scope = securityScope(
      createLogger("info", {}, (l) => lines.push(l)),
      "req-2",
    );
    inSecurityScope(scope, () => securityEvent("auth.sign_in_failed", {}));
    logResponseEvent(scope, { method: "POST", path: "/sign-in", status: 400 });
    expect(lines).toHaveLength(1);
    securityEvent("auth.sign_in_failed", {});
    expect(lines).toHaveLength(1);
  });

  it("each have a description for the documentation", () => {
    for (const [name, text] of Object.entries(SECURITY_EVENTS)) {
      expect(name).toMatch(/^[a-z]+\.[a-z_]+$/);
      expect(text.length, name).toBeGreaterThan(20);
    }
  });

  it("are all described on the events page, and the page names no other", () => {
    const page = readFileSync(path.resolve(import.meta.dirname, "../../docs/security/events.md"), "utf8");
    const listed = [...page.matchAll(/^\| `([a-z]+\.[a-z_]+)`/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.keys(SECURITY_EVENTS).sort());
  });
});

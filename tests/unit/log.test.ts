import { describe, expect, it } from "vitest";
import { createLogger, redactPath } from "../../app/server/shared/log.server";

describe("logs", () => {
  it("never keep the secret part of single-use links in request paths", () => {
    expect(redactPath("/invite/AbC_123-xyz")).toBe("/invite/[redacted]");
    expect(redactPath("/reset-password/AbC_123-xyz")).toBe("/reset-password/[redacted]");
    expect(redactPath("/setup/AbC_123-xyz")).toBe("/setup/[redacted]");
    expect(redactPath("/admin/users/1234")).toBe("/admin/users/1234");
  });

  it("write one JSON object per line with the request id", () => {
    const lines: string[] = [];
    const log = createLogger("info", { service: "mamoru" }, (l) => lines.push(l)).child({ requestId: "r-1" });
    log.debug("hidden");
    log.info("request", { path: "/invite/secret-token", status: 200 });
    log.error("failed", { error: new Error("boom") });
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!);
    expect(first).toMatchObject({
      level: "info",
      msg: "request",
      service: "mamoru",
      requestId: "r-1",
      path: "/invite/[redacted]",
      status: 200,
    });
    expect(JSON.parse(lines[1]!).error).toEqual({ name: "Error", message: "boom" });
  });
});

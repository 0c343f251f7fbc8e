import { describe, expect, it } from "vitest";
import { advisoriesOf, assess, TIME_FRAME_DAYS, type TriageRecord } from "../../scripts/audit-deps";

// The shape `npm audit --json` prints (npm 7 and later): one entry per vulnerable package, each
// advisory under the package it is about, and a package name where it is only inherited.
const audit = {
  auditReportVersion: 2,
  vulnerabilities: {
    "tar-fs": {
      name: "tar-fs",
      severity: "high",
      via: [
        {
          source: 1101,
          name: "tar-fs",
          title: "Path traversal on extraction",
          url: "https://github.com/advisories/GHSA-8cj5-5rvv-wf4v",
          severity: "high",
          range: "<2.1.2",
        },
      ],
    },
    "some-tool": { name: "some-tool", severity: "high", via: ["tar-fs"] },
    cookie: {
      name: "cookie",
      severity: "low",
      via: [
        {
          source: 1102,
          name: "cookie",
          title: "Out-of-bounds characters in cookie name",
          url: "https://github.com/advisories/GHSA-pxg6-pf52-xh8x",
          severity: "low",
          range: "<0.7.0",
        },
      ],
    },
  },
};

const record = (over: Partial<TriageRecord>): TriageRecord => ({
  id: "GHSA-8cj5-5rvv-wf4v",
  package: "tar-fs",
  severity: "high",
  firstSeen: "2026-11-01",
  decision: "remediate",
  reason: "upgrade with the next dependency update",
  ...over,
});

describe("the dependency audit's time frames", () => {
  it("reads each advisory once from npm audit's JSON, most severe first, and tells an audit that did not run", () => {
    expect(advisoriesOf(audit)?.map((a) => [a.id, a.package, a.severity])).toEqual([
      ["GHSA-8cj5-5rvv-wf4v", "tar-fs", "high"],
      ["GHSA-pxg6-pf52-xh8x", "cookie", "low"],
    ]);
    // What npm prints when the registry refuses the audit request: not an answer, so nothing assessed.
    expect(advisoriesOf({ message: "405 Method Not Allowed", error: { summary: "" } })).toBeNull();
    expect(advisoriesOf(null)).toBeNull();
  });

  it("fails an advisory nobody triaged, and one past its severity's time frame", () => {
    const advisories = advisoriesOf(audit)!;
    expect(TIME_FRAME_DAYS).toMatchObject({ critical: 7, high: 30, moderate: 90, low: 180 });
    const untriaged = assess(advisories, [], "2026-11-02").findings;
    expect(untriaged.map((f) => f.status)).toEqual(["untriaged", "untriaged"]);

    const onDay30 = assess(advisories, [record({})], "2026-12-01").findings[0]!;
    expect(onDay30).toMatchObject({ status: "within", due: "2026-12-01" });
    const onDay31 = assess(advisories, [record({})], "2026-12-02").findings[0]!;
    expect(onDay31).toMatchObject({ status: "overdue", due: "2026-12-01" });
    // Recorded as moderate but now reported high: the shorter time frame applies.
    expect(assess(advisories, [record({ severity: "moderate" })], "2026-12-02").findings[0]!.status).toBe("overdue");
  });

  it("holds an accepted risk until its review day, and lists records of advisories no longer reported", () => {
    const advisories = advisoriesOf(audit)!;
    const accepted = record({ decision: "accepted", reason: "build tool only", reviewBy: "2027-01-15" });
    expect(assess(advisories, [accepted], "2027-01-15").findings[0]!.status).toBe("within");
    expect(assess(advisories, [accepted], "2027-01-16").findings[0]!.status).toBe("overdue");
    const gone = record({ id: "GHSA-xxxx-xxxx-xxxx", package: "old-lib" });
    expect(assess(advisories, [gone], "2026-11-02").resolved).toEqual([gone]);
  });
});

// npm run audit:deps — the dependencies' known vulnerabilities against the remediation time frames of
// docs/security/dependencies.md. It asks npm's advisory service (`npm audit --json`), matches every
// advisory with its triage record in docs/security/dependency-advisories.json, and fails (exit 1)
// when an advisory is not triaged yet or is past its time frame. When the service cannot be asked
// (no network, a registry mirror that refuses the audit request) it says so and exits 0: a network
// failure is not a finding. `--strict` makes that exit 2 instead.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const SEVERITIES = ["critical", "high", "moderate", "low", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Days from an advisory's first sighting to its remediation, by severity (docs/security/dependencies.md). */
export const TIME_FRAME_DAYS: Record<Severity, number> = { critical: 7, high: 30, moderate: 90, low: 180, info: 180 };
/** An accepted risk is looked at again at least this often. */
export const MAX_ACCEPTANCE_DAYS = 90;

export interface Advisory {
  id: string;
  package: string;
  severity: Severity;
  title: string;
  url: string;
  range: string;
}

export interface TriageRecord {
  id: string;
  package: string;
  severity: Severity;
  /** The day the advisory was first reported for this project (YYYY-MM-DD). */
  firstSeen: string;
  /** "remediate": upgrade or replace within the time frame; "accepted": not exploitable here, with why. */
  decision: "remediate" | "accepted";
  reason: string;
  /** For an accepted risk: the day it is looked at again, at most MAX_ACCEPTANCE_DAYS after the review that set it (default: that long after firstSeen). */
  reviewBy?: string;
}

export type Finding = Advisory & { status: "untriaged" | "within" | "overdue"; due: string | null };

export interface Assessment {
  findings: Finding[];
  /** Records of advisories npm no longer reports: remediated, the record can go. */
  resolved: TriageRecord[];
}

/** The advisories in `npm audit --json` output (lockfile v2/v3 format), or null when the audit did not run. */
export function advisoriesOf(auditJson: unknown): Advisory[] | null {
  if (typeof auditJson !== "object" || auditJson === null) return null;
  const vulnerabilities = (auditJson as { vulnerabilities?: unknown }).vulnerabilities;
  if (typeof vulnerabilities !== "object" || vulnerabilities === null) return null;
  const found = new Map<string, Advisory>();
  for (const entry of Object.values(vulnerabilities as Record<string, { via?: unknown[] }>)) {
    for (const via of entry.via ?? []) {
      if (typeof via !== "object" || via === null) continue; // a name: the advisory is listed under that package
      const v = via as {
        source?: unknown;
        name?: unknown;
        title?: unknown;
        url?: unknown;
        severity?: unknown;
        range?: unknown;
      };
      const url = typeof v.url === "string" ? v.url : "";
      const id = /GHSA(-[0-9a-z]{4}){3}/i.exec(url)?.[0] ?? `npm-${String(v.source)}`;
      const severity = SEVERITIES.includes(v.severity as Severity) ? (v.severity as Severity) : "critical";
      found.set(id, {
        id,
        package: String(v.name ?? ""),
        severity,
        title: String(v.title ?? ""),
        url,
        range: String(v.range ?? ""),
      });
    }
  }
  return [...found.values()].sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
}

const addDays = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** Each advisory against its record: untriaged, within its time frame, or overdue. */
export function assess(advisories: Advisory[], records: TriageRecord[], today: string): Assessment {
  const byId = new Map(records.map((r) => [r.id, r]));
  const findings = advisories.map((advisory): Finding => {
    const record = byId.get(advisory.id);
    if (!record) return { ...advisory, status: "untriaged", due: null };
    // A record made for a lower severity than npm now reports takes the shorter time frame.
    const severity =
      SEVERITIES.indexOf(advisory.severity) < SEVERITIES.indexOf(record.severity) ? advisory.severity : record.severity;
    const due =
      record.decision === "accepted"
        ? (record.reviewBy ?? addDays(record.firstSeen, MAX_ACCEPTANCE_DAYS))
        : addDays(record.firstSeen, TIME_FRAME_DAYS[severity]);
    return { ...advisory, status: today > due ? "overdue" : "within", due };
  });
  const reported = new Set(advisories.map((a) => a.id));
  return { findings, resolved: records.filter((r) => !reported.has(r.id)) };
}

function runNpmAudit(cwd: string): Promise<{ json: unknown; text: string }> {
  return new Promise((resolve) => {
    // npm audit exits 1 when it finds something: the JSON on stdout is what counts.
    execFile("npm", ["audit", "--json"], { cwd, maxBuffer: 64 * 1024 * 1024 }, (_error, stdout) => {
      try {
        resolve({ json: JSON.parse(stdout), text: stdout });
      } catch {
        resolve({ json: null, text: stdout });
      }
    });
  });
}

async function main() {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const strict = process.argv.includes("--strict");
  const records = (
    JSON.parse(readFileSync(path.join(root, "docs/security/dependency-advisories.json"), "utf8")) as {
      advisories: TriageRecord[];
    }
  ).advisories;
  const { json } = await runNpmAudit(root);
  const advisories = advisoriesOf(json);
  if (!advisories) {
    const why =
      (json as { message?: string; error?: { summary?: string } } | null)?.message ??
      (json as { error?: { summary?: string } } | null)?.error?.summary ??
      "no answer";
    console.log(`audit:deps: NOT CHECKED — npm's advisory service could not be asked (${why}).`);
    console.log("Run it again where the registry's audit endpoint answers; nothing was assessed.");
    process.exit(strict ? 2 : 0);
  }
  const today = new Date().toISOString().slice(0, 10);
  const { findings, resolved } = assess(advisories, records, today);
  for (const f of findings)
    console.log(
      `${f.status.padEnd(9)} ${f.severity.padEnd(8)} ${f.id} ${f.package} ${f.range} due ${f.due ?? "—"}: ${f.title}`,
    );
  for (const r of resolved) console.log(`resolved  ${r.id} ${r.package}: no longer reported; remove its record`);
  const bad = findings.filter((f) => f.status !== "within");
  console.log(
    `audit:deps: ${findings.length} advisories, ${bad.length} untriaged or overdue (time frames: docs/security/dependencies.md)`,
  );
  process.exit(bad.length > 0 ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();

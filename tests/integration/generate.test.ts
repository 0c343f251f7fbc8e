// `npm run db:generate` at a small size: what it writes is a chain an auditor's check accepts —
// every completion record and every audit event matches its hash and its MAC under the keys the
// server uses, and `npm run records:verify` says so. On the embedded engine, it refuses to run.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { newKeyLine } from "../../app/server/chain/anchor.server";
import { engine, freshDatabase } from "../support/db";
import { runDir, scriptEnv } from "../support/engine";

const root = path.resolve(import.meta.dirname, "../..");
const tsx = path.join(root, "node_modules/.bin/tsx");

function run(script: string, args: string[], env: Record<string, string | undefined>) {
  return spawnSync(tsx, [path.join(root, script), ...args], {
    cwd: root,
    env: scriptEnv({ LOG_LEVEL: "silent", ...env }),
    encoding: "utf8",
    timeout: 240_000,
  });
}

describe(`the national data generator (${engine})`, () => {
  if (engine === "postgres") {
    it("writes records and audit events whose hashes and MACs records:verify accepts", async () => {
      const { url } = await freshDatabase();
      const checkpoints = mkdtempSync(path.join(runDir(), "generate-"));
      try {
        const env = { DATABASE_URL: url, CHAIN_KEYS: newKeyLine(), CHAIN_CHECKPOINT_DIR: checkpoints };
        const generated = run("scripts/generate.ts", ["--trainees", "150"], env);
        expect(generated.status, generated.stderr).toBe(0);
        expect(generated.stdout).toMatch(/[1-9]\d* completion records on the chain, [1-9]\d* audit events/);
        const verified = run("scripts/records-verify.ts", [], env);
        expect(verified.status, verified.stdout + verified.stderr).toBe(0);
        expect(verified.stdout).toMatch(/All [1-9]\d* completion records match their hashes and MACs/);
        expect(verified.stdout).toMatch(/All [1-9]\d* audit events match their hashes and MACs/);
        // Under other keys nothing checks out: the MACs are really made with the server's keys.
        const otherKeys = run("scripts/records-verify.ts", [], { ...env, CHAIN_KEYS: newKeyLine() });
        expect(otherKeys.status).toBe(1);
      } finally {
        rmSync(checkpoints, { recursive: true, force: true });
      }
    }, 300_000);
  } else {
    it("refuses the embedded database and says why", () => {
      const refused = run("scripts/generate.ts", ["--trainees", "150"], { DATABASE_URL: "" });
      expect(refused.status).toBe(2);
      expect(refused.stderr).toContain("runs on a Postgres server only");
    }, 60_000);
  }
});

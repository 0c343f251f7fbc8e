// Where the test databases live. Shared by the global setup and every test file.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const serverUrl = process.env.DATABASE_URL || undefined;
export const engine = serverUrl ? "postgres" : "pglite";

const root = path.resolve(import.meta.dirname, "../..");

/** Changes whenever a migration changes, so a stale template is never reused. */
export function migrationsFingerprint(): string {
  const dir = path.join(root, "db/migrations");
  const hash = createHash("sha256");
  for (const name of readdirSync(dir).sort()) hash.update(name).update(readFileSync(path.join(dir, name)));
  return hash.digest("hex").slice(0, 12);
}

export const templateDir = () => path.join(os.tmpdir(), `mamoru-test-template-${migrationsFingerprint()}`);
export const templateDatabase = () => `mamoru_template_${migrationsFingerprint()}`;

/** The URL of another database on the same server. */
export function databaseUrl(name: string): string {
  const url = new URL(serverUrl!);
  url.pathname = `/${name}`;
  return url.toString();
}

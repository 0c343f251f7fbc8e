// Migrations are frozen in time: each imports nothing but Kysely, so that today's value lists or
// types cannot change what an old migration creates (a new value is a new migration).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const dir = path.resolve(import.meta.dirname, "../../db/migrations");

describe("migrations", () => {
  const files = readdirSync(dir).filter((f) => /^\d{4}_.*\.ts$/.test(f));
  it("are there to check", () => expect(files.length).toBeGreaterThanOrEqual(3));
  for (const file of files) {
    it(`${file} imports only kysely`, () => {
      const imports = [...readFileSync(path.join(dir, file), "utf8").matchAll(/\bfrom\s+["']([^"']+)["']/g)].map(
        (m) => m[1],
      );
      expect(imports.filter((i) => i !== "kysely")).toEqual([]);
    });
  }
});

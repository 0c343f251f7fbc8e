// docs/security/input-validation.md must keep up with the code: every field rule and query schema
// exported for the routes, and every route that reads input, is named in it.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import * as fields from "../../app/server/http/fields.server";
import * as filters from "../../app/server/review/filters.server";

const root = path.resolve(__dirname, "../..");
const doc = readFileSync(path.join(root, "docs/security/input-validation.md"), "utf8");
const named = (name: string) => doc.includes(`\`${name}\``);

describe("the input validation document", () => {
  it("names every schema and helper exported by fields.server.ts and filters.server.ts", () => {
    const exported = [...Object.keys(fields), ...Object.keys(filters)];
    expect(exported.length).toBeGreaterThan(15);
    expect(exported.filter((name) => !named(name))).toEqual([]);
  });

  it("names every route that reads a form, a query, a parameter or a file", () => {
    const dir = path.join(root, "app/routes");
    const reading = readdirSync(dir).filter((file) =>
      /readForm\(|formData\(|safeParse\(|searchParams|params\.\w+/.test(readFileSync(path.join(dir, file), "utf8")),
    );
    expect(reading.length).toBeGreaterThan(30);
    expect(reading.filter((file) => !named(file))).toEqual([]);
  });
});

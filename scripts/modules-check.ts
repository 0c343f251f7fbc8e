// `npm run modules:check`: checks modules/ and prints every problem, the warnings and the
// coverage of the report's recommendations. Exits 1 when there is any problem.
import path from "node:path";
import { checkContent } from "../app/server/catalog/content-check.server";

const root = path.resolve(process.argv[2] ?? "modules");
const result = checkContent(root);

const recs = new Map(result.recommendations.map((r) => [r.id, r]));
console.log(`Coverage of the report's key recommendations (${root}):\n`);
for (const [id, slugs] of result.coverage) {
  const r = recs.get(id);
  const mark = slugs.length > 0 ? "✓" : r?.trainable === false ? "·" : "✗";
  const scope = r?.trainable === false ? " (law or institution; taught, not closed by training)" : "";
  console.log(`${mark} ${id.padEnd(14)} ${slugs.length ? slugs.join(", ") : "— no module"}${scope}`);
}

if (result.cues.size) {
  console.log("\nWhat the final-quiz pools give away (single-answer questions whose correct option is the longest;");
  console.log("attempts passed by always picking the longest or the most hedged option):\n");
  for (const [slug, reports] of result.cues)
    for (const r of reports) {
      const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(6);
      const longest = `${r.longestCorrect}/${r.singleAnswer}`.padStart(6);
      console.log(
        `  ${slug.padEnd(30)} ${r.locale}  longest correct ${longest} ${pct(r.longestCorrect / r.singleAnswer)}   pass: longest ${pct(r.passRate.longest)}, hedged ${pct(r.passRate.hedged)}`,
      );
    }
}

if (result.warnings.length) {
  console.log(`\n${result.warnings.length} warning(s):`);
  for (const w of result.warnings) console.log(`  ${w.file} ${w.field}: ${w.message}`);
}
if (result.problems.length) {
  console.log(`\n${result.problems.length} problem(s):`);
  for (const p of result.problems) console.log(`  ${p.file} ${p.field}: ${p.message}`);
  process.exit(1);
}
const c = result.content!;
console.log(
  `\nOK: ${c.modules.length} modules, ${c.catalog.length} courses, ${c.recommendations.length} recommendations.`,
);

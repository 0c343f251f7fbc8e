// Test-wise strategies played against every real final-quiz pool, drawn the way the engine draws:
// a certificate must not be reachable without reading.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { measureCues, seededRandom } from "../../app/server/catalog/answer-cues.server";
import { checkContent } from "../../app/server/catalog/content-check.server";
import { draw } from "../../app/server/learning/quiz-engine.server";

const content = checkContent(path.resolve(import.meta.dirname, "../../modules")).content;

describe("the real quiz pools against test-wise strategies", () => {
  it("the content passes its check", () => expect(content).not.toBeNull());

  for (const module of content?.modules ?? []) {
    for (const locale of module.meta.locales) {
      it(`${module.meta.slug} (${locale}): picking the longest or the most hedged option passes at most 5% of 2,000 draws`, () => {
        const report = measureCues(
          module.quiz.pool,
          { ...module.meta.quiz, passMark: module.meta.passMark },
          locale,
          2000,
        );
        expect(report.passRate.longest).toBeLessThanOrEqual(0.05);
        expect(report.passRate.hedged).toBeLessThanOrEqual(0.05);
        expect(report.longestCorrect / report.singleAnswer).toBeLessThanOrEqual(0.4);
      });
    }
  }
});

describe("drawing a final attempt", () => {
  const pool = ["o1", "o1", "o1", "o1", "o1", "o1", "o2", "o2", "o3"].map((objective, i) => ({
    id: `q${i}`,
    objective,
  }));

  it("tests every objective in every attempt, however the pool leans", () => {
    for (let seed = 1; seed <= 500; seed++) {
      const drawn = draw(pool, 4, seededRandom(seed));
      expect(new Set(drawn.map((q) => q.id)).size).toBe(4);
      expect(new Set(drawn.map((q) => q.objective))).toEqual(new Set(["o1", "o2", "o3"]));
    }
  });

  it("varies which question stands for an objective, and the order", () => {
    const firsts = new Set<string>();
    const o1 = new Set<string>();
    for (let seed = 1; seed <= 200; seed++) {
      const drawn = draw(pool, 3, seededRandom(seed));
      firsts.add(drawn[0]!.objective);
      o1.add(drawn.find((q) => q.objective === "o1")!.id);
    }
    expect(firsts.size).toBe(3);
    expect(o1.size).toBe(6);
  });

  it("draws as many objectives as fit when the draw is smaller than the objectives", () => {
    const drawn = draw(pool, 2, seededRandom(7));
    expect(new Set(drawn.map((q) => q.objective)).size).toBe(2);
  });
});

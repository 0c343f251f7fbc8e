import { describe, expect, it } from "vitest";
import {
  answerFits,
  grade,
  isCorrect,
  serve,
  shuffle,
  type StoredQuestion,
} from "../../app/server/learning/quiz-engine.server";

const t = (en: string) => ({ en });
const opt = (id: string, correct = false) => ({
  id,
  text: t(id),
  feedback: t(`why ${id}`),
  ...(correct ? { correct: true as const } : { misconception: "offender-framing" }),
});

const single: StoredQuestion = {
  id: "s",
  kind: "single",
  prompt: t("?"),
  options: [opt("a"), opt("b", true), opt("c")],
};
const multiple: StoredQuestion = {
  id: "m",
  kind: "multiple",
  prompt: t("?"),
  options: [opt("a", true), opt("b"), opt("c", true), opt("d")],
};
const trueFalse: StoredQuestion = {
  id: "tf",
  kind: "true_false",
  prompt: t("?"),
  options: [opt("true"), opt("false", true)],
};
const scenario: StoredQuestion = {
  id: "sc",
  kind: "scenario",
  case: t("A case"),
  prompt: t("What first?"),
  options: [opt("a", true), opt("b")],
  followUp: { prompt: t("Then?"), options: [opt("x"), opt("y", true)] },
};
const branching: StoredQuestion = { ...scenario, id: "br", followUp: { ...scenario.followUp!, after: ["b"] } };

describe("grading", () => {
  it("single choice and true/false: exactly the one right option", () => {
    expect(isCorrect(single, { choice: ["b"] })).toBe(true);
    expect(isCorrect(single, { choice: ["a"] })).toBe(false);
    expect(isCorrect(single, { choice: ["a", "b"] })).toBe(false);
    expect(isCorrect(trueFalse, { choice: ["false"] })).toBe(true);
    expect(isCorrect(trueFalse, { choice: ["true"] })).toBe(false);
    expect(isCorrect(single, undefined)).toBe(false);
  });

  it("multiple choice: exactly the set of right options, in any order", () => {
    expect(isCorrect(multiple, { choice: ["c", "a"] })).toBe(true);
    expect(isCorrect(multiple, { choice: ["a"] })).toBe(false);
    expect(isCorrect(multiple, { choice: ["a", "c", "d"] })).toBe(false);
  });

  it("scenario with a follow-up: both steps must be right", () => {
    expect(isCorrect(scenario, { choice: ["a"], followUp: ["y"] })).toBe(true);
    expect(isCorrect(scenario, { choice: ["a"], followUp: ["x"] })).toBe(false);
    expect(isCorrect(scenario, { choice: ["a"] })).toBe(false);
    expect(isCorrect(scenario, { choice: ["b"], followUp: ["y"] })).toBe(false);
  });

  it("a follow-up shown only after some answers counts only then", () => {
    expect(isCorrect(branching, { choice: ["a"] })).toBe(true); // no follow-up after a
    expect(isCorrect(branching, { choice: ["b"], followUp: ["y"] })).toBe(false); // b was wrong anyway
  });

  it("scores in whole percent, rounding down so a pass mark is never reached by rounding", () => {
    const questions = [single, multiple, trueFalse];
    expect(grade(questions, { s: { choice: ["b"] }, m: { choice: ["a", "c"] }, tf: { choice: ["false"] } })).toEqual({
      correct: 3,
      total: 3,
      score: 100,
    });
    expect(grade(questions, { s: { choice: ["b"] }, m: { choice: ["a"] }, tf: { choice: ["false"] } })).toEqual({
      correct: 2,
      total: 3,
      score: 66,
    });
    expect(grade(questions, {})).toEqual({ correct: 0, total: 3, score: 0 });
  });
});

describe("serving", () => {
  const pool: StoredQuestion[] = Array.from({ length: 12 }, (_, i) => ({ ...single, id: `q${i}` }));

  it("draws the asked number of distinct questions from the pool and shuffles options", () => {
    const served = serve(pool, 10);
    expect(served).toHaveLength(10);
    expect(new Set(served.map((s) => s.id)).size).toBe(10);
    for (const s of served) expect([...s.options].sort()).toEqual(["a", "b", "c"]);
  });

  it("varies the draw and the option order between attempts", () => {
    const draws = new Set(
      Array.from({ length: 20 }, () =>
        serve(pool, 10)
          .map((s) => `${s.id}:${s.options.join("")}`)
          .join(","),
      ),
    );
    expect(draws.size).toBeGreaterThan(15);
  });

  it("serves a pre-test whole and in order, keeping True before False", () => {
    const served = serve([single, trueFalse, scenario], null, () => 0);
    expect(served.map((s) => s.id)).toEqual(["s", "tf", "sc"]);
    expect(served[1]!.options).toEqual(["true", "false"]);
    expect([...served[2]!.followUp!].sort()).toEqual(["x", "y"]);
  });

  it("shuffles with Fisher-Yates: every order is reachable", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) seen.add(shuffle(["a", "b", "c"]).join(""));
    expect(seen.size).toBe(6);
  });
});

describe("answers that do not fit what was served", () => {
  const served = { id: "sc", options: ["b", "a"], followUp: ["y", "x"] };

  it("are refused: unknown options, several options for a single choice, a follow-up where none was shown", () => {
    expect(answerFits(scenario, served, { choice: ["a"] })).toBe(true);
    expect(answerFits(scenario, served, { choice: ["a"], followUp: ["y"] })).toBe(true);
    expect(answerFits(scenario, served, { choice: ["z"] })).toBe(false);
    expect(answerFits(scenario, served, { choice: ["a", "b"] })).toBe(false);
    expect(answerFits(scenario, served, { choice: [] })).toBe(false);
    expect(answerFits(scenario, served, { choice: ["a"], followUp: ["q"] })).toBe(false);
    expect(answerFits(single, { id: "s", options: ["a", "b", "c"] }, { choice: ["a"], followUp: ["x"] })).toBe(false);
    expect(answerFits(branching, { ...served, id: "br" }, { choice: ["a"], followUp: ["y"] })).toBe(false);
    expect(answerFits(multiple, { id: "m", options: ["a", "b", "c", "d"] }, { choice: ["a", "a"] })).toBe(false);
  });
});

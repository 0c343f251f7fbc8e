// The quiz engine's rules, as pure functions: which questions an attempt serves and in what
// order, and how an answer is graded. Nothing here reaches the browser before submission.
import { randomInt } from "node:crypto";
import type { Localised, Option, Question } from "../catalog/content-schema.server";

export type QuestionKind = Question["kind"];

/** A question as stored at sync (its id and kind in columns, the rest in `content`). */
export interface StoredQuestion {
  id: string;
  kind: QuestionKind;
  /** The learning objective a final-quiz question tests. */
  objective?: string;
  /** The lesson that teaches its answer. */
  lesson?: string;
  case?: Localised;
  prompt: Localised;
  options: Option[];
  followUp?: { prompt: Localised; options: Option[]; after?: string[] };
}

/** What one attempt served: the questions in order, and each one's options in order. */
export interface ServedQuestion {
  id: string;
  options: string[];
  followUp?: string[];
}

/** One answer: the options chosen in the first step, and in the follow-up step when shown. */
export interface Answer {
  choice: string[];
  followUp?: string[];
}

export type Random = (max: number) => number;
const cryptoRandom: Random = (max) => randomInt(max);

/** Fisher-Yates, with an injectable source of randomness for tests. */
export function shuffle<T>(items: readonly T[], random: Random = cryptoRandom): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Draws `count` questions: one for each learning objective first (while the count allows), then
 * the rest at random, so that every attempt tests every objective and two attempts share few items.
 */
export function draw<Q extends Pick<StoredQuestion, "objective">>(
  pool: readonly Q[],
  count: number,
  random: Random = cryptoRandom,
): Q[] {
  const shuffled = shuffle(pool, random);
  const first = new Map<string, Q>();
  for (const q of shuffled) if (q.objective !== undefined && !first.has(q.objective)) first.set(q.objective, q);
  const chosen = new Set(shuffle([...first.values()], random).slice(0, count));
  for (const q of shuffled) if (chosen.size < count) chosen.add(q);
  return shuffle([...chosen], random);
}

/** Serves `count` questions from the pool (all of them, in order, when `count` is null), options shuffled. */
export function serve(
  pool: readonly StoredQuestion[],
  count: number | null,
  random: Random = cryptoRandom,
): ServedQuestion[] {
  const chosen = count === null ? [...pool] : draw(pool, count, random);
  return chosen.map((q) => {
    // True/false keeps its natural order: "True" before "False" reads better than a coin toss.
    const order = (options: Option[]) =>
      q.kind === "true_false" ? options.map((o) => o.id) : shuffle(options, random).map((o) => o.id);
    return { id: q.id, options: order(q.options), ...(q.followUp ? { followUp: order(q.followUp.options) } : {}) };
  });
}

/** Whether the follow-up step is shown after this first answer. */
export function followUpApplies(q: StoredQuestion, choice: readonly string[]): boolean {
  if (!q.followUp) return false;
  return !q.followUp.after || choice.some((c) => q.followUp!.after!.includes(c));
}

const correctIds = (options: readonly Option[]) =>
  options
    .filter((o) => o.correct)
    .map((o) => o.id)
    .sort();
const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

/** True when the answer is entirely right: every step, exactly the correct options. */
export function isCorrect(q: StoredQuestion, answer: Answer | undefined): boolean {
  if (!answer) return false;
  if (q.kind !== "multiple" && answer.choice.length !== 1) return false;
  if (!sameSet(answer.choice, correctIds(q.options))) return false;
  if (followUpApplies(q, answer.choice)) {
    const second = answer.followUp ?? [];
    return second.length === 1 && sameSet(second, correctIds(q.followUp!.options));
  }
  return true;
}

export interface Grade {
  correct: number;
  total: number;
  /** Whole percent, rounded down: a pass mark of 80 is never reached by rounding up. */
  score: number;
}

export function grade(questions: readonly StoredQuestion[], answers: Record<string, Answer>): Grade {
  const correct = questions.filter((q) => isCorrect(q, answers[q.id])).length;
  const total = questions.length;
  return { correct, total, score: total === 0 ? 0 : Math.floor((correct * 100) / total) };
}

/**
 * Checks that an answer names only what was served for that question: its options, one of them
 * unless the question takes several, and a follow-up only where one was shown.
 */
export function answerFits(q: StoredQuestion, served: ServedQuestion, answer: Answer): boolean {
  const offered = new Set(served.options);
  if (answer.choice.length === 0 || !answer.choice.every((c) => offered.has(c))) return false;
  if (new Set(answer.choice).size !== answer.choice.length) return false;
  if (q.kind !== "multiple" && answer.choice.length !== 1) return false;
  if (answer.followUp === undefined) return true;
  if (!served.followUp || !followUpApplies(q, answer.choice)) return false;
  return answer.followUp.length === 1 && served.followUp.includes(answer.followUp[0]!);
}

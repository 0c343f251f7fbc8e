// Measures how much a final-quiz pool gives away to someone who does not read it: how often the
// correct option is the longest one, and how often a test-wise strategy ("pick the longest", "pick
// the most hedged") would pass a real attempt drawn the way the engine draws it.
import { draw, isCorrect, type Answer, type Random, type StoredQuestion } from "../learning/quiz-engine.server";
import type { Option, Question } from "./content-schema.server";

export type Locale = "en" | "ja";

export const CUE_LIMITS = {
  /** Most single-answer questions whose correct option may be the strictly longest. */
  longestCorrect: 0.4,
  /** Most draws a strategy may pass. */
  strategyPass: 0.05,
};

// Words that make an option sound careful rather than say anything: a test-wise reader picks
// the option with most of them.
const HEDGES: Record<Locale, RegExp> = {
  en: /\b(assess\w*|consider\w*|may|might|could|possibl[ey]|appropriate\w*|careful\w*|gentl[ey]|without judge?ment|non-?judge?mental|where (?:possible|appropriate|safe)|if (?:needed|necessary|appropriate)|as needed|check\w*|listen\w*|explain\w*|support\w*|calm\w*|safe\w*|ensur\w*|respect\w*|sensitiv\w*|trauma-informed|consult\w*|together|coordinat\w*|depend\w*|individual\w*|case by case)\b/gi,
  ja: /(確認|慎重|必要に応じ|可能性|検討|配慮|丁寧|寄り添|評価|適切|安全|尊重|説明|相談|連携|支援|落ち着|かもしれ|場合によ|できる限り|非難せず|責めず|個別|状況に応じ)/g,
};

export function hedgeCount(text: string, locale: Locale): number {
  return text.match(HEDGES[locale])?.length ?? 0;
}

type Strategy = (options: readonly Option[], locale: Locale, multiple: boolean, random: Random) => string[];

/** Picks the longest option; in a "choose all" question, every option longer than the average. */
const pickLongest: Strategy = (options, locale, multiple, random) =>
  pickBy(options, (o) => o.text[locale]!.length, multiple, random);
/** Picks the option with the most hedging words; ties are broken at random. */
const pickHedged: Strategy = (options, locale, multiple, random) =>
  pickBy(options, (o) => hedgeCount(o.text[locale]!, locale), multiple, random);

function pickBy(options: readonly Option[], score: (o: Option) => number, multiple: boolean, random: Random): string[] {
  const scores = options.map(score);
  if (multiple) {
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    const above = options.filter((_, i) => scores[i]! > mean).map((o) => o.id);
    if (above.length > 0) return above;
  }
  const best = Math.max(...scores);
  const tied = options.filter((_, i) => scores[i] === best);
  return [tied[random(tied.length)]!.id];
}

export const STRATEGIES = { longest: pickLongest, hedged: pickHedged } as const;
export type StrategyName = keyof typeof STRATEGIES;

function answerBy(q: Question, locale: Locale, strategy: Strategy, random: Random): Answer {
  const choice = strategy(q.options, locale, q.kind === "multiple", random);
  return q.followUp ? { choice, followUp: strategy(q.followUp.options, locale, false, random) } : { choice };
}

/** A small, seeded generator (mulberry32): the same seed gives the same draws on every machine. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return (max) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * max);
  };
}

export interface CueReport {
  locale: Locale;
  /** Single-answer questions (single and scenario) in the pool. */
  singleAnswer: number;
  /** Of those, how many have the strictly longest option as the correct one. */
  longestCorrect: number;
  /** Share of seeded draws each strategy passes. */
  passRate: Record<StrategyName, number>;
}

const strictlyLongest = (options: readonly Option[], locale: Locale) => {
  const correct = options.find((o) => o.correct)!;
  const length = correct.text[locale]!.length;
  return options.every((o) => o === correct || o.text[locale]!.length < length);
};

/** The cues of one module's final-quiz pool in one language, over `draws` seeded attempts. */
export function measureCues(
  pool: readonly Question[],
  settings: { questions: number; passMark: number },
  locale: Locale,
  draws = 400,
): CueReport {
  const single = pool.filter((q) => q.kind === "single" || q.kind === "scenario");
  const longestCorrect = single.filter((q) => strictlyLongest(q.options, locale)).length;
  const passRate = {} as Record<StrategyName, number>;
  for (const [name, strategy] of Object.entries(STRATEGIES) as [StrategyName, Strategy][]) {
    let passed = 0;
    for (let seed = 1; seed <= draws; seed++) {
      const random = seededRandom(seed);
      const drawn = draw(pool, settings.questions, random);
      const right = drawn.filter((q) => isCorrect(q as StoredQuestion, answerBy(q, locale, strategy, random))).length;
      if (Math.floor((right * 100) / drawn.length) >= settings.passMark) passed++;
    }
    passRate[name] = passed / draws;
  }
  return { locale, singleAnswer: single.length, longestCorrect, passRate };
}

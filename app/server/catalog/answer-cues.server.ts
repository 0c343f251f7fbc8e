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

/** How a strategy scores an option: it picks the option that scores highest. */
type Score = (option: Option, locale: Locale) => number;

export const STRATEGIES = {
  /** Picks the longest option; in a "choose all" question, every option longer than the average. */
  longest: (o, locale) => o.text[locale]!.length,
  /** Picks the option with the most hedging words. */
  hedged: (o, locale) => hedgeCount(o.text[locale]!, locale),
} satisfies Record<string, Score>;
export type StrategyName = keyof typeof STRATEGIES;

/** One step's options with a strategy's scores, worked out once for all the draws. */
interface Scored {
  ids: string[];
  scores: number[];
}

/** The strategy's answer to one step; ties are broken at random. */
function pick({ ids, scores }: Scored, multiple: boolean, random: Random): string[] {
  if (multiple) {
    const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
    const above = ids.filter((_, i) => scores[i]! > mean);
    if (above.length > 0) return above;
  }
  const best = Math.max(...scores);
  const tied = ids.filter((_, i) => scores[i] === best);
  return [tied[random(tied.length)]!];
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
  for (const [name, score] of Object.entries(STRATEGIES) as [StrategyName, Score][]) {
    const scored = (options: readonly Option[]): Scored => ({
      ids: options.map((o) => o.id),
      scores: options.map((o) => score(o, locale)),
    });
    const steps = new Map(
      pool.map((q) => [q, { first: scored(q.options), followUp: q.followUp && scored(q.followUp.options) }]),
    );
    const answer = (q: Question, random: Random): Answer => {
      const { first, followUp } = steps.get(q)!;
      const choice = pick(first, q.kind === "multiple", random);
      return followUp ? { choice, followUp: pick(followUp, false, random) } : { choice };
    };
    let passed = 0;
    for (let seed = 1; seed <= draws; seed++) {
      const random = seededRandom(seed);
      const drawn = draw(pool, settings.questions, random);
      const right = drawn.filter((q) => isCorrect(q as StoredQuestion, answer(q, random))).length;
      if (Math.floor((right * 100) / drawn.length) >= settings.passMark) passed++;
    }
    passRate[name] = passed / draws;
  }
  return { locale, singleAnswer: single.length, longestCorrect, passRate };
}

// Reads modules/ and checks all of it, reporting every problem at once with its file and field,
// so that an author fixes everything in one pass. Nothing here touches the database.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import {
  Catalog,
  JAPANESE_GAP,
  Misconceptions,
  ModuleMeta,
  Quiz,
  Recommendations,
  Terms,
  type Option,
  type Question,
} from "./content-schema.server";
import { CUE_LIMITS, measureCues, type CueReport } from "./answer-cues.server";

export interface ContentProblem {
  file: string;
  field: string;
  message: string;
}

export interface LoadedModule {
  meta: ModuleMeta;
  quiz: Quiz;
  /** Lesson id → Markdown per locale. */
  lessons: Record<string, { en: string; ja?: string }>;
  /** Changes whenever anything in the module's folder changes. */
  hash: string;
}

export interface Content {
  catalog: z.infer<typeof Catalog>;
  recommendations: z.infer<typeof Recommendations>;
  misconceptions: z.infer<typeof Misconceptions>;
  modules: LoadedModule[];
  /** Changes whenever anything in modules/ changes. */
  hash: string;
}

export interface CheckResult {
  /** Null when any problem was found: content with problems is never synced. */
  content: Content | null;
  problems: ContentProblem[];
  warnings: ContentProblem[];
  /** Recommendation id → slugs of the modules that address it. */
  coverage: Map<string, string[]>;
  recommendations: z.infer<typeof Recommendations>;
  /** Module slug → how much its final-quiz pool gives away, per language. */
  cues: Map<string, CueReport[]>;
}

// A pool at least 2.5 times the draw, so that two attempts share few questions; each objective
// with a few questions of its own, so that the one drawn for it varies.
export const QUIZ_RULES = { pretest: 5, minPool: 12, minScenarios: 4, poolPerDraw: 2.5, perObjective: 3 };
const WORDS = { min: 500, max: 1400 };

const LINK = /\]\((lesson|source):([^)\s]+)\)/g;

export function checkContent(root: string): CheckResult {
  const problems: ContentProblem[] = [];
  const warnings: ContentProblem[] = [];
  const problem = (file: string, field: string, message: string) => problems.push({ file, field, message });

  const readYaml = <S extends z.ZodType>(file: string, schema: S) => readYamlFile(root, file, schema, problem);

  const misconceptions = readYaml("misconceptions.yaml", Misconceptions);
  const recommendations = readYaml("recommendations.yaml", Recommendations);
  const catalog = readYaml("catalog.yaml", Catalog);
  const terms = readYaml("terms.yaml", Terms);
  const retired = terms ? new RetiredTerms(terms, problem) : null;
  const tags = new Set(misconceptions?.map((m) => m.id) ?? []);
  const recIds = new Set<string>();
  for (const [i, r] of (recommendations ?? []).entries()) {
    if (recIds.has(r.id)) problem("recommendations.yaml", `[${i}].id`, `duplicate id ${r.id}`);
    recIds.add(r.id);
  }
  for (const [i, m] of (misconceptions ?? []).entries()) {
    if ((misconceptions ?? []).findIndex((x) => x.id === m.id) !== i)
      problem("misconceptions.yaml", `[${i}].id`, `duplicate id ${m.id}`);
  }

  const modules: LoadedModule[] = [];
  const cues = new Map<string, CueReport[]>();
  // Coverage counts every module whose module.yaml reads, even when its quiz or lessons have problems.
  const metas: ModuleMeta[] = [];
  let unreadableMeta = false;
  const folders = readdirSync(root)
    .filter((name) => statSync(path.join(root, name)).isDirectory())
    .sort();
  for (const folder of folders) {
    const { meta, loaded } = checkModule(root, folder, {
      tags,
      recIds: recommendations ? recIds : null,
      problem,
      warn: (f, field, m) => warnings.push({ file: f, field, message: m }),
      cues,
      retired,
    });
    if (meta) metas.push(meta);
    else unreadableMeta = true;
    if (loaded) modules.push(loaded);
  }

  const bySlug = new Set(folders);
  const courseSlugs = new Set<string>();
  for (const [i, course] of (catalog ?? []).entries()) {
    if (courseSlugs.has(course.slug)) problem("catalog.yaml", `[${i}].slug`, `duplicate course ${course.slug}`);
    courseSlugs.add(course.slug);
    if (halfWidthColonInJapanese(course.title.ja))
      problem("catalog.yaml", `[${i}].title.ja`, "a Japanese title uses the full-width colon「：」, not ':'");
    for (const [field] of unexpandedAbbreviations(course)) problem("catalog.yaml", `[${i}].${field}`, CSEC_MESSAGE);
    course.modules.forEach((m, j) => {
      if (!bySlug.has(m))
        problem("catalog.yaml", `[${i}].modules[${j}]`, `unknown module ${m} in course ${course.slug}`);
      if (course.modules.indexOf(m) !== j)
        problem("catalog.yaml", `[${i}].modules[${j}]`, `module ${m} is listed twice in course ${course.slug}`);
    });
  }
  for (const [i, a] of retired?.unusedAllows() ?? [])
    warnings.push({
      file: "terms.yaml",
      field: `allow[${i}]`,
      message: `allows ${a.retired} in ${a.file}, but no line or field there quotes "${a.quote}" with it`,
    });

  const inCourses = new Set((catalog ?? []).flatMap((c) => c.modules));
  for (const m of modules)
    if (!inCourses.has(m.meta.slug))
      warnings.push({ file: "catalog.yaml", field: "-", message: `module ${m.meta.slug} is in no course` });

  const coverage = new Map<string, string[]>();
  for (const r of recommendations ?? []) coverage.set(r.id, []);
  for (const m of metas) for (const r of m.recommendations) coverage.get(r)?.push(m.slug);
  for (const [i, r] of (recommendations ?? []).entries()) {
    // With a module.yaml that could not be read, coverage is unknown: its own problem says why.
    if (r.trainable && !unreadableMeta && (coverage.get(r.id) ?? []).length === 0) {
      problem(
        "recommendations.yaml",
        `[${i}]`,
        `recommendation ${r.id} can be addressed by training but no module addresses it`,
      );
    }
  }

  const complete = problems.length === 0 && catalog && recommendations && misconceptions;
  const content: Content | null = complete
    ? {
        catalog,
        recommendations,
        misconceptions,
        modules,
        hash: sha256(JSON.stringify([catalog, recommendations, misconceptions, modules.map((m) => m.hash)])),
      }
    : null;
  return { content, problems, warnings, coverage, recommendations: recommendations ?? [], cues };
}

// "CSEC" means nothing to most readers: a title or summary that uses it spells it out first.
const CSEC_EXPANDED = {
  en: /commercial sexual exploitation of children \(CSEC\)/i,
  ja: /子どもの商業的性的搾取（CSEC）/,
} as const;
const CSEC_MESSAGE =
  "spell out CSEC where a title or summary first uses it: 'commercial sexual exploitation of children (CSEC)' / 「子どもの商業的性的搾取（CSEC）」";

function unexpandedAbbreviations(item: {
  title: { en: string; ja?: string | undefined };
  summary: { en: string; ja?: string | undefined };
}): [string, string][] {
  const found: [string, string][] = [];
  for (const part of ["title", "summary"] as const) {
    for (const locale of ["en", "ja"] as const) {
      const text = item[part][locale];
      if (!text) continue;
      const first = text.indexOf("CSEC");
      const expanded = CSEC_EXPANDED[locale].exec(text);
      // The expansion must come first: its own "(CSEC)" is then the first use.
      if (first >= 0 && (!expanded || expanded.index + expanded[0].indexOf("CSEC") !== first))
        found.push([`${part}.${locale}`, text]);
    }
  }
  return found;
}

/** One kind of colon per language: a half-width ':' beside Japanese text is a slip. */
function halfWidthColonInJapanese(text: string | undefined): boolean {
  return text !== undefined && /[^\x00-\x7f]\s*:|:\s*[^\x00-\x7f]/.test(text);
}

interface ModuleContext {
  tags: Set<string>;
  recIds: Set<string> | null;
  problem: (file: string, field: string, message: string) => void;
  warn: (file: string, field: string, message: string) => void;
  cues: Map<string, CueReport[]>;
  /** Null when terms.yaml could not be read: its own problem says why. */
  retired: RetiredTerms | null;
}

function checkModule(
  root: string,
  folder: string,
  ctx: ModuleContext,
): { meta: ModuleMeta | null; loaded: LoadedModule | null } {
  const { problem } = ctx;
  const metaFile = `${folder}/module.yaml`;
  const quizFile = `${folder}/quiz.yaml`;
  const read = <S extends z.ZodType>(file: string, schema: S) => readYamlFile(root, file, schema, problem);
  const meta = read(metaFile, ModuleMeta);
  const quiz = read(quizFile, Quiz);
  if (!meta) return { meta: null, loaded: null };

  if (meta.slug !== folder) problem(metaFile, "slug", `slug ${meta.slug} does not match its folder ${folder}`);
  for (const [field, title] of [
    ["title.ja", meta.title.ja],
    ...meta.lessons.map((l, i) => [`lessons[${i}].title.ja`, l.title.ja] as const),
  ] as const) {
    if (halfWidthColonInJapanese(title))
      problem(metaFile, field, "a Japanese title uses the full-width colon「：」, not ':'");
  }
  for (const [field] of unexpandedAbbreviations(meta)) problem(metaFile, field, CSEC_MESSAGE);
  if (ctx.recIds) {
    meta.recommendations.forEach((r, i) => {
      if (!ctx.recIds!.has(r)) problem(metaFile, `recommendations[${i}]`, `unknown recommendation ${r}`);
    });
  }
  ctx.retired?.scanLocalised(metaFile, meta);
  if (quiz) ctx.retired?.scanLocalised(quizFile, quiz);
  const bilingual = meta.locales.includes("ja");
  if (bilingual)
    for (const field of missingJapanese(meta))
      problem(metaFile, field, "Japanese text is missing (the module lists ja in locales)");
  if (quiz && bilingual)
    for (const field of missingJapanese(quiz))
      problem(quizFile, field, "Japanese text is missing (the module lists ja in locales)");

  const sourceIds = new Set<string>();
  meta.sources.forEach((s, i) => {
    if (sourceIds.has(s.id)) problem(metaFile, `sources[${i}].id`, `duplicate source ${s.id}`);
    sourceIds.add(s.id);
  });
  const lessonIds = new Set<string>();
  meta.lessons.forEach((l, i) => {
    if (lessonIds.has(l.id)) problem(metaFile, `lessons[${i}].id`, `duplicate lesson ${l.id}`);
    lessonIds.add(l.id);
  });

  const lessons: LoadedModule["lessons"] = {};
  const cited = new Set<string>();
  for (const [i, lesson] of meta.lessons.entries()) {
    // A duplicate id is its own problem, above; its files are the first lesson's.
    if (meta.lessons.findIndex((l) => l.id === lesson.id) !== i) continue;
    const texts: { en?: string; ja?: string } = {};
    for (const locale of meta.locales) {
      const file = `${folder}/lessons/${lesson.id}.${locale}.md`;
      const full = path.join(root, file);
      if (!existsSync(full)) {
        problem(file, "-", "lesson file is missing");
        continue;
      }
      const markdown = readFileSync(full, "utf8");
      texts[locale] = markdown;
      const heading = markdown.split("\n", 1)[0]!;
      if (!/^# \S/.test(markdown)) problem(file, "line 1", "a lesson starts with '# ' and its title");
      else if (lesson.title[locale] !== undefined && heading !== `# ${lesson.title[locale]}`)
        problem(
          file,
          "line 1",
          `the heading "${heading.slice(2)}" does not match the title in module.yaml, "${lesson.title[locale]}"`,
        );
      markdown.split("\n").forEach((line, i) => ctx.retired?.scan(file, `line ${i + 1}`, locale, line));
      for (const [, kind, target] of markdown.matchAll(LINK)) {
        if (kind === "lesson" && !lessonIds.has(target!)) problem(file, "-", `broken link to lesson ${target}`);
        if (kind === "source") {
          cited.add(target!);
          if (!sourceIds.has(target!)) problem(file, "-", `link to unknown source ${target}`);
        }
      }
      if (locale === "ja") {
        // Markdown joins a paragraph's lines with a line break, which shows as a space in Japanese.
        const lines = markdown.split("\n");
        lines.forEach((line, i) => {
          if (i > 0 && JAPANESE_GAP.test(`${lines[i - 1]!.slice(-1)}\n${line.slice(0, 1)}`)) {
            problem(
              file,
              `line ${i + 1}`,
              "a Japanese paragraph is broken across lines: write each paragraph on one line",
            );
          }
        });
      }
      if (locale === "en") {
        const words = markdown.split(/\s+/).filter(Boolean).length;
        if (words < WORDS.min || words > WORDS.max) ctx.warn(file, "-", `${words} words (lessons are about 600-1200)`);
      }
    }
    if (texts.en !== undefined)
      lessons[lesson.id] = { en: texts.en, ...(texts.ja !== undefined ? { ja: texts.ja } : {}) };
  }
  for (const s of sourceIds) if (!cited.has(s)) ctx.warn(metaFile, "sources", `source ${s} is never cited in a lesson`);

  if (quiz) checkQuiz(quiz, meta, quizFile, lessonIds, ctx);
  if (!quiz || Object.keys(lessons).length !== meta.lessons.length) return { meta, loaded: null };
  return { meta, loaded: { meta, quiz, lessons, hash: sha256(JSON.stringify([meta, quiz, lessons])) } };
}

function checkQuiz(
  quiz: Quiz,
  meta: ModuleMeta,
  file: string,
  lessonIds: Set<string>,
  { tags, problem, cues }: ModuleContext,
) {
  if (quiz.pretest.length !== QUIZ_RULES.pretest)
    problem(file, "pretest", `the pre-test has ${quiz.pretest.length} questions; it must have ${QUIZ_RULES.pretest}`);
  if (quiz.pool.length < QUIZ_RULES.minPool)
    problem(file, "pool", `the pool has ${quiz.pool.length} questions; it needs at least ${QUIZ_RULES.minPool}`);
  const scenarios = quiz.pool.filter((q) => q.kind === "scenario").length;
  if (scenarios < QUIZ_RULES.minScenarios)
    problem(file, "pool", `the pool has ${scenarios} scenarios; it needs at least ${QUIZ_RULES.minScenarios}`);
  if (meta.quiz.questions > quiz.pool.length)
    problem(
      `${meta.slug}/module.yaml`,
      "quiz.questions",
      `draws ${meta.quiz.questions} questions from a pool of ${quiz.pool.length}`,
    );

  const needed = Math.ceil(meta.quiz.questions * QUIZ_RULES.poolPerDraw);
  if (quiz.pool.length < needed)
    problem(
      file,
      "pool",
      `the pool has ${quiz.pool.length} questions; drawing ${meta.quiz.questions} needs at least ${needed} (${QUIZ_RULES.poolPerDraw}×)`,
    );
  checkObjectives(quiz, meta, file, lessonIds, problem);
  checkCues(quiz, meta, file, problem, cues);

  const seen = new Set<string>();
  const all: [string, Question][] = [
    ...quiz.pretest.map((q, i) => [`pretest[${i}]`, q] as [string, Question]),
    ...quiz.pool.map((q, i) => [`pool[${i}]`, q] as [string, Question]),
  ];
  for (const [at, q] of all) {
    if (seen.has(q.id)) problem(file, `${at}.id`, `duplicate question id ${q.id}`);
    seen.add(q.id);
    if (q.kind === "scenario" && !q.case) problem(file, `${at}.case`, "a scenario needs a case");
    if (q.kind !== "scenario" && q.case) problem(file, `${at}.case`, "only scenarios have a case");
    if (q.kind !== "scenario" && q.followUp) problem(file, `${at}.followUp`, "only scenarios have a follow-up step");
    checkOptions(q.kind, q.options, `${at}.options`, file, tags, problem);
    if (q.followUp) {
      checkOptions("single", q.followUp.options, `${at}.followUp.options`, file, tags, problem);
      const first = new Set(q.options.map((o) => o.id));
      q.followUp.after?.forEach((a, i) => {
        if (!first.has(a)) problem(file, `${at}.followUp.after[${i}]`, `${a} is not an option of the first step`);
      });
    }
  }
}

function checkObjectives(
  quiz: Quiz,
  meta: ModuleMeta,
  file: string,
  lessonIds: Set<string>,
  problem: ModuleContext["problem"],
) {
  const metaFile = `${meta.slug}/module.yaml`;
  const objectives = new Map(meta.objectives.map((o) => [o.id, 0]));
  if (objectives.size !== meta.objectives.length) problem(metaFile, "objectives", "objective ids must be unique");
  if (meta.objectives.length > meta.quiz.questions)
    problem(
      metaFile,
      "objectives",
      `${meta.objectives.length} objectives cannot each be tested by ${meta.quiz.questions} questions`,
    );
  quiz.pool.forEach((q, i) => {
    if (q.objective === undefined)
      problem(file, `pool[${i}].objective`, "a final-quiz question names the objective it tests");
    else if (!objectives.has(q.objective)) problem(file, `pool[${i}].objective`, `unknown objective ${q.objective}`);
    else objectives.set(q.objective, objectives.get(q.objective)! + 1);
    if (q.lesson === undefined)
      problem(file, `pool[${i}].lesson`, "a final-quiz question names the lesson that teaches it");
    else if (!lessonIds.has(q.lesson)) problem(file, `pool[${i}].lesson`, `unknown lesson ${q.lesson}`);
  });
  quiz.pretest.forEach((q, i) => {
    if (q.objective !== undefined || q.lesson !== undefined)
      problem(file, `pretest[${i}]`, "pre-test questions are not graded: they take no objective or lesson");
  });
  for (const [id, count] of objectives)
    if (count < QUIZ_RULES.perObjective)
      problem(file, "pool", `objective ${id} has ${count} questions; it needs at least ${QUIZ_RULES.perObjective}`);
}

function checkCues(
  quiz: Quiz,
  meta: ModuleMeta,
  file: string,
  problem: ModuleContext["problem"],
  cues: ModuleContext["cues"],
) {
  // Measured only on a complete pool: the measure reads every option in each language.
  if (meta.locales.includes("ja") && quiz.pool.some((q) => missingJapanese(q).length > 0)) return;
  const reports = meta.locales.map((locale) =>
    measureCues(quiz.pool, { ...meta.quiz, passMark: meta.passMark }, locale),
  );
  cues.set(meta.slug, reports);
  for (const r of reports) {
    if (r.longestCorrect > r.singleAnswer * CUE_LIMITS.longestCorrect)
      problem(
        file,
        `pool (${r.locale})`,
        `the correct option is the longest in ${r.longestCorrect} of ${r.singleAnswer} single-answer questions; at most ${CUE_LIMITS.longestCorrect * 100}% may be`,
      );
    for (const [name, rate] of Object.entries(r.passRate))
      if (rate > CUE_LIMITS.strategyPass)
        problem(
          file,
          `pool (${r.locale})`,
          `always picking the ${name === "longest" ? "longest" : "most hedged"} option passes ${(rate * 100).toFixed(1)}% of attempts; at most ${CUE_LIMITS.strategyPass * 100}% may`,
        );
  }
}

function checkOptions(
  kind: Question["kind"],
  options: Option[],
  at: string,
  file: string,
  tags: Set<string>,
  problem: ModuleContext["problem"],
) {
  const ids = new Set<string>();
  options.forEach((o, i) => {
    if (ids.has(o.id)) problem(file, `${at}[${i}].id`, `duplicate option id ${o.id}`);
    ids.add(o.id);
    if (!o.correct && !o.misconception)
      problem(file, `${at}[${i}].misconception`, "a wrong option needs a misconception tag");
    if (o.correct && o.misconception)
      problem(file, `${at}[${i}].misconception`, "a correct option has no misconception tag");
    if (o.misconception && !tags.has(o.misconception))
      problem(file, `${at}[${i}].misconception`, `unknown misconception tag ${o.misconception}`);
  });
  const correct = options.filter((o) => o.correct).length;
  if (kind === "multiple") {
    if (correct === 0) problem(file, at, "a multiple-choice question needs at least one correct option");
    if (correct === options.length) problem(file, at, "a multiple-choice question needs at least one wrong option");
  } else if (correct !== 1) {
    problem(file, at, `the answer must be exactly one of the options; ${correct} are marked correct`);
  }
  if (kind === "true_false" && [...ids].sort().join() !== "false,true")
    problem(file, at, "a true/false question has exactly the options true and false");
}

/**
 * The retired variants of modules/terms.yaml (docs/glossary.md): every occurrence in a text is a
 * problem naming the variant found and the term to use, unless it stands in one of the term's
 * `except` phrases, inside brackets where the term allows that, or in a line or field that an
 * `allow` entry names as a deliberate quotation.
 */
class RetiredTerms {
  private readonly rules: {
    retired: string;
    use: string;
    note: string;
    locale?: "en" | "ja";
    regex: RegExp;
    except: string[];
    bracketed: boolean;
  }[];
  private readonly allow: Terms["allow"];
  private readonly used = new Set<number>();

  constructor(
    terms: Terms,
    private readonly problem: ModuleContext["problem"],
  ) {
    this.rules = terms.terms.map((t) => ({
      retired: t.retired,
      use: t.use,
      note: t.note,
      locale: t.locale,
      regex: new RegExp(t.pattern ?? escapeRegExp(t.retired), "giu"),
      except: t.except ?? [],
      bracketed: t.bracketed === "allowed",
    }));
    this.allow = terms.allow;
    const known = new Set(this.rules.map((r) => r.retired));
    terms.allow.forEach((a, i) => {
      if (!known.has(a.retired)) problem("terms.yaml", `allow[${i}].retired`, `${a.retired} is not a retired term`);
    });
  }

  /** One text of one locale: a lesson line or a localised field. */
  scan(file: string, field: string, locale: "en" | "ja", text: string) {
    for (const rule of this.rules) {
      if (rule.locale && rule.locale !== locale) continue;
      for (const m of text.matchAll(rule.regex)) {
        const start = m.index;
        const end = start + m[0].length;
        if (rule.except.some((phrase) => covers(text, phrase, start, end))) continue;
        if (rule.bracketed && bracketDepth(text, start) > 0) continue;
        const allowed = this.allow.findIndex(
          (a) => a.file === file && a.retired === rule.retired && text.includes(a.quote),
        );
        if (allowed >= 0) {
          this.used.add(allowed);
          continue;
        }
        this.problem(file, field, `"${m[0]}" is retired: use ${rule.use} (${rule.note})`);
      }
    }
  }

  /** Every localised text of a parsed module.yaml or quiz.yaml. */
  scanLocalised(file: string, value: unknown) {
    for (const [field, locale, text] of localisedTexts(value)) this.scan(file, field, locale, text);
  }

  /** Allow entries that excused nothing: the quotation has gone, or the entry names the wrong file. */
  unusedAllows(): [number, Terms["allow"][number]][] {
    return this.allow.flatMap((a, i) => (this.used.has(i) ? [] : [[i, a] as [number, typeof a]]));
  }
}

/** Whether an occurrence of `phrase` in `text` spans the range start..end. */
function covers(text: string, phrase: string, start: number, end: number): boolean {
  for (let at = text.indexOf(phrase); at >= 0; at = text.indexOf(phrase, at + 1))
    if (at <= start && at + phrase.length >= end) return true;
  return false;
}

/** How many brackets, （ or (, are open at a position of a text. */
function bracketDepth(text: string, position: number): number {
  let depth = 0;
  for (const ch of text.slice(0, position)) {
    if (ch === "（" || ch === "(") depth++;
    else if ((ch === "）" || ch === ")") && depth > 0) depth--;
  }
  return depth;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Every localised text ({ en, ja? }) in a value, with its field and locale. */
function localisedTexts(value: unknown, at = ""): [string, "en" | "ja", string][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => localisedTexts(v, `${at}[${i}]`));
  if (typeof value !== "object" || value === null) return [];
  const obj = value as Record<string, unknown>;
  if (typeof obj.en === "string" && Object.keys(obj).every((k) => k === "en" || k === "ja"))
    return (["en", "ja"] as const).flatMap((l) =>
      typeof obj[l] === "string" ? [[at ? `${at}.${l}` : l, l, obj[l]] as [string, "en" | "ja", string]] : [],
    );
  return Object.entries(obj).flatMap(([k, v]) => localisedTexts(v, at ? `${at}.${k}` : k));
}

/** Every localised text ({ en, ja? }) in a value that lacks its Japanese. */
function missingJapanese(value: unknown, at = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => missingJapanese(v, `${at}[${i}]`));
  if (typeof value !== "object" || value === null) return [];
  const obj = value as Record<string, unknown>;
  if (typeof obj.en === "string" && Object.keys(obj).every((k) => k === "en" || k === "ja"))
    return obj.ja ? [] : [at || "-"];
  return Object.entries(obj).flatMap(([k, v]) => missingJapanese(v, at ? `${at}.${k}` : k));
}

/** Parses one YAML file against its schema; every problem is reported with file and field. */
function readYamlFile<S extends z.ZodType>(
  root: string,
  file: string,
  schema: S,
  problem: (file: string, field: string, message: string) => void,
): z.infer<S> | null {
  const full = path.join(root, file);
  if (!existsSync(full)) {
    problem(file, "-", "file is missing");
    return null;
  }
  const doc = parseDocument(readFileSync(full, "utf8"), { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors)
      problem(file, e.linePos ? `line ${e.linePos[0].line}` : "-", `invalid YAML: ${e.message.split("\n")[0]}`);
    return null;
  }
  const parsed = schema.safeParse(doc.toJS());
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problem(file, fieldPath(issue.path) || "-", issue.message);
    return null;
  }
  return parsed.data;
}

function fieldPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>(
    (acc, part) => (typeof part === "number" ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)),
    "",
  );
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

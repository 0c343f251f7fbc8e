// The shape of the course content in modules/ (docs/content-format.md), as zod schemas. Shape
// only: cross-file rules (known ids, links, counts) are checked in content-check.ts.
import { z } from "zod";
import { PROFESSIONS } from "../../../db/schema";

const slug = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "must be lowercase letters, digits and single hyphens");
const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must be letters, digits, '.', '_' or '-'");
const text = z.string().trim().min(1, "must not be empty");

// Japanese is written without spaces between words: a space or line break between two Japanese
// characters is a slip, most often a folded YAML block (>-) turning line breaks into spaces.
const JAPANESE = "[\\u3000-\\u30ff\\u4e00-\\u9fff\\uff00-\\uffef]";
export const JAPANESE_GAP = new RegExp(`${JAPANESE}[ \\n]${JAPANESE}`);
const japanese = text.refine(
  (v) => !JAPANESE_GAP.test(v),
  "has a space or line break between Japanese characters: write the Japanese on one line",
);

/** A short text in both languages; English is required, Japanese where the module has a Japanese edition. */
export const Localised = z.strictObject({ en: text, ja: japanese.optional() });
export type Localised = z.infer<typeof Localised>;

export const Misconceptions = z
  .array(z.strictObject({ id: slug, label: z.strictObject({ en: text, ja: japanese }) }))
  .min(1);

export const Recommendations = z
  .array(
    z.strictObject({
      id: z.string().regex(/^R-[\d.]+-[a-z]$/, "must look like R-1.1.3-a"),
      section: z.string().regex(/^\d+(\.\d+)*$/, "must be a section number such as 2.1.3"),
      text,
      trainable: z.boolean(),
    }),
  )
  .min(1);

export const Catalog = z
  .array(
    z.strictObject({
      slug,
      title: Localised,
      summary: Localised,
      professions: z.array(z.enum(PROFESSIONS)).min(1),
      recertificationMonths: z.number().int().min(1).max(120),
      modules: z.array(slug).min(1),
    }),
  )
  .min(1);

const regExp = text.refine((p) => {
  try {
    new RegExp(p, "u");
    return true;
  } catch {
    return false;
  }
}, "is not a valid regular expression");

/**
 * modules/terms.yaml: the variants the course has retired (docs/glossary.md), which the check refuses
 * in every lesson and localised text, and the texts allowed to quote one in order to correct it.
 */
export const Terms = z.strictObject({
  terms: z
    .array(
      z.strictObject({
        retired: text,
        /** When the plain text would also match other words (客 inside 観客, say). */
        pattern: regExp.optional(),
        /** Phrases in which the variant is right, such as a statute's own wording. */
        except: z.array(text).optional(),
        /** The variant may stand inside brackets, （…） or (…), and nowhere else. */
        bracketed: z.literal("allowed").optional(),
        use: text,
        locale: z.enum(["en", "ja"]).optional(),
        note: text,
      }),
    )
    .min(1),
  allow: z.array(z.strictObject({ file: text, retired: text, quote: text, reason: text })).default([]),
});
export type Terms = z.infer<typeof Terms>;

export const Source = z.strictObject({
  id,
  title: text,
  year: z.number().int().min(1900).max(2100),
  detail: text,
  url: z.url().nullable().optional(),
});

export const Lesson = z.strictObject({
  id,
  title: Localised,
  minutes: z.number().int().min(1).max(240),
  contentNote: Localised.optional(),
});

export const ModuleMeta = z.strictObject({
  slug,
  version: z.number().int().min(1),
  locales: z
    .array(z.enum(["en", "ja"]))
    .min(1)
    .refine((l) => l.includes("en"), "must include en"),
  title: Localised,
  summary: Localised,
  professions: z.array(z.enum(PROFESSIONS)).min(1),
  minutes: z.number().int().min(5).max(1000),
  passMark: z.number().int().min(1).max(100),
  /** What the module teaches; every final-quiz attempt tests each of them at least once. */
  objectives: z
    .array(z.strictObject({ id, text: Localised }))
    .min(1)
    .max(6),
  quiz: z.strictObject({
    questions: z.number().int().min(1),
    maxAttempts: z.number().int().min(1).nullable(),
    /** Wait after a failed final attempt before the next one may start. */
    cooldownMinutes: z.number().int().min(0).default(60),
    /** Final attempts a person may start in one day (Japan time). */
    maxAttemptsPerDay: z.number().int().min(1).default(3),
    /** From this many failures on, the lessons covering missed questions must be read again first. */
    revisitAfterFailures: z.number().int().min(1).default(2),
    /** When a trainee sees the correct options: only once they have passed, or after every attempt. */
    review: z.enum(["after-pass", "always"]).default("after-pass"),
  }),
  recommendations: z.array(z.string()).min(1),
  sources: z.array(Source).min(1),
  lessons: z.array(Lesson).min(1),
});
export type ModuleMeta = z.infer<typeof ModuleMeta>;

export const Option = z.strictObject({
  id,
  text: Localised,
  correct: z.literal(true).optional(),
  feedback: Localised,
  misconception: slug.optional(),
});
export type Option = z.infer<typeof Option>;

export const Step = z.strictObject({ prompt: Localised, options: z.array(Option).min(2).max(6) });

export const Question = z.strictObject({
  id,
  kind: z.enum(["single", "multiple", "true_false", "scenario"]),
  /** Final-quiz questions: the learning objective tested (module.yaml objectives). */
  objective: id.optional(),
  /** Final-quiz questions: the lesson that teaches the answer, shown with the feedback. */
  lesson: id.optional(),
  case: Localised.optional(),
  prompt: Localised,
  options: z.array(Option).min(2).max(6),
  followUp: Step.extend({
    /** The first-step answers after which this step is shown; every answer when absent. */
    after: z.array(id).min(1).optional(),
  })
    .strict()
    .optional(),
});
export type Question = z.infer<typeof Question>;

export const Quiz = z.strictObject({ pretest: z.array(Question), pool: z.array(Question) });
export type Quiz = z.infer<typeof Quiz>;

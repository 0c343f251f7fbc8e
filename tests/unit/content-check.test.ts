// The content check against the sample content and against copies broken one way each: every
// broken copy must produce exactly the message that names its problem, with file and field.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkContent } from "../../app/server/catalog/content-check.server";
import { SAMPLE, sampleCopy } from "../support/content-fixture";

const MODULE = "sample-module/module.yaml";
const QUIZ = "sample-module/quiz.yaml";
const LESSON_JA = "sample-module/lessons/01-first.ja.md";

describe("content check", () => {
  it("accepts the sample content and the real modules/ folder", () => {
    const sample = checkContent(SAMPLE);
    expect(sample.problems).toEqual([]);
    expect(sample.content?.modules.map((m) => m.meta.slug)).toEqual(["sample-module"]);
    const real = checkContent(path.resolve(import.meta.dirname, "../../modules"));
    expect(real.problems).toEqual([]);
    expect(real.content!.modules.length).toBeGreaterThanOrEqual(11);
  });

  it("builds the coverage matrix of recommendations against modules", () => {
    const { coverage } = checkContent(SAMPLE);
    expect(Object.fromEntries(coverage)).toEqual({ "R-1.1-a": ["sample-module"], "R-1.2-a": [] });
  });

  const cases: {
    name: string;
    breakIt: (c: ReturnType<typeof sampleCopy>) => void;
    file: string;
    field: string;
    message: RegExp;
  }[] = [
    {
      name: "an unknown module in a course",
      breakIt: (c) => c.edit("catalog.yaml", "modules: [sample-module]", "modules: [sample-module, no-such-module]"),
      file: "catalog.yaml",
      field: "[0].modules[1]",
      message: /unknown module no-such-module in course sample-course/,
    },
    {
      name: "a question whose answer is not among its options",
      breakIt: (c) =>
        c.edit(
          QUIZ,
          /(- id: pre-1\n[\s\S]*?) {8}correct: true\n(.*\n)/,
          "$1$2        misconception: offender-framing\n",
        ),
      file: QUIZ,
      field: "pretest[0].options",
      message: /the answer must be exactly one of the options; 0 are marked correct/,
    },
    {
      name: "a missing feedback",
      breakIt: (c) => c.edit(QUIZ, /(- id: q-5\n[\s\S]*?) {8}feedback: \{ en: "Because b.", ja: "理由 b。" \}\n/, "$1"),
      file: QUIZ,
      field: "pool[4].options[1].feedback",
      message: /expected object, received undefined/,
    },
    {
      name: "a duplicate question id",
      breakIt: (c) => c.edit(QUIZ, "- id: q-2\n", "- id: q-1\n"),
      file: QUIZ,
      field: "pool[1].id",
      message: /duplicate question id q-1/,
    },
    {
      name: "an unknown misconception tag",
      breakIt: (c) => c.edit(QUIZ, /misconception: offender-framing/, "misconception: blames-the-moon"),
      file: QUIZ,
      field: "pretest[0].options[1].misconception",
      message: /unknown misconception tag blames-the-moon/,
    },
    {
      name: "a wrong option without a misconception tag",
      breakIt: (c) => c.edit(QUIZ, /\n {8}misconception: offender-framing/, ""),
      file: QUIZ,
      field: "pretest[0].options[1].misconception",
      message: /a wrong option needs a misconception tag/,
    },
    {
      name: "a broken link between lessons",
      breakIt: (c) => c.edit("sample-module/lessons/01-first.en.md", "lesson:02-second", "lesson:03-missing"),
      file: "sample-module/lessons/01-first.en.md",
      field: "-",
      message: /broken link to lesson 03-missing/,
    },
    {
      name: "a link to a source the module does not list",
      breakIt: (c) => c.edit("sample-module/lessons/02-second.en.md", "source:report", "source:rumour"),
      file: "sample-module/lessons/02-second.en.md",
      field: "-",
      message: /link to unknown source rumour/,
    },
    {
      name: "an unknown recommendation",
      breakIt: (c) => c.edit(MODULE, "recommendations: [R-1.1-a]", "recommendations: [R-1.1-a, R-9.9-z]"),
      file: MODULE,
      field: "recommendations[1]",
      message: /unknown recommendation R-9.9-z/,
    },
    {
      name: "a trainable recommendation no module addresses",
      breakIt: (c) => c.edit("recommendations.yaml", "trainable: false", "trainable: true"),
      file: "recommendations.yaml",
      field: "[1]",
      message: /R-1.2-a can be addressed by training but no module addresses it/,
    },
    {
      name: "a missing lesson file",
      breakIt: (c) => c.remove("sample-module/lessons/02-second.ja.md"),
      file: "sample-module/lessons/02-second.ja.md",
      field: "-",
      message: /lesson file is missing/,
    },
    {
      name: "a missing Japanese text in a bilingual module",
      breakIt: (c) =>
        c.edit(QUIZ, 'prompt: { en: "Question q-3?", ja: "質問 q-3?" }', 'prompt: { en: "Question q-3?" }'),
      file: QUIZ,
      field: "pool[2].prompt",
      message: /Japanese text is missing/,
    },
    {
      name: "malformed YAML",
      breakIt: (c) => c.edit(MODULE, "minutes: 30\n", "minutes: [30\n"),
      file: MODULE,
      field: "line 8",
      message: /invalid YAML/,
    },
    {
      name: "a duplicate key in YAML",
      breakIt: (c) => c.edit(MODULE, "minutes: 30\n", "minutes: 30\nminutes: 40\n"),
      file: MODULE,
      field: "line 8",
      message: /invalid YAML: Map keys must be unique/,
    },
    {
      name: "a slug that does not match its folder",
      breakIt: (c) => c.edit(MODULE, "slug: sample-module", "slug: other-module"),
      file: MODULE,
      field: "slug",
      message: /slug other-module does not match its folder sample-module/,
    },
    {
      name: "a duplicate lesson id",
      breakIt: (c) => c.edit(MODULE, /$/, '  - id: 01-first\n    title: { en: "Again", ja: "再び" }\n    minutes: 5\n'),
      file: MODULE,
      field: "lessons[2].id",
      message: /duplicate lesson 01-first/,
    },
    {
      name: "a pre-test that is not 5 questions",
      breakIt: (c) => c.edit(QUIZ, / {2}- id: pre-5[\s\S]*?(?=pool:)/, ""),
      file: QUIZ,
      field: "pretest",
      message: /the pre-test has 4 questions; it must have 5/,
    },
    {
      name: "a pool with too few scenarios",
      breakIt: (c) =>
        c.edit(
          QUIZ,
          /(- id: q-4\n {4})kind: scenario\n((?: {4}(?:objective|lesson): \S+\n)*) {4}case: \{[^\n]*\n/,
          "$1kind: single\n$2",
        ),
      file: QUIZ,
      field: "pool",
      message: /the pool has 3 scenarios; it needs at least 4/,
    },
    {
      name: "a true/false question with other options",
      breakIt: (c) => c.edit(QUIZ, /(- id: pre-3\n[\s\S]*?)- id: "false"/, '$1- id: "maybe"'),
      file: QUIZ,
      field: "pretest[2].options",
      message: /exactly the options true and false/,
    },
    {
      name: "a missing file",
      breakIt: (c) => c.remove(QUIZ),
      file: QUIZ,
      field: "-",
      message: /file is missing/,
    },
    {
      name: "Japanese text folded across lines by a >- block, which leaves spaces between its characters",
      breakIt: (c) =>
        c.edit(
          MODULE,
          'summary: { en: "A module for the tests.", ja: "テスト用のモジュール。" }',
          'summary:\n  en: "A module for the tests."\n  ja: >-\n    テスト用の\n    モジュール。',
        ),
      file: MODULE,
      field: "summary.ja",
      message: /space or line break between Japanese characters/,
    },
    {
      name: "a Japanese lesson paragraph broken across lines",
      breakIt: (c) => c.edit("sample-module/lessons/01-first.ja.md", "本文です。", "本文\nです。"),
      file: "sample-module/lessons/01-first.ja.md",
      field: "line 6",
      message: /a Japanese paragraph is broken across lines/,
    },
    {
      name: "a pool smaller than 2.5 times the questions drawn",
      breakIt: (c) => c.edit(MODULE, "questions: 4,", "questions: 5,"),
      file: QUIZ,
      field: "pool",
      message: /the pool has 12 questions; drawing 5 needs at least 13/,
    },
    {
      name: "a final-quiz question testing an objective the module does not have",
      breakIt: (c) => c.edit(QUIZ, "objective: o1", "objective: o9"),
      file: QUIZ,
      field: "pool[0].objective",
      message: /unknown objective o9/,
    },
    {
      name: "a final-quiz question that does not say which lesson teaches it",
      breakIt: (c) => c.edit(QUIZ, /\n {4}lesson: 01-first/, ""),
      file: QUIZ,
      field: "pool[0].lesson",
      message: /names the lesson that teaches it/,
    },
    {
      name: "a lesson heading that differs from the lesson's title in module.yaml",
      breakIt: (c) => c.edit("sample-module/lessons/02-second.en.md", "# Second lesson", "# The second lesson"),
      file: "sample-module/lessons/02-second.en.md",
      field: "line 1",
      message: /the heading "The second lesson" does not match the title in module.yaml, "Second lesson"/,
    },
    {
      name: "a retired term in a Japanese lesson",
      breakIt: (c) => c.edit(LESSON_JA, "本文です。", "出会いカフェで見つかった子どもの本文です。"),
      file: LESSON_JA,
      field: "line 5",
      message: /"出会いカフェ" is retired: use 出会い系喫茶/,
    },
    {
      name: "a retired English term in a quiz text",
      breakIt: (c) =>
        c.edit(QUIZ, 'prompt: { en: "Question q-3?"', 'prompt: { en: "Question q-3 about the Customers?"'),
      file: QUIZ,
      field: "pool[2].prompt.en",
      message: /"Customers" is retired: use buyer\(s\), adult men/,
    },
    {
      name: "客 for the adults who buy, in a text of module.yaml",
      breakIt: (c) => c.edit(MODULE, 'ja: "テスト用のモジュール。"', 'ja: "客が子どもに金銭を払う場面のモジュール。"'),
      file: MODULE,
      field: "summary.ja",
      message: /"客" is retired: use 買春者、大人の男性/,
    },
    {
      name: "a term allowed only in brackets, outside them",
      breakIt: (c) => c.edit(LESSON_JA, "本文です。", "協同面接（代表者聴取）の本文です。"),
      file: LESSON_JA,
      field: "line 5",
      message: /"協同面接" is retired: use 代表者聴取/,
    },
    {
      name: "an invalid pattern in terms.yaml",
      breakIt: (c) => c.edit("terms.yaml", "pattern: \\bcustomers?\\b", "pattern: \\bcustomers?(\\b"),
      file: "terms.yaml",
      field: "terms[2].pattern",
      message: /is not a valid regular expression/,
    },
    {
      name: "an allowed quotation of a term that is not retired",
      breakIt: (c) =>
        c.edit(
          "terms.yaml",
          "allow: []",
          `allow:\n  - { file: ${LESSON_JA}, retired: 出会い喫茶, quote: 本文, reason: "a test" }`,
        ),
      file: "terms.yaml",
      field: "allow[0].retired",
      message: /出会い喫茶 is not a retired term/,
    },
    {
      name: "an objective too few questions test",
      breakIt: (c) => c.edit(MODULE, "quiz: {", '  - id: o3\n    text: { en: "Untested", ja: "未出題" }\nquiz: {'),
      file: QUIZ,
      field: "pool",
      message: /objective o3 has 0 questions; it needs at least 3/,
    },
    {
      name: "a half-width colon in a Japanese course title",
      breakIt: (c) => c.edit("catalog.yaml", 'ja: "サンプルコース"', 'ja: "サンプルコース:入門"'),
      file: "catalog.yaml",
      field: "[0].title.ja",
      message: /full-width colon/,
    },
    {
      name: "CSEC in a title, not spelled out",
      breakIt: (c) => c.edit(MODULE, 'en: "Sample module"', 'en: "Sample module on CSEC"'),
      file: MODULE,
      field: "title.en",
      message: /spell out CSEC/,
    },
    {
      name: "a half-width colon in a Japanese module title",
      breakIt: (c) => c.edit(MODULE, 'ja: "サンプルモジュール"', 'ja: "サンプル:モジュール"'),
      file: MODULE,
      field: "title.ja",
      message: /full-width colon/,
    },
  ];

  for (const c of cases) {
    it(`names ${c.name}`, () => {
      const copy = sampleCopy();
      c.breakIt(copy);
      const result = checkContent(copy.dir);
      expect(result.content).toBeNull();
      expect(result.problems, JSON.stringify(result.problems, null, 1)).toHaveLength(1);
      expect(result.problems[0]).toMatchObject({ file: c.file, field: c.field });
      expect(result.problems[0]!.message).toMatch(c.message);
    });
  }

  it("accepts a retired term inside another word, in a listed exception, inside brackets or in the other language", () => {
    const copy = sampleCopy();
    copy.edit(LESSON_JA, "本文です。", "観客、客観、乗客、客の接待、代表者聴取（協同面接）、(協同面接) の本文です。");
    copy.edit(
      "sample-module/lessons/01-first.en.md",
      "# First lesson\n",
      "# First lesson\n\n客 and 出会いカフェ, customs.\n",
    );
    const result = checkContent(copy.dir);
    expect(result.problems).toEqual([]);
  });

  it("accepts a deliberate quotation that terms.yaml allows, and warns about an allowance nothing uses", () => {
    const copy = sampleCopy();
    copy.edit(LESSON_JA, "本文です。", "「出会いカフェ」ではなく出会い系喫茶と書きます。");
    copy.edit(
      "terms.yaml",
      "allow: []",
      [
        "allow:",
        `  - { file: ${LESSON_JA}, retired: 出会いカフェ, quote: 「出会いカフェ」ではなく, reason: "quoted to correct it" }`,
        `  - { file: ${QUIZ}, retired: customer, quote: the customer, reason: "quoted to correct it" }`,
      ].join("\n"),
    );
    const result = checkContent(copy.dir);
    expect(result.problems).toEqual([]);
    expect(result.warnings).toContainEqual({
      file: "terms.yaml",
      field: "allow[1]",
      message: `allows customer in ${QUIZ}, but no line or field there quotes "the customer" with it`,
    });
    copy.edit(LESSON_JA, "「出会いカフェ」ではなく", "出会いカフェではなく");
    expect(checkContent(copy.dir).problems).toMatchObject([{ file: LESSON_JA, field: "line 5" }]);
  });

  it("refuses a pool whose correct options are the longest and the most hedged, in each language", () => {
    const copy = sampleCopy();
    copy.edit(
      QUIZ,
      /text: \{ en: "Option (\w+)", ja: "選択肢 \1" \}\n(\s+)correct: true/g,
      'text: { en: "Option $1, after you assess it carefully and check", ja: "選択肢 $1（慎重に確認し、配慮する）" }\n$2correct: true',
    );
    const result = checkContent(copy.dir);
    expect(result.content).toBeNull();
    const messages = result.problems.map((p) => `${p.field}: ${p.message}`);
    for (const locale of ["en", "ja"]) {
      expect(messages).toContain(
        `pool (${locale}): the correct option is the longest in 8 of 8 single-answer questions; at most 40% may be`,
      );
      expect(messages).toContainEqual(
        expect.stringMatching(new RegExp(`^pool \\(${locale}\\): always picking the longest option passes`)),
      );
      expect(messages).toContainEqual(
        expect.stringMatching(new RegExp(`^pool \\(${locale}\\): always picking the most hedged option passes`)),
      );
    }
    const [en] = result.cues.get("sample-module")!;
    expect(en).toMatchObject({ locale: "en", singleAnswer: 8, longestCorrect: 8 });
    expect(en!.passRate.longest).toBeGreaterThan(0.5);
  });

  it("reports every problem at once", () => {
    const copy = sampleCopy();
    cases[0]!.breakIt(copy);
    cases[3]!.breakIt(copy);
    cases[6]!.breakIt(copy);
    const result = checkContent(copy.dir);
    expect(result.problems.map((p) => p.file).sort()).toEqual(
      ["catalog.yaml", QUIZ, "sample-module/lessons/01-first.en.md"].sort(),
    );
  });
});

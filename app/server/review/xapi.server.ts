// Completion records and quiz attempts as xAPI 1.0.3 statements, for agencies that keep a learning
// record store. The actor is an account on this platform (homePage = PUBLIC_URL, name = the
// person's id, so an e-mail address never leaves with it); verbs are ADL's; activity ids are IRIs
// under PUBLIC_URL; the statement id is the record's or attempt's own id, so a store that is sent
// the same export twice keeps one copy.
import type { LocalisedText } from "../../../db/schema";

const ADL = "http://adlnet.gov/expapi/verbs/";
const VERBS = {
  completed: { en: "completed", ja: "完了した" },
  passed: { en: "passed", ja: "合格した" },
  failed: { en: "failed", ja: "不合格だった" },
} as const;
type Verb = keyof typeof VERBS;

const ACTIVITY_TYPE = {
  course: "http://adlnet.gov/expapi/activities/course",
  module: "http://adlnet.gov/expapi/activities/module",
  assessment: "http://adlnet.gov/expapi/activities/assessment",
} as const;

function languageMap(text: LocalisedText | null | undefined, suffix?: LocalisedText) {
  const map: Record<string, string> = {};
  if (text?.en) map["en-US"] = suffix ? `${text.en} — ${suffix.en}` : text.en;
  if (text?.ja) map["ja-JP"] = suffix ? `${text.ja} — ${suffix.ja ?? suffix.en}` : text.ja;
  return map;
}

function verb(name: Verb) {
  return { id: ADL + name, display: { "en-US": VERBS[name].en, "ja-JP": VERBS[name].ja } };
}

function actor(base: string, person: { id: string; name: string }) {
  return { objectType: "Agent", name: person.name, account: { homePage: base, name: person.id } };
}

function activity(id: string, type: keyof typeof ACTIVITY_TYPE, name: Record<string, string>) {
  return {
    objectType: "Activity",
    id,
    definition: { type: ACTIVITY_TYPE[type], ...(Object.keys(name).length ? { name } : {}) },
  };
}

function score(percent: number | null) {
  return percent === null ? undefined : { scaled: percent / 100, raw: percent, min: 0, max: 100 };
}

/** ISO 8601 duration ("PT1H2M3.5S" style, seconds only: "PT3723.5S" is as valid and exact). */
export function isoDuration(ms: number): string {
  return `PT${Math.max(0, Math.round(ms) / 1000)}S`;
}

export interface XapiRecord {
  id: string;
  kind: "module" | "course";
  user_id: string;
  display_name: string;
  module_slug: string | null;
  module_version: number | null;
  module_title: LocalisedText | null;
  course_slug: string | null;
  course_title: LocalisedText | null;
  score: number | null;
  completed_at: Date;
  certificate_code: string | null;
}

export function recordStatement(base: string, r: XapiRecord) {
  const result = { completion: true, success: true, ...(r.score !== null ? { score: score(r.score) } : {}) };
  if (r.kind === "course") {
    return {
      id: r.id,
      actor: actor(base, { id: r.user_id, name: r.display_name }),
      verb: verb("completed"),
      object: activity(`${base}/courses/${r.course_slug}`, "course", languageMap(r.course_title)),
      result,
      context: {
        platform: "Mamoru",
        ...(r.certificate_code
          ? { extensions: { [`${base}/xapi/extensions/certificate`]: `${base}/verify/${r.certificate_code}` } }
          : {}),
      },
      timestamp: r.completed_at.toISOString(),
    };
  }
  return {
    id: r.id,
    actor: actor(base, { id: r.user_id, name: r.display_name }),
    verb: verb("completed"),
    object: activity(`${base}/modules/${r.module_slug}`, "module", languageMap(r.module_title)),
    result,
    // The exact version taken is the activity's revision.
    context: { platform: "Mamoru", revision: String(r.module_version) },
    timestamp: r.completed_at.toISOString(),
  };
}

export interface XapiAttempt {
  id: string;
  user_id: string;
  display_name: string;
  stage: "pretest" | "final";
  module_slug: string;
  module_version: number;
  module_title: LocalisedText;
  score: number | null;
  passed: boolean | null;
  started_at: Date;
  submitted_at: Date;
}

const STAGE_NAME = {
  pretest: { en: "pre-test", ja: "事前テスト" },
  final: { en: "final quiz", ja: "修了テスト" },
} as const;

export function attemptStatement(base: string, a: XapiAttempt) {
  const moduleId = `${base}/modules/${a.module_slug}`;
  // A pre-test is not graded: it is completed, with its score. A final quiz is passed or failed.
  const name: Verb = a.stage === "pretest" ? "completed" : a.passed ? "passed" : "failed";
  return {
    id: a.id,
    actor: actor(base, { id: a.user_id, name: a.display_name }),
    verb: verb(name),
    object: activity(`${moduleId}/${a.stage}`, "assessment", languageMap(a.module_title, STAGE_NAME[a.stage])),
    result: {
      completion: true,
      ...(a.stage === "final" ? { success: a.passed === true } : {}),
      ...(a.score !== null ? { score: score(a.score) } : {}),
      duration: isoDuration(a.submitted_at.getTime() - a.started_at.getTime()),
    },
    context: {
      platform: "Mamoru",
      revision: String(a.module_version),
      contextActivities: { parent: [{ objectType: "Activity", id: moduleId }] },
    },
    timestamp: a.submitted_at.toISOString(),
  };
}

// The one thing the home page's main button offers: what a trainee should do next. A finished
// module is never offered as "continue"; after a course is done the button points on, to a
// renewal, the next course's module, or the course for the trainee's profession in the catalogue.
import type { Kysely } from "kysely";
import type { Database, LocalisedText, Profession } from "../../../db/schema";
import { listCourses } from "../catalog/catalog.server";
import type { CourseProgress } from "./dashboard.server";

interface Named {
  slug: string;
  title: LocalisedText;
}

export type NextStep =
  /** Assigned work that is overdue or due for renewal, or (when nothing else is open) due next. */
  | { kind: "assigned"; to: string; title: LocalisedText; due: string; overdue: boolean }
  /** The module last worked on, not yet completed. */
  | { kind: "continue"; module: Named }
  /** The next module of an enrolled course that is not complete. */
  | { kind: "nextModule"; course: Named; module: Named }
  /** A course once completed whose completion has lapsed: its next module to take again. */
  | { kind: "renew"; course: Named; module: Named }
  /**
   * Nothing open: the course for the trainee's profession, not yet taken. `coursesDone`: they had
   * enrolled courses and finished them all (false for someone not enrolled in any yet).
   */
  | { kind: "professionCourse"; course: Named; coursesDone: boolean }
  /** Nothing left to suggest: the catalogue. */
  | { kind: "catalogue"; coursesDone: boolean };

export interface NextStepInput {
  profession: Profession;
  courses: CourseProgress[];
  last: { module_slug: string; title: LocalisedText } | null;
  /** Course completions the trainee holds (any age): a course among them with modules to do is a renewal. */
  certificates: { course_slug: string | null }[];
  /** The person's open assigned work, soonest due first (app/server/assignments/views.server.ts). */
  assigned?: {
    course_slug: string | null;
    module_slug: string | null;
    title: LocalisedText;
    due_on: string;
    state: string;
  }[];
}

/** Decided from the home page's own data; the catalogue is read only once every enrolled course is done. */
export async function nextStep(db: Kysely<Database>, input: NextStepInput): Promise<NextStep> {
  const decided = nextStepFromProgress(input);
  if (decided) return decided;
  const enrolled = new Set(input.courses.map((c) => c.slug));
  const coursesDone = enrolled.size > 0;
  const theirs = (await listCourses(db, input.profession)).find((c) => !enrolled.has(c.slug));
  return theirs
    ? { kind: "professionCourse", course: { slug: theirs.slug, title: theirs.title }, coursesDone }
    : { kind: "catalogue", coursesDone };
}

/** The steps that need nothing beyond the trainee's progress; null when every enrolled course is done. */
export function nextStepFromProgress(input: NextStepInput): NextStep | null {
  const assigned = input.assigned ?? [];
  const urgent = assigned.find((a) => a.state === "overdue" || a.state === "renewal_due");
  if (urgent) return assignedStep(urgent);
  const unfinished = input.courses.filter((c) => c.next);
  const { last } = input;
  // Where they left off counts only while that module still has something to do.
  if (last && unfinished.some((c) => c.modules.some((m) => m.slug === last.module_slug && !m.done))) {
    return { kind: "continue", module: { slug: last.module_slug, title: last.title } };
  }
  const course = unfinished[0];
  if (!course) return assigned[0] ? assignedStep(assigned[0]) : null;
  const step = { course: { slug: course.slug, title: course.title }, module: course.next! };
  const completedBefore = input.certificates.some((c) => c.course_slug === course.slug);
  return completedBefore ? { kind: "renew", ...step } : { kind: "nextModule", ...step };
}

function assignedStep(a: NonNullable<NextStepInput["assigned"]>[number]): NextStep {
  return {
    kind: "assigned",
    to: a.course_slug ? `/courses/${a.course_slug}` : `/learn/${a.module_slug}`,
    title: a.title,
    due: a.due_on,
    overdue: a.state === "overdue",
  };
}

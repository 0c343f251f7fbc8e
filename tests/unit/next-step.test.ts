// What the home page's main button offers, decided from the trainee's progress alone.
import { describe, expect, it } from "vitest";
import { professionFirst } from "../../app/server/catalog/catalog.server";
import type { CourseProgress } from "../../app/server/learning/dashboard.server";
import { nextStepFromProgress } from "../../app/server/learning/next-step.server";

const title = (en: string) => ({ en, ja: `${en}（日本語）` });
const course = (slug: string, modules: [string, boolean][]): CourseProgress => {
  const list = modules.map(([m, done]) => ({ slug: m, title: title(m), done }));
  const done = list.filter((m) => m.done).length;
  return {
    slug,
    title: title(slug),
    modules: list,
    done,
    percent: Math.round((done * 100) / list.length),
    next: list.find((m) => !m.done) ?? null,
  };
};

describe("the next step", () => {
  const police = course("police-course", [
    ["victim-not-offender", true],
    ["interviewing-children", false],
  ]);

  it("continues the module last worked on while it is unfinished", () => {
    expect(
      nextStepFromProgress({
        profession: "police",
        courses: [police],
        last: { module_slug: "interviewing-children", title: title("interviewing-children") },
        certificates: [],
      }),
    ).toEqual({ kind: "continue", module: { slug: "interviewing-children", title: title("interviewing-children") } });
  });

  it("puts assigned work that is overdue before anything else, and assigned work next when all else is done", () => {
    const assigned = (state: string) => [
      { course_slug: null, module_slug: "online-exploitation", title: title("online"), due_on: "2026-12-10", state },
    ];
    const base = {
      profession: "police" as const,
      courses: [police],
      last: { module_slug: "interviewing-children", title: title("interviewing-children") },
      certificates: [],
    };
    expect(nextStepFromProgress({ ...base, assigned: assigned("overdue") })).toEqual({
      kind: "assigned",
      to: "/learn/online-exploitation",
      title: title("online"),
      due: "2026-12-10",
      overdue: true,
    });
    expect(nextStepFromProgress({ ...base, assigned: assigned("not_started") })?.kind).toBe("continue");
    const finished = course("police-course", [["victim-not-offender", true]]);
    expect(
      nextStepFromProgress({ ...base, courses: [finished], last: null, assigned: assigned("in_progress") }),
    ).toMatchObject({ kind: "assigned", overdue: false });
  });

  it("never offers a finished module as 'continue': the course's next module instead", () => {
    expect(
      nextStepFromProgress({
        profession: "police",
        courses: [police],
        last: { module_slug: "victim-not-offender", title: title("victim-not-offender") },
        certificates: [],
      }),
    ).toMatchObject({
      kind: "nextModule",
      course: { slug: "police-course" },
      module: { slug: "interviewing-children" },
    });
  });

  it("calls a lapsed course a renewal", () => {
    expect(
      nextStepFromProgress({
        profession: "police",
        courses: [police],
        last: null,
        certificates: [{ course_slug: "police-course" }],
      }),
    ).toMatchObject({ kind: "renew", course: { slug: "police-course" }, module: { slug: "interviewing-children" } });
  });

  it("leaves the choice to the catalogue once every enrolled course is complete", () => {
    const done = course("police-course", [
      ["victim-not-offender", true],
      ["interviewing-children", true],
    ]);
    expect(
      nextStepFromProgress({
        profession: "police",
        courses: [done],
        last: { module_slug: "interviewing-children", title: title("interviewing-children") },
        certificates: [{ course_slug: "police-course" }],
      }),
    ).toBeNull();
    expect(nextStepFromProgress({ profession: "police", courses: [], last: null, certificates: [] })).toBeNull();
  });
});

describe("the catalogue for a signed-in reader", () => {
  it("lists the courses for their profession first, marked, the rest in order", () => {
    const courses = [
      { slug: "police", professions: ["police"] },
      { slug: "social", professions: ["social_worker", "child_guidance"] },
      { slug: "judges", professions: ["judge"] },
    ];
    expect(professionFirst(courses, "child_guidance").map((c) => [c.slug, c.forProfession])).toEqual([
      ["social", true],
      ["police", false],
      ["judges", false],
    ]);
  });
});

// The home page's main button: the next step the server decided (app/server/learning/next-step.server.ts).
import { Link } from "@remix-run/react";
import type { LocalisedText } from "~/components/localised";
import { useT } from "./i18n";
import { useLocalised } from "./localised";

interface Named {
  slug: string;
  title: LocalisedText;
}

export type NextStepView =
  | { kind: "assigned"; to: string; title: LocalisedText; due: string; overdue: boolean }
  | { kind: "continue"; module: Named }
  | { kind: "nextModule"; course: Named; module: Named }
  | { kind: "renew"; course: Named; module: Named }
  | { kind: "professionCourse"; course: Named; coursesDone: boolean }
  | { kind: "catalogue"; coursesDone: boolean };

export function NextStepButton({ step }: { step: NextStepView }) {
  const t = useT();
  const pick = useLocalised();
  const [to, label, hint] =
    step.kind === "assigned"
      ? [
          step.to,
          t("next.assigned", { title: pick(step.title).text }),
          t(step.overdue ? "next.assignedOverdue" : "next.assignedDue", { date: step.due }),
        ]
      : step.kind === "continue"
        ? [`/learn/${step.module.slug}`, t("learn.continueWhere", { title: pick(step.module.title).text }), null]
        : step.kind === "nextModule"
          ? [
              `/learn/${step.module.slug}`,
              t("next.module", { title: pick(step.module.title).text }),
              t("next.inCourse", { course: pick(step.course.title).text }),
            ]
          : step.kind === "renew"
            ? [
                `/learn/${step.module.slug}`,
                t("next.renew", { course: pick(step.course.title).text }),
                t("next.renewHint", { title: pick(step.module.title).text }),
              ]
            : step.kind === "professionCourse"
              ? [
                  `/courses/${step.course.slug}`,
                  t("next.professionCourse", { course: pick(step.course.title).text }),
                  t(step.coursesDone ? "next.professionHintDone" : "next.professionHint"),
                ]
              : [
                  "/courses",
                  t("next.catalogue"),
                  t(step.coursesDone ? "next.catalogueHintDone" : "next.catalogueHint"),
                ];
  return (
    <div className="continue">
      <p>
        <Link className="button" to={to}>
          {label}
        </Link>
      </p>
      {hint ? <p className="hint">{hint}</p> : null}
    </div>
  );
}

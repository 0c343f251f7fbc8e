import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { FormAlert, SubmitButton } from "~/components/forms";
import { useFormat, useMessage, useT } from "~/components/i18n";
import { L } from "~/components/localised";
import { pageTitle, rootLocale } from "~/components/page-title";
import { ProgressBar } from "~/components/progress";
import { startAttempt } from "~/server/learning/attempts.server";
import { courseOfModule } from "~/server/catalog/catalog.server";
import { currentVersion, moduleState } from "~/server/learning/progress.server";
import { fromDomainError, invalid, notFound, readForm, requireUser } from "~/server/http/guards.server";
import { isSlug } from "~/server/http/params.server";

export const meta: MetaFunction<typeof loader> = ({ matches, data }) =>
  pageTitle(matches, "catalog.moduleTitle", {
    name: (data?.version.title[rootLocale(matches)] ?? data?.version.title.en) || "",
  });

async function load(params: { slug?: string }, context: LoaderFunctionArgs["context"]) {
  const version = isSlug(params.slug) ? await currentVersion(context.app.db, params.slug) : undefined;
  return version ?? notFound();
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = requireUser(context, request);
  const version = await load(params, context);
  const [state, course] = await Promise.all([
    moduleState(context.app.db, user.id, version.id),
    courseOfModule(context.app.db, user.id, version.module_slug),
  ]);
  return { version, state, course };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = requireUser(context, request);
  const version = await load(params, context);
  const form = await readForm(request, z.object({ stage: z.enum(["pretest", "final"], { error: "errors.invalid" }) }));
  if (!form.ok) return invalid(form.errors);
  try {
    const id = await startAttempt(context.app.db, {
      userId: user.id,
      moduleVersionId: version.id,
      stage: form.data.stage,
    });
    return redirect(`/attempts/${id}`);
  } catch (error) {
    return fromDomainError(error);
  }
}

export default function ModuleLearning() {
  const t = useT();
  const message = useMessage();
  const format = useFormat();
  const { version, state, course } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const settings = state.settings;
  const gate = state.gate;
  return (
    <div>
      {/* Back up the way a trainee came: the catalogue, then the course; the title is the heading. */}
      <nav aria-label={t("nav.breadcrumb")}>
        <ol className="breadcrumb">
          <li>
            <Link to="/courses">{t("catalog.title")}</Link>
          </li>
          {course ? (
            <li>
              <Link to={`/courses/${course.slug}`}>
                <L text={course.title} />
              </Link>
            </li>
          ) : null}
        </ol>
      </nav>
      <L as="h1" text={version.title} />
      <p className="hint">
        <Link to={`/modules/${version.module_slug}`}>{t("learn.aboutModule")}</Link>
      </p>
      <ProgressBar percent={state.percent} />
      <FormAlert state={failure ?? undefined} />

      <ol className="steps">
        <li className={state.pretest?.submitted_at ? "step done" : "step"}>
          <h2>{t("learn.pretest")}</h2>
          {state.pretest?.submitted_at ? (
            <p>
              {t("learn.pretestDone", { score: state.pretest.score ?? 0 })} ·{" "}
              <Link to={`/attempts/${state.pretest.id}/result`}>{t("learn.review")}</Link>
            </p>
          ) : (
            <>
              <p>{t("learn.pretestLead")}</p>
              <Form method="post">
                <input type="hidden" name="stage" value="pretest" />
                <SubmitButton>{state.pretest ? t("learn.continue") : t("learn.pretestStart")}</SubmitButton>
              </Form>
            </>
          )}
        </li>
        <li className="step">
          <h2>{t("learn.lessons")}</h2>
          <ol className="lesson-list">
            {state.lessons.map((l) => (
              <li key={l.lesson_id}>
                {state.pretest?.submitted_at ? (
                  <Link to={`/learn/${version.module_slug}/lessons/${l.lesson_id}`}>
                    <L text={l.title} />
                  </Link>
                ) : (
                  <L text={l.title} />
                )}{" "}
                <span className={l.done ? "tag tag-done" : "tag"}>
                  {l.done ? t("learn.lessonDone") : t("learn.lessonTodo")}
                </span>
                {l.readSeconds !== null ? (
                  <span className="hint"> {t("learn.readFor", { time: format.duration(l.readSeconds) })}</span>
                ) : null}
              </li>
            ))}
          </ol>
          {state.revisit.length > 0 ? (
            <section className="alert alert-info" aria-labelledby="revisit-heading">
              <h3 id="revisit-heading">{t("learn.revisitTitle")}</h3>
              <p>{t("learn.revisitLead")}</p>
              <ul className="link-list">
                {state.revisit.map((l) => (
                  <li key={l.lesson_id}>
                    <Link to={`/learn/${version.module_slug}/lessons/${l.lesson_id}`}>
                      <L text={l.title} />
                    </Link>
                  </li>
                ))}
              </ul>
            </section>
          ) : null}
          {state.step === "lessons" && state.nextLesson ? (
            <p>
              <Link className="button" to={`/learn/${version.module_slug}/lessons/${state.nextLesson}`}>
                {t("learn.continue")}
              </Link>
            </p>
          ) : null}
        </li>
        <li className={state.completion ? "step done" : "step"}>
          <h2>{t("learn.finalQuiz")}</h2>
          <p>{t("learn.finalLead", { questions: settings.questions, mark: version.pass_mark })}</p>
          {state.completion ? null : (
            <ul className="hint">
              {settings.cooldownMinutes > 0 ? (
                <li>{t("learn.rulesCooldown", { time: format.duration(settings.cooldownMinutes * 60) })}</li>
              ) : null}
              <li>{t("learn.rulesPerDay", { n: settings.maxAttemptsPerDay })}</li>
              <li>{t("learn.rulesRevisit", { n: settings.revisitAfterFailures })}</li>
              {settings.maxAttempts !== null ? <li>{t("learn.rulesMax", { n: settings.maxAttempts })}</li> : null}
            </ul>
          )}
          {state.completion ? (
            <p className="alert alert-success">
              {t("learn.completed", {
                date: format.date(state.completion.completed_at),
                until: format.date(state.completion.expires_at),
              })}
            </p>
          ) : state.step === "quiz" && gate && !gate.open ? (
            <p className="alert alert-info" role="status">
              {gate.reason === "revisit"
                ? t("learn.revisitFirst")
                : message(gate.messageKey, gate.at ? { at: gate.at } : undefined)}
            </p>
          ) : state.step === "quiz" ? (
            <Form method="post">
              <input type="hidden" name="stage" value="final" />
              <SubmitButton>{state.openFinal ? t("learn.finalContinue") : t("learn.finalStart")}</SubmitButton>
            </Form>
          ) : (
            <p className="hint">{t("learn.finalLocked")}</p>
          )}
          {state.finals.length > 0 ? (
            <>
              <h3 id="attempts-heading">{t("learn.attempts")}</h3>
              {/* A table, not a line: 「5:14:70%」 read the score as part of the time. */}
              <table className="table attempts" aria-labelledby="attempts-heading">
                <thead>
                  <tr>
                    <th scope="col">{t("learn.attemptColumns.submitted")}</th>
                    <th scope="col">{t("learn.attemptColumns.score")}</th>
                    <th scope="col">{t("learn.attemptColumns.result")}</th>
                    <th scope="col">{t("learn.attemptColumns.time")}</th>
                    <th scope="col">{t("learn.attemptColumns.review")}</th>
                  </tr>
                </thead>
                <tbody>
                  {state.finals.map((a) => (
                    <tr key={a.id}>
                      <td className="nowrap">{format.date(a.submitted_at!, true)}</td>
                      <td className="nowrap">{t("learn.attemptScore", { score: a.score ?? 0 })}</td>
                      <td>{a.passed ? t("learn.passed") : t("learn.failed")}</td>
                      <td className="nowrap">{format.duration(a.seconds)}</td>
                      <td>
                        <Link to={`/attempts/${a.id}/result`}>{t("learn.review")}</Link>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : null}
        </li>
      </ol>
      <p className="hint">{t("learn.pauseNote")}</p>
    </div>
  );
}

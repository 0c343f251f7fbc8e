import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { ErrorSummary, SubmitButton } from "~/components/forms";
import { useT } from "~/components/i18n";
import { L, useLocalised } from "~/components/localised";
import { pageTitle } from "~/components/page-title";
import { ProgressBar } from "~/components/progress";
import { nextStep, saveAnswer, submitAttempt } from "~/server/learning/attempts.server";
import { fromDomainError, invalid, notFound, readForm, requireUser } from "~/server/http/guards.server";
import { parseIdParam } from "~/server/http/fields.server";
import { isContentId } from "~/server/http/params.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "learn.finalQuiz");

const optionId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,40}$/, { error: "errors.quiz.invalidAnswer" });
const AttemptForm = z.discriminatedUnion(
  "intent",
  [
    z.object({
      intent: z.literal("answer"),
      questionId: z.string().refine(isContentId, { error: "errors.quiz.notServed" }),
      part: z.enum(["choice", "followUp"], { error: "errors.invalid" }),
      choice: z.union([optionId, z.array(optionId).max(6)], {
        // Nothing ticked sends no field at all: say that, not that the answer is invalid.
        error: (issue) => (issue.input === undefined ? "errors.quiz.noChoice" : "errors.quiz.invalidAnswer"),
      }),
    }),
    z.object({ intent: z.literal("submit") }),
  ],
  { error: "errors.invalid" },
);

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = requireUser(context, request);
  const attemptId = parseIdParam(params.attemptId) ?? notFound();
  const q = new URL(request.url).searchParams.get("q");
  const index = q !== null && /^\d{1,3}$/.test(q) ? Number(q) : undefined;
  try {
    const { attempt, step, position } = await nextStep(context.app.db, user.id, attemptId, index);
    if (attempt.submitted_at) throw redirect(`/attempts/${attemptId}/result`);
    return {
      attemptId,
      stage: attempt.stage,
      moduleSlug: attempt.module_slug,
      moduleTitle: attempt.module_title,
      total: attempt.served.length,
      answered: Object.keys(attempt.answers).length,
      position,
      step,
    };
  } catch (error) {
    if (error instanceof Response) throw error;
    return fromDomainError(error) as never;
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = requireUser(context, request);
  const attemptId = parseIdParam(params.attemptId) ?? notFound();
  const form = await readForm(request, AttemptForm);
  if (!form.ok) return invalid(form.errors);
  try {
    if (form.data.intent === "submit") {
      await submitAttempt(context.app.db, user.id, attemptId);
      return redirect(`/attempts/${attemptId}/result`);
    }
    const chosen = [form.data.choice].flat();
    await saveAnswer(
      context.app.db,
      user.id,
      attemptId,
      form.data.questionId,
      form.data.part === "choice" ? { choice: chosen } : { followUp: chosen },
    );
    return redirect(`/attempts/${attemptId}`);
  } catch (error) {
    return fromDomainError(error);
  }
}

export default function AttemptPage() {
  const t = useT();
  const pick = useLocalised();
  const d = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const title = d.stage === "pretest" ? t("learn.pretest") : t("learn.finalQuiz");
  const percent = Math.round((d.answered * 100) / d.total);
  const header = (
    <>
      <p className="breadcrumb">
        <Link to={`/learn/${d.moduleSlug}`}>
          <L text={d.moduleTitle} />
        </Link>
      </p>
      <h1>{title}</h1>
    </>
  );

  if (!d.step) {
    return (
      <div className="narrow">
        {header}
        <ProgressBar percent={100} />
        <h2>{t("quiz.readyTitle")}</h2>
        <p>{t("quiz.readyLead")}</p>
        <ErrorSummary state={failure ?? undefined} />
        <ol className="review-list">
          {Array.from({ length: d.total }, (_, i) => (
            <li key={i}>
              <Link to={`?q=${i}`}>{t("quiz.questionOf", { n: i + 1, total: d.total })}</Link>
            </li>
          ))}
        </ol>
        <Form method="post">
          <input type="hidden" name="intent" value="submit" />
          <SubmitButton>{t("quiz.submit")}</SubmitButton>
        </Form>
      </div>
    );
  }

  const { question, answer, followUpStage } = d.step;
  const stepOptions = followUpStage ? question.followUp!.options : question.options;
  const chosen = new Set(followUpStage ? (answer?.followUp ?? []) : (answer?.choice ?? []));
  const multiple = question.kind === "multiple" && !followUpStage;
  const choiceError = failure && "errors" in failure ? failure.errors.choice : undefined;
  const firstAnswer = answer?.choice
    .map((id) => pick(question.options.find((o) => o.id === id)!.text).text)
    .join(" / ");
  return (
    <div className="narrow">
      {header}
      <ProgressBar percent={percent} label={t("quiz.questionOf", { n: d.position + 1, total: d.total })} />
      <ErrorSummary state={failure ?? undefined} />
      {question.case ? (
        <section className="case" aria-label={t("quiz.case")}>
          <h2 className="case-title">{t("quiz.case")}</h2>
          <L as="p" text={question.case} />
        </section>
      ) : null}
      {followUpStage ? (
        <p className="first-answer">
          <L as="span" text={question.prompt} /> — {t("quiz.yourFirstAnswer", { answer: firstAnswer ?? "" })}{" "}
          <Link to={`?q=${d.position}`}>{t("quiz.change")}</Link>
        </p>
      ) : null}
      {/* Keyed by step, so that moving to the next question starts from its own saved answer.
          noValidate: an empty answer gets the page's own message, with or without JavaScript,
          not only a browser tooltip. */}
      <Form
        method="post"
        className="stack question"
        noValidate
        key={`${question.id}:${followUpStage ? "followUp" : "choice"}`}
      >
        <input type="hidden" name="intent" value="answer" />
        <input type="hidden" name="questionId" value={question.id} />
        <input type="hidden" name="part" value={followUpStage ? "followUp" : "choice"} />
        <fieldset
          id="choice"
          tabIndex={-1}
          className={choiceError ? "has-error" : undefined}
          aria-describedby={choiceError ? "choice-error" : undefined}
        >
          <legend>
            {followUpStage ? <span className="then">{t("quiz.then")}: </span> : null}
            <L text={followUpStage ? question.followUp!.prompt : question.prompt} />
          </legend>
          <p className="hint">{multiple ? t("quiz.chooseAll") : t("quiz.chooseOne")}</p>
          {choiceError ? (
            <p className="field-error" id="choice-error">
              {t(choiceError)}
            </p>
          ) : null}
          {stepOptions.map((o) => (
            <div className="choice" key={o.id}>
              <input
                type={multiple ? "checkbox" : "radio"}
                id={`opt-${o.id}`}
                name="choice"
                value={o.id}
                defaultChecked={chosen.has(o.id)}
              />
              <label htmlFor={`opt-${o.id}`}>
                <L text={o.text} />
              </label>
            </div>
          ))}
        </fieldset>
        <SubmitButton>{t("quiz.save")}</SubmitButton>
      </Form>
      <nav className="pager" aria-label={t("quiz.questionOf", { n: d.position + 1, total: d.total })}>
        {d.position > 0 ? <Link to={`?q=${d.position - 1}`}>{t("quiz.previous")}</Link> : null}
        <Link to="/">{t("learn.pause")}</Link>
      </nav>
    </div>
  );
}

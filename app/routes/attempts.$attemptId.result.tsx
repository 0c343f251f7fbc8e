import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { SubmitButton } from "~/components/forms";
import { useFormat, useLocale, useT } from "~/components/i18n";
import { L } from "~/components/localised";
import { pageTitle } from "~/components/page-title";
import { reviewAttempt } from "~/server/learning/attempts.server";
import { certificateFor } from "~/server/learning/certificates.server";
import { misconceptionLabels } from "~/server/catalog/catalog.server";
import { fromDomainError, notFound, requireUser } from "~/server/http/guards.server";
import { parseIdParam } from "~/server/http/fields.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "quiz.resultTitle");

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const user = requireUser(context, request);
  const attemptId = parseIdParam(params.attemptId) ?? notFound();
  try {
    const { attempt, items, keyShown } = await reviewAttempt(context.app.db, user.id, attemptId);
    const [labels, certificate] = await Promise.all([
      misconceptionLabels(context.app.db),
      attempt.passed ? certificateFor(context.app.db, user.id, attempt.id) : Promise.resolve(null),
    ]);
    return {
      attempt: {
        id: attempt.id,
        stage: attempt.stage,
        score: attempt.score ?? 0,
        correct: attempt.correct ?? 0,
        total: attempt.total ?? 0,
        passed: Boolean(attempt.passed),
        submittedAt: attempt.submitted_at!,
        passMark: attempt.pass_mark,
        moduleSlug: attempt.module_slug,
        moduleTitle: attempt.module_title,
      },
      items,
      keyShown,
      labels,
      certificate,
    };
  } catch (error) {
    return fromDomainError(error) as never;
  }
}

export default function AttemptResult() {
  const t = useT();
  const format = useFormat();
  const { attempt, items, keyShown, labels, certificate } = useLoaderData<typeof loader>();
  const final = attempt.stage === "final";
  return (
    <div>
      <p className="breadcrumb">
        <Link to={`/learn/${attempt.moduleSlug}`}>
          <L text={attempt.moduleTitle} />
        </Link>
      </p>
      <h1>{t("quiz.resultTitle")}</h1>
      <p className="hint">{t("quiz.submittedAt", { date: format.date(attempt.submittedAt, true) })}</p>
      <section className={final && attempt.passed ? "alert alert-success" : "alert alert-info"} role="status">
        <p>
          <strong>{t("quiz.score", { score: attempt.score, correct: attempt.correct, total: attempt.total })}</strong>
        </p>
        {final ? (
          <>
            <p>{t("quiz.passMark", { mark: attempt.passMark })}</p>
            <p>{attempt.passed ? t("quiz.passed") : t("quiz.failed")}</p>
            {attempt.passed ? <p>{t("quiz.moduleComplete")}</p> : null}
            {certificate ? (
              <p>
                {t("quiz.courseComplete", { code: certificate.code })}{" "}
                <a href={`/certificates/${certificate.code}`}>{t("learn.downloadPdf")}</a> ·{" "}
                <Link to={`/verify/${certificate.code}`}>{t("verify.title")}</Link>
              </p>
            ) : null}
          </>
        ) : (
          <p>{t("quiz.pretestResult", { score: attempt.score })}</p>
        )}
      </section>
      <p className="actions">
        <Link className="button" to={`/learn/${attempt.moduleSlug}`}>
          {t("quiz.backToModule")}
        </Link>
      </p>
      {final && !attempt.passed ? (
        <Form method="post" action={`/learn/${attempt.moduleSlug}`}>
          <input type="hidden" name="stage" value="final" />
          <SubmitButton className="button button-secondary">{t("quiz.tryAgain")}</SubmitButton>
        </Form>
      ) : null}
      {keyShown ? null : <p className="hint">{t("quiz.keyAfterPass")}</p>}
      <ol className="review-list">
        {items.map((item) => (
          <li key={item.id} className="panel">
            {item.case ? <L as="p" className="case-text" text={item.case} /> : null}
            <L as="h2" className="question-prompt" text={item.prompt} />
            <p className={item.right ? "verdict right" : "verdict wrong"}>
              {item.right ? t("quiz.right") : t("quiz.wrong")}
            </p>
            <Options options={item.options} labels={labels} />
            {item.followUp ? (
              <>
                <h3>
                  {t("quiz.then")}: <L text={item.followUp.prompt} />
                </h3>
                <Options options={item.followUp.options} labels={labels} />
              </>
            ) : null}
            {item.lesson ? (
              <p className="hint">
                {t("quiz.taughtIn")}{" "}
                <Link to={`/learn/${attempt.moduleSlug}/lessons/${item.lesson.id}`}>
                  <L text={item.lesson.title} />
                </Link>
              </p>
            ) : null}
          </li>
        ))}
      </ol>
    </div>
  );
}

/** An option as reviewed: `correct` only where the key is shown, feedback only where it may be read. */
interface ReviewOption {
  id: string;
  text: { en: string; ja?: string };
  chosen: boolean;
  correct?: boolean;
  feedback: { en: string; ja?: string } | null;
  misconception: string | null;
}

function Options({ options, labels }: { options: ReviewOption[]; labels: Record<string, { en: string; ja: string }> }) {
  const t = useT();
  const locale = useLocale();
  return (
    <ul className="options-review">
      {options.map((o) => (
        <li
          key={o.id}
          className={[o.correct ? "is-correct" : "", o.chosen ? "is-chosen" : ""].join(" ").trim() || undefined}
        >
          <p>
            <L text={o.text} />
            {o.chosen ? <span className="tag">{t("quiz.yourAnswer")}</span> : null}
            {o.correct ? <span className="tag tag-done">{t("quiz.correctAnswer")}</span> : null}
          </p>
          {o.feedback ? <L as="p" className="feedback" text={o.feedback} /> : null}
          {o.misconception && labels[o.misconception] ? (
            <p className="hint">{t("quiz.misconception", { label: labels[o.misconception]![locale] })}</p>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { FormAlert, SubmitButton } from "~/components/forms";
import { useLocale, useMessage, useT } from "~/components/i18n";
import { L } from "~/components/localised";
import { SourceList } from "~/components/source-list";
import { pageTitle, rootLocale } from "~/components/page-title";
import { ProgressBar } from "~/components/progress";
import { completeLesson, lessonForTrainee } from "~/server/learning/progress.server";
import { openLesson } from "~/server/learning/reading.server";
import { resolveLocale } from "~/server/http/locale.server";
import { fromDomainError, notFound, requireUser } from "~/server/http/guards.server";
import { isContentId, isSlug } from "~/server/http/params.server";

export const meta: MetaFunction<typeof loader> = ({ matches, data }) =>
  pageTitle(matches, "catalog.moduleTitle", {
    name: (data?.lesson.title[rootLocale(matches)] ?? data?.lesson.title.en) || "",
  });

async function load(
  request: Request,
  params: { slug?: string; lessonId?: string },
  context: LoaderFunctionArgs["context"],
) {
  const user = requireUser(context, request);
  if (!isSlug(params.slug) || !isContentId(params.lessonId)) notFound();
  const found =
    (await lessonForTrainee(
      context.app.db,
      user.id,
      params.slug,
      params.lessonId,
      resolveLocale(request, user.locale),
    )) ?? notFound();
  // The pre-test comes first: it shows the trainee, and later the trainer, where they started.
  // The server refuses a lesson before it (openLesson, completeLesson); the page leads to it.
  if (!found.pretestDone) throw redirect(`/learn/${found.version.module_slug}`);
  return { user, ...found };
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { user, version, lesson, sources, index, total, previous, next, done } = await load(request, params, context);
  // A content note comes first on the first reading; the lesson's text is served after it.
  const contentNoteFirst = Boolean(lesson.content_note) && !done && !new URL(request.url).searchParams.has("continue");
  // Serving the text starts the reading's clock (the minimum reading time counts from here).
  const reading = contentNoteFirst
    ? null
    : await openLesson(context.app.db, {
        userId: user.id,
        moduleVersionId: version.id,
        lessonId: lesson.lesson_id,
        locale: lesson.lang,
      });
  return {
    version: { module_slug: version.module_slug, title: version.title },
    lesson,
    sources,
    index,
    total,
    previous,
    next,
    done,
    contentNoteFirst,
    reading: reading ? { needed: reading.needed, again: reading.again } : null,
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const { user, version, lesson, next } = await load(request, params, context);
  let outcome;
  try {
    outcome = await completeLesson(context.app.db, user.id, version.id, lesson.lesson_id);
  } catch (error) {
    return fromDomainError(error);
  }
  // A lesson read again goes back to the module page, where the rest of the list is.
  const base = `/learn/${version.module_slug}`;
  return redirect(outcome !== "readAgain" && next ? `${base}/lessons/${next}` : base);
}

export default function Lesson() {
  const t = useT();
  const { version, lesson, sources, index, total, previous, next, done, contentNoteFirst, reading } =
    useLoaderData<typeof loader>();
  const refusal = useActionData<typeof action>();
  const message = useMessage();
  const base = `/learn/${version.module_slug}`;
  const locale = useLocale();

  if (contentNoteFirst && lesson.content_note) {
    return (
      <div className="narrow">
        <L as="h1" text={lesson.title} />
        <section className="alert alert-info" aria-labelledby="note-heading">
          <h2 id="note-heading">{t("learn.contentNoteTitle")}</h2>
          <L as="p" text={lesson.content_note} />
        </section>
        <p className="actions">
          <Link className="button" to="?continue=1">
            {t("learn.contentNoteContinue")}
          </Link>
          <Link to="/">{t("learn.pause")}</Link>
        </p>
        <p className="hint">{t("learn.pauseNote")}</p>
      </div>
    );
  }

  return (
    <article className="lesson">
      <p className="breadcrumb">
        <Link to={base}>
          <L text={version.title} />
        </Link>
      </p>
      <ProgressBar
        percent={Math.round(((index + (done ? 1 : 0)) * 100) / total)}
        label={t("learn.lessonOf", { n: index + 1, total })}
      />
      <L as="h1" text={lesson.title} />
      {/* A refused confirmation: announced here, at the top of the page a browser without
          JavaScript shows after the post, and repeated beside the button. */}
      <FormAlert state={refusal ?? undefined} />
      {/* Rendered from the module's Markdown at sync, with raw HTML escaped: safe to insert. */}
      <div
        className="lesson-body"
        lang={lesson.lang === locale ? undefined : lesson.lang}
        dangerouslySetInnerHTML={{ __html: lesson.html }}
      />
      <section aria-labelledby="sources-heading" className="panel">
        <h2 id="sources-heading">{t("learn.sources")}</h2>
        <SourceList sources={sources} />
      </section>
      {reading?.needed ? (
        <Form method="post" className="done-form">
          {reading.again ? <p className="alert alert-info">{t("learn.readAgainNote")}</p> : null}
          {refusal?.errors._form ? (
            <p className="field-error" id="mark-read-error">
              {message(refusal.errors._form, refusal.params)}
            </p>
          ) : null}
          <SubmitButton describedBy={refusal?.errors._form ? "mark-read-error" : undefined}>
            {reading.again ? t("learn.markAgain") : t("learn.markDone")}
          </SubmitButton>
        </Form>
      ) : done ? (
        <p className="alert alert-success">{t("learn.alreadyDone")}</p>
      ) : null}
      <nav className="pager" aria-label={t("learn.lessons")}>
        {previous ? <Link to={`${base}/lessons/${previous}`}>{t("learn.previousLesson")}</Link> : null}
        <Link to={base}>{t("learn.backToModule")}</Link>
        {next && done ? <Link to={`${base}/lessons/${next}`}>{t("learn.nextLessonLink")}</Link> : null}
        <Link to="/">{t("learn.pause")}</Link>
      </nav>
    </article>
  );
}

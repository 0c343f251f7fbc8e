import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { ErrorSummary, Field, SelectField, SubmitButton } from "~/components/forms";
import { AssignmentSummary } from "~/components/assignment";
import { useFormat, useT } from "~/components/i18n";
import { L, useLocalised } from "~/components/localised";
import { pageTitle } from "~/components/page-title";
import { extend, unassign } from "~/server/assignments/assign.server";
import { ASSIGNEE_STATES } from "../../db/schema";
import { assignmentFor, assignmentPage, PEOPLE_SORTS, type PeopleCursor } from "~/server/assignments/views.server";
import { scopeFor } from "~/server/auth/scope.server";
import { id, parseIdParam, queryErrors } from "~/server/http/fields.server";
import { forbidden, fromDomainError, invalid, notFound, readForm, requireActor } from "~/server/http/guards.server";
import { DATE_PATTERN, isRealDate } from "~/server/shared/days.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "training.people");

// "none" in a due-date cursor: the page before ended among the people with no due date (completed).
const NO_DUE = "none";

const Query = z
  .object({
    state: z.enum(ASSIGNEE_STATES, { error: "errors.query.state" }).optional(),
    group: z.uuid({ error: "errors.query.group" }).optional(),
    sort: z.enum(PEOPLE_SORTS, { error: "errors.query.sort" }).optional(),
    // The cursor: the last person of the page before, and their due day or state in those sorts.
    afterName: z.string().max(200, { error: "errors.query.cursor" }).optional(),
    afterId: z.uuid({ error: "errors.query.cursor" }).optional(),
    afterKey: z.string().max(20, { error: "errors.query.cursor" }).optional(),
    created: z.literal("1").optional(),
    extended: z.literal("1").optional(),
  })
  .superRefine((q, ctx) => {
    const keyOk =
      q.sort === "due"
        ? q.afterKey !== undefined && (q.afterKey === NO_DUE || isRealDate(q.afterKey))
        : q.sort === "state"
          ? (ASSIGNEE_STATES as readonly string[]).includes(q.afterKey ?? "")
          : q.afterKey === undefined;
    const any = q.afterName !== undefined || q.afterId !== undefined || q.afterKey !== undefined;
    if (any && (q.afterName === undefined || q.afterId === undefined || !keyOk))
      ctx.addIssue({ code: "custom", path: ["afterId"], message: "errors.query.cursor" });
  });

/** The cursor of the URL as the page reads it; the query has been checked whole. */
function cursorOf(q: z.infer<typeof Query>): PeopleCursor | undefined {
  if (q.afterName === undefined || q.afterId === undefined) return undefined;
  return { name: q.afterName, userId: q.afterId, key: q.afterKey === NO_DUE ? null : q.afterKey };
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  const assignmentId = parseIdParam(params.assignmentId);
  if (!assignmentId) notFound();
  const scope = scopeFor(actor, "progress.view");
  if (scope.kind === "none") forbidden();
  const query = Query.safeParse(Object.fromEntries([...new URL(request.url).searchParams].filter(([, v]) => v !== "")));
  const db = context.app.db;
  const groupMenu = (groups: { id: string; name: string }[]) => groups.map((g) => ({ value: g.id, label: g.name }));
  if (!query.success) {
    const found = await assignmentFor(db, actor, assignmentId);
    if (!found) notFound();
    const { groups, ...assignment } = found;
    // The page itself, with the message beside the filter at fault (a broken page link: above the
    // table), and nobody listed (400).
    const { afterName, afterId, afterKey, ...errors } = queryErrors(query.error);
    const cursor = afterName ?? afterId ?? afterKey;
    return data(
      {
        assignment,
        people: [],
        next: undefined,
        groups: groupMenu(groups),
        filter: { state: "", group: "", sort: "name" as const },
        sorts: PEOPLE_SORTS,
        errors: cursor ? { ...errors, _form: cursor } : errors,
      },
      { status: 400 },
    );
  }
  const q = query.data;
  const page = await assignmentPage(db, actor, assignmentId, {
    state: q.state,
    groupId: q.group,
    sort: q.sort,
    after: cursorOf(q),
  });
  if (!page) notFound();
  const { groups, ...assignment } = page.assignment;
  return {
    assignment,
    people: page.people,
    next: page.next,
    groups: groupMenu(groups),
    filter: { state: q.state ?? "", group: q.group ?? "", sort: q.sort ?? "name" },
    // The orders offered (the list lives with the query, on the server).
    sorts: PEOPLE_SORTS,
    errors: {} as Record<string, string>,
  };
}

const Action = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("unassign") }),
  z.object({
    intent: z.literal("extend"),
    userId: id,
    dueOn: z.string().regex(DATE_PATTERN, { error: "errors.assign.dueOn" }),
    reason: z.string().max(300, { error: "errors.invalid" }).optional(),
  }),
]);

export async function action({ request, context, params }: ActionFunctionArgs) {
  const actor = await requireActor(context, request);
  const assignmentId = parseIdParam(params.assignmentId);
  if (!assignmentId) notFound();
  const form = await readForm(request, Action);
  if (!form.ok) return invalid(form.errors, form.values);
  const db = context.app.db;
  try {
    if (form.data.intent === "unassign") {
      await unassign(db, actor, assignmentId);
      return redirect("/training");
    }
    await extend(db, actor, { assignmentId, ...form.data });
    return redirect(`/training/assignments/${assignmentId}?extended=1`);
  } catch (error) {
    return fromDomainError(error, form.values);
  }
}

export default function AssignmentPeople() {
  const t = useT();
  const format = useFormat();
  const pick = useLocalised();
  const d = useLoaderData<typeof loader>();
  const state = useActionData<typeof action>();
  const [params] = useSearchParams();
  const a = d.assignment;
  // The filter and the order stay in every link; the page after also carries where this one ended.
  const kept = {
    ...(d.filter.state ? { state: d.filter.state } : {}),
    ...(d.filter.group ? { group: d.filter.group } : {}),
    ...(d.filter.sort !== "name" ? { sort: d.filter.sort } : {}),
  };
  const nextLink = d.next
    ? `?${new URLSearchParams({
        ...kept,
        afterName: d.next.name,
        afterId: d.next.userId,
        ...(d.filter.sort !== "name" ? { afterKey: d.next.key ?? NO_DUE } : {}),
      })}`
    : null;
  const firstLink = params.get("afterId") && d.errors._form === undefined ? `?${new URLSearchParams(kept)}` : null;
  const queryState = { errors: d.errors };
  return (
    <div>
      <p className="breadcrumb">
        <Link to="/training">{t("training.title")}</Link>
      </p>
      <h1>
        <L text={a.title} />
      </h1>
      {params.get("created") ? (
        <p className="alert alert-success" role="status">
          {t("training.created")}
        </p>
      ) : null}
      {params.get("extended") ? (
        <p className="alert alert-success" role="status">
          {t("training.extendedDone")}
        </p>
      ) : null}
      <p>
        <AssignmentSummary a={a} />
        {a.recurs ? ` · ${t("training.recurs")}` : ""}
      </p>
      {a.note ? <p>{t("assigned.note", { note: a.note })}</p> : null}
      <ErrorSummary state={state ?? queryState} />
      <Form method="get" className="filters">
        <SelectField
          name="state"
          label={t("training.state")}
          options={[
            { value: "", label: t("training.allStates") },
            ...ASSIGNEE_STATES.map((s) => ({ value: s, label: t(`training.states.${s}`) })),
          ]}
          defaultValue={d.filter.state}
          state={queryState}
        />
        <SelectField
          name="group"
          label={t("training.group")}
          options={[{ value: "", label: t("training.allGroups") }, ...d.groups]}
          defaultValue={d.filter.group}
          state={queryState}
        />
        <SelectField
          name="sort"
          label={t("training.sort")}
          options={d.sorts.map((s) => ({ value: s, label: t(`training.sorts.${s}`) }))}
          defaultValue={d.filter.sort}
          state={queryState}
        />
        <SubmitButton>{t("training.filter")}</SubmitButton>
      </Form>
      <div className="table-scroll" role="region" aria-labelledby="people-caption" tabIndex={0}>
        <table className="table">
          <caption id="people-caption">{t("training.caption", { title: pick(a.title).text })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("training.person")}</th>
              <th scope="col">{t("training.state")}</th>
              <th scope="col">{t("training.due")}</th>
              <th scope="col">{t("training.lastActivity")}</th>
              <th scope="col" className="num">
                {t("training.pretest")}
              </th>
              <th scope="col" className="num">
                {t("training.final")}
              </th>
              <th scope="col" className="num">
                {t("training.attempts")}
              </th>
            </tr>
          </thead>
          <tbody>
            {d.people.map((p) => (
              <tr key={p.user_id}>
                <th scope="row">{p.display_name}</th>
                <td>{t(`training.states.${p.state}`)}</td>
                <td className="nowrap">
                  {`${p.due_on ?? t("training.never")}${p.extended_to ? ` (${t("training.extended")})` : ""}`}
                </td>
                <td className="nowrap">{p.last_activity ? format.date(p.last_activity) : t("training.never")}</td>
                <td className="num">{p.pretest === null ? t("training.never") : `${p.pretest}%`}</td>
                <td className="num">{p.score === null ? t("training.never") : `${p.score}%`}</td>
                <td className="num">{p.attempts}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {nextLink || firstLink ? (
        <nav className="pager" aria-label={t("review.pages")}>
          {firstLink ? <Link to={firstLink}>{t("training.firstPage")}</Link> : null}
          {nextLink ? <Link to={nextLink}>{t("training.nextPage")}</Link> : null}
        </nav>
      ) : null}
      {d.people.length > 0 ? (
        <section aria-labelledby="extend-heading" className="panel">
          <h2 id="extend-heading">{t("training.extendTitle")}</h2>
          <Form method="post" className="stack" noValidate>
            <input type="hidden" name="intent" value="extend" />
            <SelectField
              name="userId"
              label={t("training.person")}
              options={d.people.map((p) => ({ value: p.user_id, label: p.display_name }))}
              state={state}
            />
            <Field name="dueOn" type="date" label={t("training.dueOnField")} state={state} required />
            <Field name="reason" label={t("training.extendReason")} state={state} maxLength={300} />
            <SubmitButton>{t("training.extendSubmit")}</SubmitButton>
          </Form>
        </section>
      ) : null}
      <section aria-labelledby="end-heading" className="panel">
        <h2 id="end-heading">{t("training.unassign")}</h2>
        <p>{t("training.unassignHint")}</p>
        <Form method="post">
          <input type="hidden" name="intent" value="unassign" />
          <SubmitButton>{t("training.unassign")}</SubmitButton>
        </Form>
      </section>
    </div>
  );
}

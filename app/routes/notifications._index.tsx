// The person's own notifications: what the reminders mailed them, newest first, a page at a time.
import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { useFormat, useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { id } from "~/server/http/fields.server";
import { invalid, readForm, requireActor } from "~/server/http/guards.server";
import { inboxPage, markRead } from "~/server/notifications/inbox.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "inbox.title");

const Query = z.object({
  after: z.uuid({ error: "errors.invalid" }).optional(),
  marked: z.coerce.number({ error: "errors.invalid" }).int().min(0).max(1_000_000).optional(),
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  const query = Query.safeParse(Object.fromEntries([...new URL(request.url).searchParams].filter(([, v]) => v !== "")));
  if (!query.success) throw invalid({ _form: "errors.invalid" });
  const page = await inboxPage(context.app.db, actor.id, query.data.after);
  return { ...page, after: query.data.after ?? null, marked: query.data.marked ?? null };
}

const Action = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("read"), id }),
  z.object({ intent: z.literal("read-all") }),
]);

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(context, request);
  const form = await readForm(request, Action);
  if (!form.ok) return invalid(form.errors, form.values);
  const marked = await markRead(
    context.app.db,
    actor.id,
    form.data.intent === "read" ? { ids: [form.data.id] } : "all",
  );
  return redirect(`/notifications?marked=${marked}`);
}

export default function Notifications() {
  const t = useT();
  const format = useFormat();
  const d = useLoaderData<typeof loader>();
  const anyUnread = d.items.some((n) => !n.read_at);
  return (
    <div className="narrow">
      <h1>{t("inbox.title")}</h1>
      <p className="lead">{t("inbox.lead")}</p>
      {d.marked !== null ? (
        <p className="alert alert-success" role="status">
          {t("inbox.marked", { n: d.marked })}
        </p>
      ) : null}
      {d.items.length === 0 ? <p>{t("inbox.empty")}</p> : null}
      {anyUnread ? (
        <Form method="post">
          <input type="hidden" name="intent" value="read-all" />
          <button type="submit" className="button button-secondary">
            {t("inbox.markAllRead")}
          </button>
        </Form>
      ) : null}
      <ul className="inbox">
        {d.items.map((n) => (
          <li key={n.id} className={n.read_at ? "inbox-item" : "inbox-item unread"}>
            <article aria-labelledby={`n-${n.id}`}>
              <h2 id={`n-${n.id}`}>
                {n.read_at ? null : <span className="badge">{t("inbox.unread")}</span>} {n.subject}
              </h2>
              <p className="meta">{t("inbox.received", { date: format.date(n.created_at, true) })}</p>
              <p className="inbox-body">{n.body_text}</p>
              <div className="inbox-actions">
                <Link to={n.path}>{t("inbox.open")}</Link>
                {n.read_at ? null : (
                  <Form method="post">
                    <input type="hidden" name="intent" value="read" />
                    <input type="hidden" name="id" value={n.id} />
                    <button type="submit" className="link-button">
                      {t("inbox.markRead")}
                    </button>
                  </Form>
                )}
              </div>
            </article>
          </li>
        ))}
      </ul>
      <nav aria-label={t("inbox.title")} className="pager">
        {d.after ? <Link to="/notifications">{t("inbox.first")}</Link> : null}
        {d.next ? <Link to={`/notifications?after=${d.next}`}>{t("inbox.next")}</Link> : null}
      </nav>
    </div>
  );
}

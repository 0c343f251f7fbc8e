import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { useFormat, useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { authorize, requireActor } from "~/server/http/guards.server";
import { listOutbox } from "~/server/mail/mailer.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "outbox.title");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  authorize(actor, "outbox.view");
  return { mail: await listOutbox(context.app.db), smtp: Boolean(context.app.config.smtpUrl) };
}

export default function Outbox() {
  const t = useT();
  const format = useFormat();
  const { mail, smtp } = useLoaderData<typeof loader>();
  return (
    <div>
      <h1>{t("outbox.title")}</h1>
      <p className="lead">{smtp ? t("outbox.smtpNote") : t("outbox.keptNote")}</p>
      {mail.length === 0 ? <p>{t("outbox.empty")}</p> : null}
      <ol className="mail-list">
        {mail.map((m) => (
          <li key={m.id} className="panel">
            <h2 className="mail-subject">{m.subject}</h2>
            <p className="hint">
              {t("outbox.to", { to: m.to_address })} · {format.date(m.created_at, true)} ·{" "}
              {t(`outbox.status.${m.status}`)}
            </p>
            {m.body_text ? <pre className="mail-body">{m.body_text}</pre> : null}
            {m.error ? <p className="field-error">{m.error}</p> : null}
          </li>
        ))}
      </ol>
    </div>
  );
}

import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { SubmitButton } from "~/components/forms";
import { useFormat, useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { authorize, requireActor } from "~/server/http/guards.server";
import { checkRecordsFor, countRecords } from "~/server/learning/records.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "records.title");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  authorize(actor, "records.verify");
  return { counts: await countRecords(context.app.db) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(context, request);
  authorize(actor, "records.verify");
  const { at, ...report } = await checkRecordsFor(context.app.db, actor.id);
  return { report, at: at.toISOString() };
}

export default function Records() {
  const t = useT();
  const format = useFormat();
  const { counts } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <div className="narrow">
      <h1>{t("records.title")}</h1>
      <p className="lead">{t("records.lead")}</p>
      <p>{t("records.counts", { modules: counts.module, courses: counts.course })}</p>
      {result ? (
        result.report.ok ? (
          <p className="alert alert-success" role="status">
            {t("records.ok", { n: result.report.checked, time: format.date(result.at, true) })}
          </p>
        ) : (
          <p className="alert alert-error" role="status">
            {t("records.broken", {
              seq: result.report.seq,
              id: result.report.id,
              reason: t(`records.reason.${result.report.reason === "content changed" ? "content" : "chain"}`),
              n: result.report.checked,
            })}
          </p>
        )
      ) : null}
      <Form method="post">
        <SubmitButton>{t("records.verify")}</SubmitButton>
      </Form>
      <p className="hint">{t("records.cli")}</p>
    </div>
  );
}

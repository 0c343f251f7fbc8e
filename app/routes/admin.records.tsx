import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { SubmitButton } from "~/components/forms";
import { useFormat, useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { checkAuditFor } from "~/server/audit.server";
import { CHAIN_REASONS } from "~/components/chain-reasons";
import type { ChainReport } from "~/server/chain/verify.server";
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
  const { at, ...records } = await checkRecordsFor(context.app.db, actor.id);
  const { at: _at, ...auditTrail } = await checkAuditFor(context.app.db, actor.id);
  return { records, audit: auditTrail, at: at.toISOString() };
}

function Result({ report, kind, at }: { report: ChainReport; kind: "records" | "audit"; at: string }) {
  const t = useT();
  const format = useFormat();
  const m = report.firstMismatch;
  return (
    <div className={`alert ${m ? "alert-error" : "alert-success"}`} role="status">
      <p>
        {m
          ? t(kind === "records" ? "records.broken" : "records.auditBroken", {
              seq: m.seq,
              id: m.id ?? "—",
              reason: t(CHAIN_REASONS[m.reason]),
              n: report.checked,
            })
          : t(kind === "records" ? "records.ok" : "records.auditOk", {
              n: report.checked,
              time: format.date(at, true),
            })}
      </p>
      <p>
        {report.checkpoint
          ? t("records.checkpoint", { time: format.date(report.checkpoint.at, true), seq: report.checkpoint.seq })
          : t("records.noCheckpoint")}
        {report.legacy ? ` ${t("records.legacy", { n: report.legacy })}` : null}
      </p>
    </div>
  );
}

export default function Records() {
  const t = useT();
  const { counts } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <div className="narrow">
      <h1>{t("records.title")}</h1>
      <p className="lead">{t("records.lead")}</p>
      <p>{t("records.counts", { modules: counts.module, courses: counts.course })}</p>
      {result ? (
        <>
          <Result report={result.records} kind="records" at={result.at} />
          <Result report={result.audit} kind="audit" at={result.at} />
        </>
      ) : null}
      <Form method="post">
        <SubmitButton>{t("records.verify")}</SubmitButton>
      </Form>
      <p className="hint">{t("records.cli")}</p>
    </div>
  );
}

import { chainReasonKey } from "~/components/chain-reasons";
// The integrity check of one agency's completion records: a reviewer runs it on their own agency,
// an admin on any. The page shows the last run (when, by whom, what it found), read back from the
// audit trail, so it reads the same after a reload and without JavaScript.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { SubmitButton } from "~/components/forms";
import { useFormat, useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { can } from "~/server/auth/policy.server";
import { id } from "~/server/http/fields.server";
import { authorize, invalid, notFound, readForm, requireActor } from "~/server/http/guards.server";
import { queryObject } from "~/server/review/filters.server";
import { agencyRecordCount, checkAgencyRecords, lastAgencyCheck } from "~/server/review/integrity.server";
import { listAgencies } from "~/server/org/agencies.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "review.integrity.title");

const Query = z.object({ agency: id.optional() });

/** The agency the page is about: the reader's own unless an admin picks another. */
async function agencyAt(request: Request, context: LoaderFunctionArgs["context"], requested: string | undefined) {
  const actor = await requireActor(context, request);
  const agencyId = requested ?? actor.agencyId;
  authorize(actor, "records.check", { agencyId });
  const agency = (await agencyRecordCount(context.app.db, agencyId)) ?? notFound();
  return { actor, agency };
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const raw = queryObject(new URL(request.url));
  const parsed = raw ? Query.safeParse(raw) : null;
  if (!parsed?.success) {
    await requireActor(context, request);
    throw invalid({ _form: "errors.invalid" });
  }
  const { actor, agency } = await agencyAt(request, context, parsed.data.agency);
  const isAdmin = can(actor, "agency.manage");
  return {
    agency: { id: agency.id, name: agency.name, records: Number(agency.records ?? 0) },
    last: await lastAgencyCheck(context.app.db, agency.id),
    agencies: isAdmin ? (await listAgencies(context.app.db)).map((a) => ({ id: a.id, name: a.name })) : [],
    isAdmin,
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  await requireActor(context, request);
  const form = await readForm(request, z.object({ agency: id }));
  if (!form.ok) throw invalid(form.errors);
  const { actor, agency } = await agencyAt(request, context, form.data.agency);
  await checkAgencyRecords(context.app.db, { actorId: actor.id, agencyId: agency.id });
  return { checked: true };
}

export default function Integrity() {
  const t = useT();
  const format = useFormat();
  const { agency, last, agencies, isAdmin } = useLoaderData<typeof loader>();
  const reason = (r: string) => t(chainReasonKey(r));
  return (
    <div className="narrow">
      <h1>{t("review.integrity.title")}</h1>
      <p className="lead">{t("review.integrity.lead")}</p>
      {agencies.length > 0 ? (
        <Form method="get" className="filters">
          <div className="field">
            <label htmlFor="agency">{t("review.integrity.agency")}</label>
            <select id="agency" name="agency" defaultValue={agency.id}>
              {agencies.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          </div>
          <button type="submit" className="button button-secondary">
            {t("review.integrity.choose")}
          </button>
        </Form>
      ) : null}
      <p>{t("review.integrity.count", { agency: agency.name, n: agency.records })}</p>
      <div role="status" aria-live="polite">
        {last === null ? (
          <p>{t("review.integrity.never")}</p>
        ) : last.firstMismatch ? (
          <p className="alert alert-error">
            {t("review.integrity.lastBroken", {
              time: format.date(last.at, true),
              name: last.by,
              seq: last.firstMismatch.seq,
              id: last.firstMismatch.id ?? "—",
              reason: reason(last.firstMismatch.reason),
              n: last.checked,
            })}
          </p>
        ) : (
          <p className="alert alert-success">
            {t("review.integrity.lastOk", { time: format.date(last.at, true), name: last.by, n: last.checked })}
          </p>
        )}
      </div>
      <Form method="post">
        <input type="hidden" name="agency" value={agency.id} />
        <SubmitButton>{t("review.integrity.run")}</SubmitButton>
      </Form>
      <p className="hint">{t("review.integrity.limits")}</p>
      {isAdmin ? <p className="hint">{t("review.integrity.fullChain")}</p> : null}
    </div>
  );
}

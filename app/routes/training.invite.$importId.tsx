// Bulk invitation, step 2: the preview of an uploaded file, row by row, and its confirmation. The
// confirmation carries only the upload's id: the server re-reads the file it kept and checks every
// row again; any error and nothing is imported.
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { Facts } from "~/components/facts";
import { FormAlert, SubmitButton } from "~/components/forms";
import { useFormat, useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { parseIdParam } from "~/server/http/fields.server";
import { fromDomainError, notFound, requireActor } from "~/server/http/guards.server";
import { confirmImport, previewImport, type ImportView } from "~/server/invitations/bulk-import.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "bulkInvite.previewTitle");

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  const importId = parseIdParam(params.importId);
  if (!importId) notFound();
  try {
    return { view: await previewImport(context.app.db, actor, importId) };
  } catch (error) {
    return fromDomainError(error);
  }
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const actor = await requireActor(context, request);
  const importId = parseIdParam(params.importId);
  if (!importId) notFound();
  const { app } = context;
  try {
    const result = await confirmImport(app.db, app.mailer, app.config.publicUrl, actor, importId);
    switch (result.kind) {
      case "imported":
        return redirect(`/training/invite/${importId}?done=${result.delivery}`);
      case "replayed":
        return redirect(`/training/invite/${importId}?done=again`);
      case "expired":
        return redirect(`/training/invite/${importId}`);
      case "refused":
        return data({ ok: false as const, refused: true as const, view: result.view }, { status: 409 });
    }
  } catch (error) {
    return fromDomainError(error);
  }
}

const OUTCOMES = ["invite", "invited", "member", "error"] as const;

export default function BulkInvitePreview() {
  const t = useT();
  const format = useFormat();
  const loaded = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  const [search] = useSearchParams();
  const done = search.get("done");
  const refusedNow = acted && "refused" in acted ? acted : undefined;
  const problem = acted && !("refused" in acted) ? acted : undefined;
  const view = (refusedNow?.view ?? ("view" in loaded ? loaded.view : undefined)) as
    | (Omit<ImportView, "createdAt" | "expiresAt" | "confirmedAt" | "importedBefore"> & {
        createdAt: string | Date;
        expiresAt: string | Date;
        confirmedAt: string | Date | null;
        importedBefore: string | Date | null;
      })
    | undefined;
  if (!view) return null;
  return (
    <div>
      <p>
        <Link to="/training/invite">{t("bulkInvite.uploadAnother")}</Link>
      </p>
      <h1>{t("bulkInvite.previewTitle")}</h1>
      <Facts
        items={[
          [t("bulkInvite.encoding"), t(`bulkInvite.encodings.${view.encoding}`)],
          [t("bulkInvite.uploaded"), format.date(view.createdAt, true)],
          ...(view.status === "previewed"
            ? ([[t("bulkInvite.expires"), format.date(view.expiresAt, true)]] as [string, string][])
            : []),
        ]}
      />
      {view.importedBefore && view.status === "previewed" ? (
        <p className="alert alert-info" role="status">
          {t("bulkInvite.importedBefore", { date: format.date(view.importedBefore, true) })}
        </p>
      ) : null}
      <FormAlert state={problem} />
      {view.status === "confirmed" ? (
        <section className="alert alert-success" role="status" aria-labelledby="done-heading">
          <h2 id="done-heading">{t(done === "again" ? "bulkInvite.doneAgainTitle" : "bulkInvite.doneTitle")}</h2>
          <p>
            {t("bulkInvite.doneCounts", {
              invite: view.counts.invite,
              invited: view.counts.invited,
              member: view.counts.member,
            })}
          </p>
          {done === "kept" ? <p>{t("bulkInvite.kept")}</p> : null}
          <p>
            <Link to="/training">{t("bulkInvite.back")}</Link>
          </p>
        </section>
      ) : null}
      {view.status === "expired" ? (
        <p className="alert alert-error" role="alert">
          {t("bulkInvite.expired")}
        </p>
      ) : null}
      {view.status === "previewed" ? (
        <>
          <ul className="counts">
            {OUTCOMES.map((o) => (
              <li key={o}>{t(`bulkInvite.count.${o}`, { n: view.counts[o] })}</li>
            ))}
          </ul>
          {view.counts.error > 0 ? (
            <p className="alert alert-error" role="alert">
              {t(refusedNow ? "bulkInvite.refused" : "bulkInvite.hasErrors", { n: view.counts.error })}
            </p>
          ) : view.counts.invite === 0 ? (
            <p className="alert alert-info" role="status">
              {t("bulkInvite.nothingToDo")}
            </p>
          ) : null}
          {view.counts.error === 0 ? (
            <Form method="post">
              <SubmitButton>{t("bulkInvite.confirm", { n: view.counts.invite })}</SubmitButton>
            </Form>
          ) : null}
          <div className="table-scroll">
            <table className="table">
              <caption>{t("bulkInvite.caption", { n: view.rows.length })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("bulkInvite.line")}</th>
                  <th scope="col">{t("bulkInvite.columns.name")}</th>
                  <th scope="col">{t("bulkInvite.columns.email")}</th>
                  <th scope="col">{t("bulkInvite.columns.profession")}</th>
                  <th scope="col">{t("bulkInvite.columns.group")}</th>
                  <th scope="col">{t("bulkInvite.outcome")}</th>
                </tr>
              </thead>
              <tbody>
                {view.rows.map((r) => (
                  <tr key={r.line} className={r.outcome === "error" ? "row-error" : undefined}>
                    <th scope="row">{r.line}</th>
                    <td>{r.name}</td>
                    <td>{r.email}</td>
                    <td>{r.profession ? t(`professions.${r.profession}`) : r.professionText}</td>
                    <td>{r.group}</td>
                    <td>
                      {r.outcome === "error" ? (
                        <ul className="row-problems">
                          {r.problems.map((p) => (
                            <li key={p}>{t(`errors.import.row.${p}`)}</li>
                          ))}
                        </ul>
                      ) : (
                        t(`bulkInvite.outcomes.${r.outcome}`)
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </div>
  );
}

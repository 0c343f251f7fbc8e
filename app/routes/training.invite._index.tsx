// Bulk invitation, step 1: upload a CSV file (name, e-mail, profession, group). A file that can be
// read is kept server-side and its preview opens; one that cannot is refused whole, with why.
import { data, redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { ErrorSummary, SubmitButton } from "~/components/forms";
import { useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { PROFESSIONS } from "../../db/schema";
import { IMPORT_MAX_BYTES, IMPORT_MAX_ROWS } from "~/server/invitations/csv-file.server";
import { importGroups, mayImport, uploadImport } from "~/server/invitations/bulk-import.server";
import { forbidden, fromDomainError, requireActor } from "~/server/http/guards.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "bulkInvite.title");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  if (!mayImport(actor)) forbidden();
  const groups = await importGroups(context.app.db, actor);
  return { groups: groups.map((g) => g.name), maxRows: IMPORT_MAX_ROWS, maxMegabytes: IMPORT_MAX_BYTES / 1024 / 1024 };
}

const tooLarge = () => data({ messageKey: "errors.import.file.tooLarge" }, { status: 413 });

function refused(key: string, params?: Record<string, string>) {
  return data(
    { ok: false as const, errors: { _form: key }, values: {}, ...(params ? { params } : {}) },
    { status: 400 },
  );
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(context, request);
  if (!mayImport(actor)) forbidden();
  // The size is known from the part before the file is decoded or parsed.
  let file: FormDataEntryValue | null;
  try {
    file = (await request.formData()).get("file");
  } catch {
    return refused("errors.import.file.missing");
  }
  if (file === null || typeof file === "string" || file.size === 0) return refused("errors.import.file.missing");
  if (file.size > IMPORT_MAX_BYTES) throw tooLarge();
  let result;
  try {
    result = await uploadImport(context.app.db, actor, new Uint8Array(await file.arrayBuffer()));
  } catch (error) {
    return fromDomainError(error);
  }
  if (result.ok) return redirect(`/training/invite/${result.importId}`);
  if (result.problem === "tooLarge") throw tooLarge();
  return refused(`errors.import.file.${result.problem}`, result.detail ? { detail: result.detail } : undefined);
}

export default function BulkInvite() {
  const t = useT();
  const d = useLoaderData<typeof loader>();
  const state = useActionData<typeof action>();
  return (
    <div className="narrow">
      <p>
        <Link to="/training">{t("bulkInvite.back")}</Link>
      </p>
      <h1>{t("bulkInvite.title")}</h1>
      <p className="lead">{t("bulkInvite.lead")}</p>
      <ErrorSummary state={state} />
      <Form method="post" encType="multipart/form-data" className="stack" noValidate>
        <div className={state ? "field has-error" : "field"}>
          <label htmlFor="file">{t("bulkInvite.file")}</label>
          <input
            id="file"
            name="file"
            type="file"
            accept=".csv,text/csv"
            required
            aria-invalid={state ? true : undefined}
            aria-describedby="file-hint"
          />
          <p className="hint" id="file-hint">
            {t("bulkInvite.fileHint", { rows: d.maxRows, size: `${d.maxMegabytes} MB` })}
          </p>
        </div>
        <SubmitButton>{t("bulkInvite.upload")}</SubmitButton>
      </Form>
      <section aria-labelledby="format-heading" className="panel">
        <h2 id="format-heading">{t("bulkInvite.formatTitle")}</h2>
        <p>{t("bulkInvite.format")}</p>
        <table className="table">
          <caption>{t("bulkInvite.columnsCaption")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("bulkInvite.column")}</th>
              <th scope="col">{t("bulkInvite.header")}</th>
              <th scope="col">{t("bulkInvite.contents")}</th>
            </tr>
          </thead>
          <tbody>
            {(["name", "email", "profession", "group"] as const).map((c) => (
              <tr key={c}>
                <th scope="row">{t(`bulkInvite.columns.${c}`)}</th>
                <td>
                  <code>{t(`bulkInvite.headers.${c}`)}</code>
                </td>
                <td>{t(`bulkInvite.explain.${c}`)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p>
          <a href="/training/invite/sample.csv" download>
            {t("bulkInvite.sample")}
          </a>
        </p>
        <h3>{t("bulkInvite.professionsTitle")}</h3>
        <ul className="link-list">
          {PROFESSIONS.map((p) => (
            <li key={p}>
              {t(`professions.${p}`)} (<code>{p}</code>)
            </li>
          ))}
        </ul>
        <h3>{t("bulkInvite.groupsTitle")}</h3>
        {d.groups.length === 0 ? (
          <p>{t("training.noGroups")}</p>
        ) : (
          <ul className="link-list">
            {d.groups.map((g) => (
              <li key={g}>{g}</li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { ErrorSummary, Field, SelectField, SubmitButton } from "~/components/forms";
import { useFormat, useT } from "~/components/i18n";
import { agencyKindOptions } from "~/components/options";
import { pageTitle } from "~/components/page-title";
import { agencyKind, shortName } from "~/server/http/fields.server";
import { authorize, fromDomainError, invalid, readForm, requireActor } from "~/server/http/guards.server";
import { createAgency, listAgencies } from "~/server/org/agencies.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "admin.agencies");

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  authorize(actor, "agency.manage");
  return { agencies: await listAgencies(context.app.db) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(context, request);
  authorize(actor, "agency.manage");
  const form = await readForm(request, z.object({ name: shortName, kind: agencyKind }));
  if (!form.ok) return invalid(form.errors, form.values);
  try {
    const agency = await createAgency(context.app.db, actor.id, form.data);
    return redirect(`/admin/agencies/${agency.id}?created=1`);
  } catch (error) {
    return fromDomainError(error, form.values);
  }
}

export default function Agencies() {
  const t = useT();
  const format = useFormat();
  const { agencies } = useLoaderData<typeof loader>();
  const state = useActionData<typeof action>();
  return (
    <div>
      <h1>{t("admin.agencies")}</h1>
      <table className="table">
        <caption className="visually-hidden">{t("admin.agencies")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("fields.agencyName")}</th>
            <th scope="col">{t("fields.agencyKind")}</th>
            <th scope="col" className="num">
              {t("admin.members")}
            </th>
          </tr>
        </thead>
        <tbody>
          {agencies.map((a) => (
            <tr key={a.id}>
              <td>
                <Link to={`/admin/agencies/${a.id}`}>{a.name}</Link>
              </td>
              <td>{t(`agencyKinds.${a.kind}`)}</td>
              <td className="num">{format.number(Number(a.members ?? 0))}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <section aria-labelledby="new-agency" className="panel narrow">
        <h2 id="new-agency">{t("admin.newAgency")}</h2>
        <ErrorSummary state={state} />
        <Form method="post" className="stack" noValidate>
          <Field name="name" label={t("fields.agencyName")} required state={state} />
          <SelectField name="kind" label={t("fields.agencyKind")} options={agencyKindOptions(t)} state={state} />
          <SubmitButton>{t("actions.create")}</SubmitButton>
        </Form>
      </section>
    </div>
  );
}

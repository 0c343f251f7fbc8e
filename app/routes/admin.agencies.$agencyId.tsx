import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { ErrorSummary, Field, SelectField, SubmitButton } from "~/components/forms";
import { useFormat, useT } from "~/components/i18n";
import { agencyKindOptions, groupKindOptions } from "~/components/options";
import { pageTitle } from "~/components/page-title";
import { can } from "~/server/auth/policy.server";
import { agencyKind, groupKind, parseIdParam, shortName } from "~/server/http/fields.server";
import { authorize, fromDomainError, invalid, notFound, readForm, requireActor } from "~/server/http/guards.server";
import { createGroup, getAgency, listGroups, updateAgency } from "~/server/org/agencies.server";
import { trainerNamesByGroup } from "~/server/training/group-trainers.server";

export const meta: MetaFunction<typeof loader> = ({ matches, data }) =>
  pageTitle(matches, "agency.title", { name: data?.agency.name ?? "" });

async function loadAgency(params: { agencyId?: string }, context: LoaderFunctionArgs["context"]) {
  const id = parseIdParam(params.agencyId);
  const agency = id ? await getAgency(context.app.db, id) : undefined;
  return agency ?? notFound();
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  const agency = await loadAgency(params, context);
  const target = { agencyId: agency.id };
  if (!can(actor, "agency.manage") && !can(actor, "group.manage", target) && !can(actor, "progress.view", target)) {
    authorize(actor, "agency.manage");
  }
  const trainers = await trainerNamesByGroup(context.app.db, agency.id);
  return {
    agency,
    groups: (await listGroups(context.app.db, agency.id)).map((g) => ({ ...g, trainers: trainers.get(g.id) ?? [] })),
    canEdit: can(actor, "agency.manage"),
    canManageGroups: can(actor, "group.manage", target),
  };
}

const AgencyAction = z.discriminatedUnion(
  "intent",
  [
    z.object({ intent: z.literal("rename"), name: shortName, kind: agencyKind }),
    z.object({ intent: z.literal("createGroup"), groupName: shortName, groupKind }),
  ],
  { error: "errors.invalid" },
);

export async function action({ request, params, context }: ActionFunctionArgs) {
  const actor = await requireActor(context, request);
  const agency = await loadAgency(params, context);
  const form = await readForm(request, AgencyAction);
  if (!form.ok) return invalid(form.errors, form.values);
  try {
    if (form.data.intent === "rename") {
      authorize(actor, "agency.manage");
      await updateAgency(context.app.db, actor.id, agency.id, { name: form.data.name, kind: form.data.kind });
      return redirect(`/admin/agencies/${agency.id}?saved=1`);
    }
    authorize(actor, "group.manage", { agencyId: agency.id });
    await createGroup(context.app.db, actor.id, {
      agencyId: agency.id,
      name: form.data.groupName,
      kind: form.data.groupKind,
    });
    return redirect(`/admin/agencies/${agency.id}?saved=1`);
  } catch (error) {
    return fromDomainError(error, form.values);
  }
}

export default function AgencyPage() {
  const t = useT();
  const format = useFormat();
  const { agency, groups, canEdit, canManageGroups } = useLoaderData<typeof loader>();
  const state = useActionData<typeof action>();
  const [params] = useSearchParams();
  const intent = state?.values?.intent;
  return (
    <div>
      <p className="breadcrumb">{canEdit ? <Link to="/admin/agencies">{t("admin.agencies")}</Link> : null}</p>
      <h1>{agency.name}</h1>
      <p className="lead">{t(`agencyKinds.${agency.kind}`)}</p>
      {params.has("saved") || params.has("created") ? (
        <p className="alert alert-success" role="status">
          {t("actions.saved")}
        </p>
      ) : null}
      <p>
        <Link to={`/admin/users?agency=${agency.id}`}>{t("agency.people")}</Link>
      </p>
      <section aria-labelledby="groups-heading" className="panel">
        <h2 id="groups-heading">{t("agency.groups")}</h2>
        {groups.length === 0 ? (
          <p>{t("agency.noGroups")}</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t("fields.groupName")}</th>
                <th scope="col">{t("fields.groupKind")}</th>
                <th scope="col">{t("agency.trainers")}</th>
                <th scope="col" className="num">
                  {t("admin.members")}
                </th>
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => (
                <tr key={g.id}>
                  <td>{g.name}</td>
                  <td>{t(`groupKinds.${g.kind}`)}</td>
                  <td>{g.trainers.length ? format.list(g.trainers) : t("agency.noTrainer")}</td>
                  <td className="num">{format.number(Number(g.members ?? 0))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {canManageGroups ? (
          <>
            <h3>{t("agency.newGroup")}</h3>
            {intent === "createGroup" ? <ErrorSummary state={state} /> : null}
            <Form method="post" className="stack narrow" noValidate>
              <input type="hidden" name="intent" value="createGroup" />
              <Field
                name="groupName"
                label={t("fields.groupName")}
                required
                state={intent === "createGroup" ? state : undefined}
              />
              <SelectField name="groupKind" label={t("fields.groupKind")} options={groupKindOptions(t)} />
              <SubmitButton>{t("actions.create")}</SubmitButton>
            </Form>
          </>
        ) : null}
      </section>
      {canEdit ? (
        <section aria-labelledby="edit-heading" className="panel narrow">
          <h2 id="edit-heading">{t("agency.edit")}</h2>
          {intent === "rename" ? <ErrorSummary state={state} /> : null}
          <Form method="post" className="stack" noValidate>
            <input type="hidden" name="intent" value="rename" />
            <Field
              name="name"
              label={t("fields.agencyName")}
              defaultValue={agency.name}
              required
              state={intent === "rename" ? state : undefined}
            />
            <SelectField
              name="kind"
              label={t("fields.agencyKind")}
              defaultValue={agency.kind}
              options={agencyKindOptions(t)}
            />
            <SubmitButton>{t("actions.save")}</SubmitButton>
          </Form>
        </section>
      ) : null}
    </div>
  );
}

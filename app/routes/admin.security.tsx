import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { ErrorSummary, SubmitButton } from "~/components/forms";
import { useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { ROLES } from "../../db/schema";
import { requiredRoles, setRequiredRoles } from "~/server/auth/mfa.server";
import { role } from "~/server/http/fields.server";
import { authorize, invalid, readForm, requireActor } from "~/server/http/guards.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "security.title");

const SecurityForm = z.object({ roles: z.union([role, z.array(role)]).optional() });

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  authorize(actor, "user.manage");
  return { required: await requiredRoles(context.app.db) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(context, request);
  authorize(actor, "user.manage");
  const form = await readForm(request, SecurityForm);
  if (!form.ok) return invalid(form.errors, form.values);
  const roles = form.data.roles === undefined ? [] : [form.data.roles].flat();
  await setRequiredRoles(context.app.db, actor.id, [...new Set(roles)]);
  return redirect("/admin/security?saved=1");
}

export default function Security() {
  const t = useT();
  const { required } = useLoaderData<typeof loader>();
  const state = useActionData<typeof action>();
  const [params] = useSearchParams();
  return (
    <div className="narrow">
      <p className="breadcrumb">
        <Link to="/admin">{t("admin.title")}</Link>
      </p>
      <h1>{t("security.title")}</h1>
      {params.get("saved") ? (
        <p className="alert alert-success" role="status">
          {t("security.saved")}
        </p>
      ) : null}
      <ErrorSummary state={state} />
      <p>{t("security.lead")}</p>
      <Form method="post" className="stack">
        <fieldset>
          <legend>{t("security.legend")}</legend>
          <p className="hint">{t("security.recommended")}</p>
          {ROLES.map((r) => (
            <div className="checkbox" key={r}>
              <input type="checkbox" id={`require-${r}`} name="roles" value={r} defaultChecked={required.includes(r)} />
              <label htmlFor={`require-${r}`}>{t(`roles.${r}`)}</label>
            </div>
          ))}
        </fieldset>
        <SubmitButton>{t("actions.save")}</SubmitButton>
      </Form>
    </div>
  );
}

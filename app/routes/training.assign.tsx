import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { ErrorSummary, Field, SelectField, SubmitButton } from "~/components/forms";
import { useT } from "~/components/i18n";
import { useLocalised } from "~/components/localised";
import { professionOptions } from "~/components/options";
import { pageTitle } from "~/components/page-title";
import { agencyOfAudience, assign } from "~/server/assignments/assign.server";
import { assignChoices } from "~/server/assignments/views.server";
import { scopeFor } from "~/server/auth/scope.server";
import { id, profession } from "~/server/http/fields.server";
import { forbidden, fromDomainError, invalid, readForm, requireActor } from "~/server/http/guards.server";
import { DATE_PATTERN } from "~/server/shared/days.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "training.assignTitle");

const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === "" || v === undefined ? undefined : v), schema.optional());

const AssignForm = z
  .object({
    what: z.string().regex(/^(course|module):[a-z0-9-]{1,80}$/, { error: "errors.assign.what" }),
    audience: z.enum(["group", "people", "profession"], { error: "errors.invalid" }),
    groupId: optional(id),
    profession: optional(profession),
    userIds: optional(z.union([id, z.array(id).max(1000)])),
    dueKind: z.enum(["on", "days"], { error: "errors.invalid" }),
    dueOn: optional(z.string().regex(DATE_PATTERN, { error: "errors.assign.dueOn" })),
    dueDays: optional(z.coerce.number({ error: "errors.assign.dueDays" }).int().min(1).max(3650)),
    remindDays: z
      .string()
      .max(40)
      .regex(/^\s*(\d{1,3}\s*(,\s*\d{1,3}\s*)*)?$/, { error: "errors.assign.remindDays" }),
    recurs: optional(z.literal("on")),
    note: optional(z.string().max(1000, { error: "errors.invalid" })),
  })
  .superRefine((f, ctx) => {
    if (f.dueKind === "on" && !f.dueOn)
      ctx.addIssue({ code: "custom", path: ["dueOn"], message: "errors.assign.dueOn" });
    if (f.dueKind === "days" && !f.dueDays)
      ctx.addIssue({ code: "custom", path: ["dueDays"], message: "errors.assign.dueDays" });
    if (f.audience === "group" && !f.groupId)
      ctx.addIssue({ code: "custom", path: ["groupId"], message: "errors.assign.group" });
    if (f.audience === "people" && !f.userIds)
      ctx.addIssue({ code: "custom", path: ["userIds"], message: "errors.assign.people" });
    if (f.audience === "profession" && !f.profession)
      ctx.addIssue({ code: "custom", path: ["profession"], message: "errors.assign.profession" });
  });

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  if (scopeFor(actor, "course.assign").kind === "none") forbidden();
  return assignChoices(context.app.db, actor);
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(context, request);
  if (scopeFor(actor, "course.assign").kind === "none") forbidden();
  const form = await readForm(request, AssignForm);
  if (!form.ok) return invalid(form.errors, form.values);
  const f = form.data;
  const [kind, slug] = f.what.split(":") as ["course" | "module", string];
  const userIds = f.userIds === undefined ? undefined : Array.isArray(f.userIds) ? f.userIds : [f.userIds];
  const remindDays = f.remindDays
    .split(",")
    .map((d) => d.trim())
    .filter(Boolean)
    .map(Number);
  if (remindDays.some((d) => d < 1 || d > 365)) return invalid({ remindDays: "errors.assign.remindDays" }, form.values);
  try {
    const db = context.app.db;
    // The agency is the group's, or the people's; an agency-wide assignment is for the reader's own.
    const agencyId = await agencyOfAudience(
      db,
      {
        groupId: f.audience === "group" ? f.groupId : undefined,
        userIds: f.audience === "people" ? userIds : undefined,
      },
      actor.agencyId,
    );
    const assignmentId = await assign(db, actor, {
      agencyId,
      courseSlug: kind === "course" ? slug : undefined,
      moduleSlug: kind === "module" ? slug : undefined,
      audience: f.audience,
      groupId: f.groupId,
      profession: f.profession,
      userIds,
      due: f.dueKind === "on" ? { on: f.dueOn! } : { days: f.dueDays! },
      remindDays: remindDays.length > 0 ? remindDays : [],
      recurs: f.recurs === "on",
      note: f.note,
    });
    return redirect(`/training/assignments/${assignmentId}?created=1`);
  } catch (error) {
    return fromDomainError(error, form.values);
  }
}

export default function Assign() {
  const t = useT();
  const pick = useLocalised();
  const d = useLoaderData<typeof loader>();
  const state = useActionData<typeof action>();
  const v = state?.values ?? {};
  const content = [
    ...d.courses.map((c) => ({
      value: `course:${c.slug}`,
      label: t("training.course", { title: pick(c.title).text }),
    })),
    ...d.modules.map((m) => ({
      value: `module:${m.slug}`,
      label: t("training.module", { title: pick(m.title).text }),
    })),
  ];
  const err = (name: string) => state?.errors?.[name];
  return (
    <div className="narrow">
      <h1>{t("training.assignTitle")}</h1>
      <p className="lead">{t("training.assignLead")}</p>
      <ErrorSummary state={state} />
      <Form method="post" className="stack" noValidate>
        <SelectField name="what" label={t("training.what")} options={content} state={state} />
        <fieldset className="field">
          <legend>{t("training.audience")}</legend>
          {(["group", "people", ...(d.agencyWide ? ["profession"] : [])] as const).map((a) => (
            <label key={a} className="choice">
              <input type="radio" name="audience" value={a} defaultChecked={(v.audience ?? "group") === a} />{" "}
              {a === "group" ? t("training.group") : a === "people" ? t("training.toPeople") : t("training.profession")}
            </label>
          ))}
        </fieldset>
        <SelectField
          name="groupId"
          label={t("training.group")}
          options={d.groups.map((g) => ({ value: g.id, label: g.name }))}
          state={state}
        />
        <div className={err("userIds") ? "field has-error" : "field"}>
          <label htmlFor="userIds">{t("training.peopleField")}</label>
          <select
            id="userIds"
            name="userIds"
            multiple
            size={8}
            aria-invalid={err("userIds") ? true : undefined}
            aria-describedby={err("userIds") ? "userIds-error" : undefined}
          >
            {d.people.map((p) => (
              <option key={p.id} value={p.id}>
                {p.display_name}
              </option>
            ))}
          </select>
          {err("userIds") ? (
            <p className="field-error" id="userIds-error">
              {t(err("userIds")!)}
            </p>
          ) : null}
        </div>
        {d.agencyWide ? (
          <SelectField
            name="profession"
            label={t("training.profession")}
            options={professionOptions(t)}
            state={state}
          />
        ) : null}
        <fieldset className="field">
          <legend>{t("training.dueKind")}</legend>
          <label className="choice">
            <input type="radio" name="dueKind" value="on" defaultChecked={(v.dueKind ?? "on") === "on"} />{" "}
            {t("training.dueKindOn")}
          </label>
          <label className="choice">
            <input type="radio" name="dueKind" value="days" defaultChecked={v.dueKind === "days"} />{" "}
            {t("training.dueKindDays")}
          </label>
        </fieldset>
        <Field name="dueOn" type="date" label={t("training.dueOnField")} state={state} />
        <Field name="dueDays" type="number" label={t("training.dueDaysField")} state={state} />
        <Field
          name="remindDays"
          label={t("training.remindDays")}
          hint={t("training.remindHint")}
          defaultValue="7, 1"
          state={state}
        />
        <label className="choice">
          <input type="checkbox" name="recurs" value="on" defaultChecked={v.recurs === "on"} />{" "}
          {t("training.recursField")}
        </label>
        <div className="field">
          <label htmlFor="note">{t("training.note")}</label>
          <textarea id="note" name="note" rows={3} maxLength={1000} defaultValue={v.note ?? ""} />
        </div>
        <SubmitButton>{t("training.submit")}</SubmitButton>
      </Form>
    </div>
  );
}

import { redirect, type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { z } from "zod";
import { Facts } from "~/components/facts";
import { ErrorSummary, Field, SelectField, SubmitButton } from "~/components/forms";
import { useFormat, useT } from "~/components/i18n";
import { pageTitle } from "~/components/page-title";
import { ROLES } from "../../db/schema";
import { can } from "~/server/auth/policy.server";
import { countSessions, endSessionsOf } from "~/server/auth/session-list.server";
import { IDENTITY_PROOFS, removeSecondFactorOf, secondFactorStatus } from "~/server/auth/mfa.server";
import { hasNoControlCharacters, id, parseIdParam, role } from "~/server/http/fields.server";
import { authorize, fromDomainError, invalid, notFound, readForm, requireActor } from "~/server/http/guards.server";
import { listAgencies, listGroups, setGroupMembership } from "~/server/org/agencies.server";
import { getUser, moveUser, setDisabled, setRoles } from "~/server/org/users.server";
import { setGroupTrainer, trainedGroups } from "~/server/training/group-trainers.server";

export const meta: MetaFunction<typeof loader> = ({ matches, data }) =>
  pageTitle(matches, "user.title", { name: data?.user.display_name ?? "" });

async function loadUser(params: { userId?: string }, context: LoaderFunctionArgs["context"]) {
  const userId = parseIdParam(params.userId);
  const user = userId ? await getUser(context.app.db, userId) : undefined;
  return user ?? notFound();
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const actor = await requireActor(context, request);
  const user = await loadUser(params, context);
  authorize(actor, "progress.view", {
    agencyId: user.agency_id,
    userId: user.id,
    groupIds: user.groups.map((g) => g.id),
  });
  const canManage = can(actor, "user.manage");
  const canGroups = can(actor, "group.manage", { agencyId: user.agency_id });
  const db = context.app.db;
  return {
    user,
    self: actor.id === user.id,
    canManage,
    canGroups,
    agencies: canManage ? (await listAgencies(db)).map((a) => ({ value: a.id, label: a.name })) : [],
    groups: canGroups ? await listGroups(db, user.agency_id) : [],
    trains: user.roles.includes("trainer") ? await trainedGroups(db, user.id) : [],
    sessionCount: canManage ? await countSessions(db, user.id) : 0,
    secondFactor: canManage ? await secondFactorStatus(db, user.id) : null,
    identityProofs: IDENTITY_PROOFS,
  };
}

const UserAction = z.discriminatedUnion(
  "intent",
  [
    z.object({ intent: z.literal("roles"), roles: z.union([role, z.array(role)]).optional() }),
    z.object({ intent: z.literal("move"), agencyId: id }),
    z.object({ intent: z.literal("disable") }),
    z.object({ intent: z.literal("enable") }),
    z.object({ intent: z.literal("endSessions") }),
    z.object({
      intent: z.literal("removeSecondFactor"),
      identityProof: z.enum(IDENTITY_PROOFS, { error: "errors.identityProof.method" }),
      reason: z
        .string({ error: "errors.identityProof.reason" })
        .trim()
        .min(5, { error: "errors.identityProof.reason" })
        .max(300, { error: "errors.identityProof.reasonTooLong" })
        .refine(hasNoControlCharacters, { error: "errors.identityProof.reason" }),
      identityConfirmed: z.literal("yes", { error: "errors.identityProof.confirm" }),
    }),
    z.object({ intent: z.literal("joinGroup"), groupId: id }),
    z.object({ intent: z.literal("leaveGroup"), groupId: id }),
    z.object({ intent: z.literal("trainGroup"), groupId: id }),
    z.object({ intent: z.literal("stopTraining"), groupId: id }),
  ],
  { error: "errors.invalid" },
);

export async function action({ request, params, context }: ActionFunctionArgs) {
  const actor = await requireActor(context, request);
  const user = await loadUser(params, context);
  const form = await readForm(request, UserAction);
  if (!form.ok) return invalid(form.errors, form.values);
  const db = context.app.db;
  const input = form.data;
  try {
    switch (input.intent) {
      case "roles": {
        authorize(actor, "user.manage");
        const roles = input.roles === undefined ? [] : Array.isArray(input.roles) ? input.roles : [input.roles];
        await setRoles(db, actor.id, user.id, [...new Set(roles)]);
        break;
      }
      case "move":
        authorize(actor, "user.manage");
        await moveUser(db, actor.id, user.id, input.agencyId);
        break;
      case "disable":
      case "enable":
        authorize(actor, "user.manage");
        await setDisabled(db, actor.id, user.id, input.intent === "disable");
        break;
      case "endSessions":
        authorize(actor, "user.manage", { agencyId: user.agency_id, userId: user.id });
        await endSessionsOf(db, actor.id, { id: user.id, agencyId: user.agency_id });
        break;
      case "removeSecondFactor":
        authorize(actor, "user.manage", { agencyId: user.agency_id, userId: user.id });
        await removeSecondFactorOf(
          db,
          actor.id,
          { id: user.id, agencyId: user.agency_id },
          { method: input.identityProof, reason: input.reason },
        );
        break;
      case "joinGroup":
      case "leaveGroup":
        authorize(actor, "group.manage", { agencyId: user.agency_id });
        await setGroupMembership(db, actor.id, {
          groupId: input.groupId,
          userId: user.id,
          member: input.intent === "joinGroup",
        });
        break;
      case "trainGroup":
      case "stopTraining":
        await setGroupTrainer(db, actor, {
          groupId: input.groupId,
          userId: user.id,
          trains: input.intent === "trainGroup",
        });
        break;
    }
  } catch (error) {
    return fromDomainError(error, { intent: input.intent });
  }
  return redirect(`/admin/users/${user.id}?saved=${input.intent}`);
}

export default function UserPage() {
  const t = useT();
  const format = useFormat();
  const d = useLoaderData<typeof loader>();
  const state = useActionData<typeof action>();
  // The second factor's form shows its own errors at its fields.
  const factorState = state?.values?.intent === "removeSecondFactor" ? state : undefined;
  const [params] = useSearchParams();
  const u = d.user;
  const memberOf = new Set(u.groups.map((g) => g.id));
  const otherGroups = d.groups.filter((g) => !memberOf.has(g.id));
  const trained = new Set(d.trains.map((g) => g.id));
  const untrained = d.groups.filter((g) => !trained.has(g.id));
  return (
    <div>
      <p className="breadcrumb">
        <Link to="/admin/users">{t("users.title")}</Link>
      </p>
      <h1>{u.display_name}</h1>
      {params.get("saved") ? (
        <p className="alert alert-success" role="status">
          {t("actions.saved")}
        </p>
      ) : null}
      {factorState ? null : <ErrorSummary state={state} />}
      <Facts
        items={[
          [t("fields.email"), u.email],
          [t("fields.agency"), u.agency_name],
          [t("fields.profession"), t(`professions.${u.profession}`)],
          [t("fields.roles"), u.roles.map((r) => t(`roles.${r}`)).join(" / ") || "—"],
          [
            t("fields.status"),
            u.disabled_at ? t("users.disabledSince", { date: format.date(u.disabled_at) }) : t("users.active"),
          ],
          [t("users.joined"), format.date(u.created_at)],
        ]}
      />

      <section aria-labelledby="groups-heading" className="panel">
        <h2 id="groups-heading">{t("agency.groups")}</h2>
        {u.groups.length === 0 ? <p>{t("user.noGroups")}</p> : null}
        <ul className="link-list">
          {u.groups.map((g) => (
            <li key={g.id}>
              {g.name} ({t(`groupKinds.${g.kind}`)})
              {d.canGroups ? (
                <Form method="post" className="inline-form">
                  <input type="hidden" name="intent" value="leaveGroup" />
                  <input type="hidden" name="groupId" value={g.id} />
                  <button type="submit" className="link-button">
                    {t("user.leaveGroup", { group: g.name })}
                  </button>
                </Form>
              ) : null}
            </li>
          ))}
        </ul>
        {d.canGroups && otherGroups.length > 0 ? (
          <Form method="post" className="inline-fields">
            <input type="hidden" name="intent" value="joinGroup" />
            <SelectField
              name="groupId"
              label={t("user.addToGroup")}
              options={otherGroups.map((g) => ({ value: g.id, label: g.name }))}
            />
            <SubmitButton className="button button-secondary">{t("actions.add")}</SubmitButton>
          </Form>
        ) : null}
      </section>

      {u.roles.includes("trainer") ? (
        <section aria-labelledby="trains-heading" className="panel">
          <h2 id="trains-heading">{t("user.trains")}</h2>
          <p className="hint">{t("user.trainsHint")}</p>
          {d.trains.length === 0 ? <p>{t("user.trainsNone")}</p> : null}
          <ul className="link-list">
            {d.trains.map((g) => (
              <li key={g.id}>
                {g.name} ({t(`groupKinds.${g.kind}`)})
                {d.canGroups ? (
                  <Form method="post" className="inline-form">
                    <input type="hidden" name="intent" value="stopTraining" />
                    <input type="hidden" name="groupId" value={g.id} />
                    <button type="submit" className="link-button">
                      {t("user.stopTraining", { group: g.name })}
                    </button>
                  </Form>
                ) : null}
              </li>
            ))}
          </ul>
          {d.canGroups && untrained.length > 0 ? (
            <Form method="post" className="inline-fields">
              <input type="hidden" name="intent" value="trainGroup" />
              <SelectField
                name="groupId"
                id="trainGroupId"
                label={t("user.trainGroup")}
                options={untrained.map((g) => ({ value: g.id, label: g.name }))}
              />
              <SubmitButton className="button button-secondary">{t("actions.add")}</SubmitButton>
            </Form>
          ) : null}
        </section>
      ) : null}

      {d.canManage ? (
        <>
          <section aria-labelledby="roles-heading" className="panel narrow">
            <h2 id="roles-heading">{t("fields.roles")}</h2>
            <Form method="post" className="stack">
              <input type="hidden" name="intent" value="roles" />
              <fieldset>
                <legend>{t("user.rolesLegend")}</legend>
                {ROLES.map((r) => (
                  <div className="checkbox" key={r}>
                    <input
                      type="checkbox"
                      id={`role-${r}`}
                      name="roles"
                      value={r}
                      defaultChecked={u.roles.includes(r)}
                    />
                    <label htmlFor={`role-${r}`}>{t(`roles.${r}`)}</label>
                  </div>
                ))}
              </fieldset>
              <SubmitButton>{t("actions.save")}</SubmitButton>
            </Form>
          </section>
          <section aria-labelledby="move-heading" className="panel narrow">
            <h2 id="move-heading">{t("user.move")}</h2>
            <p className="hint">{t("user.moveHint")}</p>
            <Form method="post" className="stack">
              <input type="hidden" name="intent" value="move" />
              <SelectField name="agencyId" label={t("fields.agency")} options={d.agencies} defaultValue={u.agency_id} />
              <SubmitButton>{t("user.moveSubmit")}</SubmitButton>
            </Form>
          </section>
          {!d.self ? (
            <section aria-labelledby="user-sessions-heading" className="panel narrow">
              <h2 id="user-sessions-heading">{t("user.sessions")}</h2>
              <p>{t("user.sessionCount", { n: d.sessionCount })}</p>
              {d.sessionCount > 0 ? (
                <Form method="post">
                  <input type="hidden" name="intent" value="endSessions" />
                  <p className="hint">{t("user.endSessionsHint")}</p>
                  <SubmitButton className="button button-secondary">{t("user.endSessions")}</SubmitButton>
                </Form>
              ) : null}
            </section>
          ) : null}
          {!d.self && d.secondFactor ? (
            <section aria-labelledby="second-factor-heading" className="panel narrow">
              <h2 id="second-factor-heading">{t("twoFactor.title")}</h2>
              <p>
                {d.secondFactor.totp === "enabled" || d.secondFactor.passkeys > 0
                  ? t("user.secondFactorOn")
                  : t("user.secondFactorOff")}
              </p>
              {d.secondFactor.totp !== "none" || d.secondFactor.passkeys > 0 ? (
                <Form method="post" className="stack" noValidate>
                  <input type="hidden" name="intent" value="removeSecondFactor" />
                  <p className="hint">{t("user.removeSecondFactorHint")}</p>
                  {factorState ? <ErrorSummary state={factorState} /> : null}
                  <SelectField
                    name="identityProof"
                    label={t("user.identityProof")}
                    hint={t("user.identityProofHint")}
                    options={[
                      { value: "", label: t("user.identityProofChoose") },
                      ...d.identityProofs.map((p) => ({ value: p, label: t(`user.identityProofs.${p}`) })),
                    ]}
                    required
                    state={factorState}
                  />
                  <Field
                    name="reason"
                    label={t("user.removeReason")}
                    hint={t("user.removeReasonHint")}
                    maxLength={300}
                    required
                    state={factorState}
                  />
                  <div className={factorState?.errors?.identityConfirmed ? "checkbox has-error" : "checkbox"}>
                    <input
                      type="checkbox"
                      id="identityConfirmed"
                      name="identityConfirmed"
                      value="yes"
                      required
                      aria-invalid={factorState?.errors?.identityConfirmed ? true : undefined}
                      aria-describedby={factorState?.errors?.identityConfirmed ? "identityConfirmed-error" : undefined}
                    />
                    <label htmlFor="identityConfirmed">{t("user.identityConfirmed")}</label>
                  </div>
                  {factorState?.errors?.identityConfirmed ? (
                    <p className="field-error" id="identityConfirmed-error">
                      {t(factorState.errors.identityConfirmed)}
                    </p>
                  ) : null}
                  <SubmitButton className="button button-danger">{t("user.removeSecondFactor")}</SubmitButton>
                </Form>
              ) : null}
            </section>
          ) : null}
          {!d.self ? (
            <section aria-labelledby="status-heading" className="panel narrow">
              <h2 id="status-heading">{t("fields.status")}</h2>
              <Form method="post">
                <input type="hidden" name="intent" value={u.disabled_at ? "enable" : "disable"} />
                <p className="hint">{u.disabled_at ? t("user.enableHint") : t("user.disableHint")}</p>
                <SubmitButton className={u.disabled_at ? "button" : "button button-danger"}>
                  {u.disabled_at ? t("user.enable") : t("user.disable")}
                </SubmitButton>
              </Form>
            </section>
          ) : null}
        </>
      ) : null}
    </div>
  );
}

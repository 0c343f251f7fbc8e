// Whose rows a person may list for an action: the one place that turns (person, action) into a
// scope that list queries take, so no page decides for itself "everyone but an admin sees their
// own agency". It says the same as the policy (`can`), for many rows at once.
import { sql, type ExpressionBuilder, type Expression, type SqlBool } from "kysely";
import type { Database } from "../../../db/schema";
import type { Action, Actor } from "./policy.server";

export type Scope =
  | { kind: "all" }
  | { kind: "agency"; agencyId: string }
  | { kind: "groups"; agencyId: string; groupIds: readonly string[] }
  | { kind: "none" };

export function scopeFor(
  actor: Actor,
  action: Extract<Action, "progress.view" | "records.view" | "course.assign" | "audit.view">,
): Scope {
  const has = (role: Actor["roles"][number]) => actor.roles.includes(role);
  if (has("admin")) return { kind: "all" };
  if (has("reviewer") && action !== "course.assign") return { kind: "agency", agencyId: actor.agencyId };
  if (has("trainer") && action !== "audit.view")
    return { kind: "groups", agencyId: actor.agencyId, groupIds: actor.trainerOf ?? [] };
  return { kind: "none" };
}

/**
 * The condition on a query over `users as u` that keeps the people in the scope. The trainer's
 * groups are one value (an array), so that a query compiled once (ADR 003) serves any list of them.
 */
export function personInScope(
  scope: Scope,
): (eb: ExpressionBuilder<Database & { u: Database["users"] }, "u">) => Expression<SqlBool> {
  return (eb) => {
    switch (scope.kind) {
      case "all":
        return eb.lit(true);
      case "none":
        return eb.lit(false);
      case "agency":
        return eb("u.agency_id", "=", scope.agencyId);
      case "groups":
        return eb.and([
          eb("u.agency_id", "=", scope.agencyId),
          eb.exists(
            eb
              .selectFrom("group_members as gm")
              .select("gm.user_id")
              .whereRef("gm.user_id", "=", "u.id")
              .where(sql<boolean>`gm.group_id = any(${scope.groupIds}::uuid[])`),
          ),
        ]);
    }
  };
}

/** The condition on a query over `groups as g` that keeps the groups in the scope (the groups one value, as above). */
export function groupInScope(
  scope: Scope,
): (eb: ExpressionBuilder<Database & { g: Database["groups"] }, "g">) => Expression<SqlBool> {
  return (eb) => {
    switch (scope.kind) {
      case "all":
        return eb.lit(true);
      case "none":
        return eb.lit(false);
      case "agency":
        return eb("g.agency_id", "=", scope.agencyId);
      case "groups":
        return sql<boolean>`g.id = any(${scope.groupIds}::uuid[])`;
    }
  };
}

// Who trains whom: making a person the trainer of a group, or no longer. A trainer of a group
// sees its members' progress and assigns them work; being a member of a group gives no such reach.
import type { Kysely } from "kysely";
import type { Database } from "../../../db/schema";
import { audit } from "../audit.server";
import { can, type Actor } from "../auth/policy.server";
import { groupInScope, type Scope } from "../auth/scope.server";
import { DomainError } from "../shared/errors.server";

/** Makes `userId` a trainer of the group, or ends it. Admins and the agency's trainers may; audited. */
export async function setGroupTrainer(
  db: Kysely<Database>,
  actor: Actor,
  input: { groupId: string; userId: string; trains: boolean },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const group = await trx
      .selectFrom("groups")
      .select(["id", "agency_id"])
      .where("id", "=", input.groupId)
      .executeTakeFirst();
    if (!group) throw new DomainError("not_found", "errors.notFound");
    if (!can(actor, "group.manage", { agencyId: group.agency_id, groupId: group.id }))
      throw new DomainError("forbidden", "errors.forbidden");
    const person = await trx
      .selectFrom("users as u")
      .select(["u.id", "u.agency_id"])
      .select((eb) =>
        eb
          .exists(eb.selectFrom("user_roles as r").whereRef("r.user_id", "=", "u.id").where("r.role", "=", "trainer"))
          .as("is_trainer"),
      )
      .where("u.id", "=", input.userId)
      .where("u.disabled_at", "is", null)
      .executeTakeFirst();
    if (!person) throw new DomainError("not_found", "errors.notFound");
    if (person.agency_id !== group.agency_id) throw new DomainError("invalid", "errors.group.otherAgency", "userId");
    if (input.trains) {
      if (!person.is_trainer) throw new DomainError("invalid", "errors.group.notATrainer", "userId");
      const added = await trx
        .insertInto("group_trainers")
        .values({ group_id: group.id, user_id: person.id, added_by: actor.id })
        .onConflict((oc) => oc.doNothing())
        .returning("user_id")
        .executeTakeFirst();
      if (!added) return; // already a trainer of the group: nothing changes, nothing to audit
    } else {
      const removed = await trx
        .deleteFrom("group_trainers")
        .where("group_id", "=", group.id)
        .where("user_id", "=", person.id)
        .executeTakeFirst();
      if (removed.numDeletedRows === 0n) return;
    }
    await audit(trx, {
      actorId: actor.id,
      agencyId: group.agency_id,
      action: input.trains ? "group.trainer_added" : "group.trainer_removed",
      subjectType: "user",
      subjectId: person.id,
      details: { groupId: group.id },
    });
  });
}

/** The groups in a scope, each with its member count and its trainers. */
export async function groupsInScope(db: Kysely<Database>, scope: Scope) {
  return db
    .selectFrom("groups as g")
    .innerJoin("agencies as a", "a.id", "g.agency_id")
    .select((eb) => [
      "g.id",
      "g.name",
      "g.kind",
      "g.agency_id",
      "a.name as agency_name",
      eb
        .selectFrom("group_members as m")
        .whereRef("m.group_id", "=", "g.id")
        .select((e) => e.fn.countAll<number>().as("n"))
        .as("members"),
    ])
    .where(groupInScope(scope))
    .orderBy("a.name")
    .orderBy("g.name")
    .execute();
}

/** The groups a person trains, by name. */
export async function trainedGroups(db: Kysely<Database>, userId: string) {
  return db
    .selectFrom("group_trainers as t")
    .innerJoin("groups as g", "g.id", "t.group_id")
    .select(["g.id", "g.name", "g.kind"])
    .where("t.user_id", "=", userId)
    .orderBy("g.name")
    .orderBy("g.id")
    .execute();
}

/** Each group's trainers' names, for the agency's list of groups. */
export async function trainerNamesByGroup(db: Kysely<Database>, agencyId: string): Promise<Map<string, string[]>> {
  const rows = await db
    .selectFrom("group_trainers as t")
    .innerJoin("groups as g", "g.id", "t.group_id")
    .innerJoin("users as u", "u.id", "t.user_id")
    .select(["t.group_id", "u.display_name"])
    .where("g.agency_id", "=", agencyId)
    .orderBy("u.display_name")
    .orderBy("u.id")
    .execute();
  const names = new Map<string, string[]>();
  for (const r of rows) names.set(r.group_id, [...(names.get(r.group_id) ?? []), r.display_name]);
  return names;
}

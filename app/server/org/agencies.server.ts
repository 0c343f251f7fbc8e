// Agencies (a police headquarters, a court, a child guidance centre…) and their groups: units and
// training cohorts.
import type { Kysely } from "kysely";
import type { AgencyKind, Database, GroupKind } from "../../../db/schema";
import { audit } from "../audit.server";
import { DomainError, isUniqueViolation } from "../shared/errors.server";
import { reconcilePerson } from "../assignments/assign.server";

export async function listAgencies(db: Kysely<Database>) {
  return db
    .selectFrom("agencies as a")
    .select((eb) => [
      "a.id",
      "a.name",
      "a.kind",
      "a.created_at",
      eb
        .selectFrom("users as u")
        .whereRef("u.agency_id", "=", "a.id")
        .where("u.disabled_at", "is", null)
        .select((e) => e.fn.countAll<number>().as("n"))
        .as("members"),
    ])
    .orderBy("a.name")
    .execute();
}

export async function getAgency(db: Kysely<Database>, id: string) {
  return db.selectFrom("agencies").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function createAgency(db: Kysely<Database>, actorId: string, input: { name: string; kind: AgencyKind }) {
  try {
    return await db.transaction().execute(async (trx) => {
      const agency = await trx.insertInto("agencies").values(input).returning("id").executeTakeFirstOrThrow();
      await audit(trx, {
        actorId,
        agencyId: agency.id,
        action: "agency.created",
        subjectType: "agency",
        subjectId: agency.id,
        details: input,
      });
      return agency;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError("conflict", "errors.agency.nameTaken", "name");
    throw error;
  }
}

export async function updateAgency(
  db: Kysely<Database>,
  actorId: string,
  id: string,
  input: { name: string; kind: AgencyKind },
) {
  try {
    await db.transaction().execute(async (trx) => {
      const result = await trx.updateTable("agencies").set(input).where("id", "=", id).executeTakeFirst();
      if (result.numUpdatedRows === 0n) throw new DomainError("not_found", "errors.notFound");
      await audit(trx, {
        actorId,
        agencyId: id,
        action: "agency.updated",
        subjectType: "agency",
        subjectId: id,
        details: input,
      });
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError("conflict", "errors.agency.nameTaken", "name");
    throw error;
  }
}

export async function listGroups(db: Kysely<Database>, agencyId: string) {
  return db
    .selectFrom("groups as g")
    .select((eb) => [
      "g.id",
      "g.name",
      "g.kind",
      eb
        .selectFrom("group_members as m")
        .whereRef("m.group_id", "=", "g.id")
        .select((e) => e.fn.countAll<number>().as("n"))
        .as("members"),
    ])
    .where("g.agency_id", "=", agencyId)
    .orderBy("g.name")
    .execute();
}

export async function getGroup(db: Kysely<Database>, id: string) {
  return db.selectFrom("groups").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function createGroup(
  db: Kysely<Database>,
  actorId: string,
  input: { agencyId: string; name: string; kind: GroupKind },
) {
  try {
    return await db.transaction().execute(async (trx) => {
      const group = await trx
        .insertInto("groups")
        .values({ agency_id: input.agencyId, name: input.name, kind: input.kind })
        .returning("id")
        .executeTakeFirstOrThrow();
      await audit(trx, {
        actorId,
        agencyId: input.agencyId,
        action: "group.created",
        subjectType: "group",
        subjectId: group.id,
        details: { name: input.name, kind: input.kind },
      });
      return group;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new DomainError("conflict", "errors.group.nameTaken", "name");
    throw error;
  }
}

/** Adds or removes a member; both must belong to the group's agency. */
export async function setGroupMembership(
  db: Kysely<Database>,
  actorId: string,
  input: { groupId: string; userId: string; member: boolean },
) {
  await db.transaction().execute(async (trx) => {
    const group = await trx
      .selectFrom("groups")
      .select(["id", "agency_id"])
      .where("id", "=", input.groupId)
      .executeTakeFirst();
    const user = await trx
      .selectFrom("users")
      .select(["id", "agency_id"])
      .where("id", "=", input.userId)
      .executeTakeFirst();
    if (!group || !user) throw new DomainError("not_found", "errors.notFound");
    if (group.agency_id !== user.agency_id) throw new DomainError("invalid", "errors.group.otherAgency", "groupId");
    if (input.member) {
      await trx
        .insertInto("group_members")
        .values({ group_id: group.id, user_id: user.id })
        .onConflict((oc) => oc.doNothing())
        .execute();
    } else {
      await trx.deleteFrom("group_members").where("group_id", "=", group.id).where("user_id", "=", user.id).execute();
    }
    // A group's assignments reach a new member from today; a member who leaves is released.
    await reconcilePerson(trx, user.id);
    await audit(trx, {
      actorId,
      agencyId: group.agency_id,
      action: input.member ? "group.member_added" : "group.member_removed",
      subjectType: "user",
      subjectId: user.id,
      details: { groupId: group.id },
    });
  });
}

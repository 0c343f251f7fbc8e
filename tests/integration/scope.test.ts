// Who trains whom, and whose rows a person may list. The scope a list query takes must say exactly
// what the policy says person by person: checked for every kind of reader and every listing action
// over two agencies' people. Trainers of a group are set by admins and the agency's trainers only,
// audited, and come with the signed-in person.
import { beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../app/server/auth/policy.server";
import { can } from "../../app/server/auth/policy.server";
import { personInScope, scopeFor } from "../../app/server/auth/scope.server";
import { groupsInScope, setGroupTrainer } from "../../app/server/training/group-trainers.server";
import { engine } from "../support/db";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { startTestServer, type TestServer } from "../support/http";

let server: TestServer;
const groups: Record<string, string> = {};
const people: Record<string, MadeUser> = {};
let agencyA: string;
let agencyB: string;

beforeAll(async () => {
  server = await startTestServer();
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  const db = server.database.db;
  agencyA = (await makeAgency(db, "Hokkaido Police")).id;
  agencyB = (await makeAgency(db, "Sapporo Family Court", "court")).id;
  for (const [name, agencyId] of [
    ["unit1", agencyA],
    ["unit2", agencyA],
    ["court", agencyB],
  ] as const) {
    groups[name] = (
      await db
        .insertInto("groups")
        .values({ agency_id: agencyId, name, kind: "unit" })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
  }
  const make = async (key: string, agencyId: string, roles: MadeUser["roles"], inGroups: string[]) => {
    people[key] = await makeUser(db, { agencyId, roles, displayName: key });
    for (const g of inGroups)
      await db.insertInto("group_members").values({ group_id: groups[g]!, user_id: people[key]!.id }).execute();
  };
  await make("trainee1", agencyA, ["trainee"], ["unit1"]);
  await make("trainee2", agencyA, ["trainee"], ["unit2"]);
  await make("both", agencyA, ["trainee"], ["unit1", "unit2"]);
  await make("loose", agencyA, ["trainee"], []);
  await make("courtTrainee", agencyB, ["trainee"], ["court"]);
  // The trainer is a member of unit2 but trains unit1: membership gives no reach.
  await make("trainer", agencyA, ["trainer"], ["unit2"]);
  await make("idleTrainer", agencyA, ["trainer"], []);
  await make("reviewer", agencyA, ["reviewer"], []);
  await make("admin", agencyA, ["admin"], []);
  await make("courtTrainer", agencyB, ["trainer"], []);
  await db.insertInto("group_trainers").values({ group_id: groups.unit1!, user_id: people.trainer!.id }).execute();
});

async function actorOf(key: string): Promise<Actor> {
  const p = people[key]!;
  const trainerOf = await server.database.db
    .selectFrom("group_trainers")
    .select("group_id")
    .where("user_id", "=", p.id)
    .execute();
  return { id: p.id, agencyId: p.agencyId, roles: p.roles, trainerOf: trainerOf.map((t) => t.group_id) };
}

describe(`scope and policy (${engine})`, () => {
  it("a list query's scope keeps exactly the people the policy allows, for every reader and listing action", async () => {
    const db = server.database.db;
    const everyone = await db
      .selectFrom("users as u")
      .select((eb) => [
        "u.id",
        "u.agency_id",
        eb.fn
          .coalesce(
            eb
              .selectFrom("group_members as m")
              .whereRef("m.user_id", "=", "u.id")
              .select((e) => e.fn.jsonAgg("m.group_id").as("g")),
            eb.val("[]"),
          )
          .as("group_ids"),
      ])
      .execute();
    const readers = ["trainee1", "trainer", "idleTrainer", "reviewer", "admin", "courtTrainer"];
    for (const reader of readers) {
      const actor = await actorOf(reader);
      for (const action of ["progress.view", "records.view", "course.assign", "audit.view"] as const) {
        const scope = scopeFor(actor, action);
        const listed = await db.selectFrom("users as u").select("u.id").where(personInScope(scope)).execute();
        const allowed = everyone.filter((p) =>
          can(actor, action, { agencyId: p.agency_id, userId: p.id, groupIds: p.group_ids as unknown as string[] }),
        );
        expect(listed.map((r) => r.id).sort(), `${reader} / ${action}`).toEqual(allowed.map((p) => p.id).sort());
      }
    }
    // And the cases that matter, by name.
    const names = async (reader: string) => {
      const rows = await db
        .selectFrom("users as u")
        .select("u.display_name")
        .where(personInScope(scopeFor(await actorOf(reader), "progress.view")))
        .orderBy("u.display_name")
        .execute();
      return rows.map((r) => r.display_name);
    };
    expect(await names("trainer")).toEqual(["both", "trainee1"]);
    expect(await names("idleTrainer")).toEqual([]);
    expect(await names("trainee1")).toEqual([]);
    expect((await names("reviewer")).length).toBe(8); // agency A, everyone
  });

  it("lists the groups a trainer trains, a reviewer's agency's groups, and every group for an admin", async () => {
    const db = server.database.db;
    const list = async (reader: string) =>
      (await groupsInScope(db, scopeFor(await actorOf(reader), "progress.view"))).map((g) => g.name);
    expect(await list("trainer")).toEqual(["unit1"]);
    expect(await list("reviewer")).toEqual(["unit1", "unit2"]);
    expect((await list("admin")).sort()).toEqual(["court", "unit1", "unit2"]);
    expect(await list("courtTrainer")).toEqual([]);
  });

  it("lets admins and the agency's trainers make a trainer the trainer of a group, audited; no one else", async () => {
    const db = server.database.db;
    const target = { groupId: groups.unit2!, userId: people.idleTrainer!.id, trains: true };
    for (const outsider of ["trainee1", "reviewer", "courtTrainer"]) {
      await expect(setGroupTrainer(db, await actorOf(outsider), target)).rejects.toMatchObject({ code: "forbidden" });
    }
    // Only a person with the trainer role, of the group's agency, can train it.
    await expect(
      setGroupTrainer(db, await actorOf("admin"), { ...target, userId: people.trainee2!.id }),
    ).rejects.toMatchObject({ messageKey: "errors.group.notATrainer" });
    await expect(
      setGroupTrainer(db, await actorOf("admin"), { ...target, userId: people.courtTrainer!.id }),
    ).rejects.toMatchObject({ messageKey: "errors.group.otherAgency" });
    expect(
      await db.selectFrom("group_trainers").select("group_id").where("group_id", "=", groups.unit2!).execute(),
    ).toEqual([]);

    await setGroupTrainer(db, await actorOf("trainer"), target);
    await setGroupTrainer(db, await actorOf("trainer"), target); // again: no change, no second audit row
    expect((await actorOf("idleTrainer")).trainerOf).toEqual([groups.unit2]);
    await setGroupTrainer(db, await actorOf("admin"), { ...target, trains: false });
    expect((await actorOf("idleTrainer")).trainerOf).toEqual([]);
    const audited = await db
      .selectFrom("audit_events")
      .select(["action", "actor_id", "subject_id"])
      .where("action", "like", "group.trainer%")
      .orderBy("at")
      .execute();
    expect(audited).toEqual([
      { action: "group.trainer_added", actor_id: people.trainer!.id, subject_id: people.idleTrainer!.id },
      { action: "group.trainer_removed", actor_id: people.admin!.id, subject_id: people.idleTrainer!.id },
    ]);
  });

  it("comes with the signed-in trainer: the people page lists only the groups they train", async () => {
    const client = server.client();
    expect((await client.signIn(people.trainer!.email, PASSWORD)).status).toBe(302);
    const page = await (await client.get("/admin/users")).text();
    expect(page).toContain("trainee1");
    expect(page).toContain(">both<");
    expect(page).not.toContain("trainee2");
    expect(page).not.toContain("courtTrainee");
    // Asking for another agency in the URL changes nothing.
    const other = await (await client.get(`/admin/users?agency=${agencyB}`)).text();
    expect(other).not.toContain("courtTrainee");
    // A trainee has no people page at all.
    const trainee = server.client();
    await trainee.signIn(people.trainee1!.email, PASSWORD);
    expect((await trainee.get("/admin/users")).status).toBe(403);
    // The trainer sees a person of their group, and not one of another group.
    expect((await client.get(`/admin/users/${people.trainee1!.id}`)).status).toBe(200);
    expect((await client.get(`/admin/users/${people.trainee2!.id}`)).status).toBe(403);
  });
});

import { beforeAll, describe, expect, it } from "vitest";
import { createGroup, setGroupMembership } from "../../app/server/org/agencies.server";
import { getUser, listUsers, moveUser, setDisabled, setRoles } from "../../app/server/org/users.server";
import type { DatabaseHandle } from "../../db/connect.server";
import { engine, testDatabase } from "../support/db";
import { makeAgency, makeUser, type MadeUser } from "../support/fixtures";

let database: DatabaseHandle;
let agencyId: string;
let otherAgencyId: string;
let admin: MadeUser;

beforeAll(async () => {
  database = await testDatabase();
  agencyId = (await makeAgency(database.db)).id;
  otherAgencyId = (await makeAgency(database.db, "Other agency", "court")).id;
  admin = await makeUser(database.db, { agencyId, roles: ["admin", "trainee"] });
});

describe(`managing people (${engine})`, () => {
  it("always keeps one active admin", async () => {
    await expect(setRoles(database.db, admin.id, admin.id, ["trainee"])).rejects.toMatchObject({
      messageKey: "errors.user.lastAdmin",
    });
    const second = await makeUser(database.db, { agencyId, roles: ["admin"] });
    await setRoles(database.db, admin.id, second.id, ["trainer"]);
    expect((await getUser(database.db, second.id))!.roles).toEqual(["trainer"]);
    expect((await getUser(database.db, admin.id))!.roles).toEqual(["admin", "trainee"]);
  });

  it("refuses disabling one's own account", async () => {
    await expect(setDisabled(database.db, admin.id, admin.id, true)).rejects.toMatchObject({
      messageKey: "errors.user.disableSelf",
    });
  });

  it("disables and re-enables, keeping an audit trail of both", async () => {
    const user = await makeUser(database.db, { agencyId });
    await setDisabled(database.db, admin.id, user.id, true);
    expect((await getUser(database.db, user.id))!.disabled_at).toBeInstanceOf(Date);
    await setDisabled(database.db, admin.id, user.id, false);
    expect((await getUser(database.db, user.id))!.disabled_at).toBeNull();
    const events = await database.db
      .selectFrom("audit_events")
      .select("action")
      .where("subject_id", "=", user.id)
      .orderBy("at")
      .execute();
    expect(events.map((e) => e.action)).toEqual(["user.disabled", "user.enabled"]);
  });

  it("moves a person to another agency and out of the old agency's groups", async () => {
    const user = await makeUser(database.db, { agencyId });
    const group = await createGroup(database.db, admin.id, { agencyId, name: "Cohort 2026", kind: "cohort" });
    await setGroupMembership(database.db, admin.id, { groupId: group.id, userId: user.id, member: true });
    expect((await getUser(database.db, user.id))!.groups.map((g) => g.id)).toEqual([group.id]);
    await moveUser(database.db, admin.id, user.id, otherAgencyId);
    const moved = (await getUser(database.db, user.id))!;
    expect(moved.agency_id).toBe(otherAgencyId);
    expect(moved.groups).toEqual([]);
  });

  it("refuses putting someone in another agency's group", async () => {
    const user = await makeUser(database.db, { agencyId: otherAgencyId });
    const group = await createGroup(database.db, admin.id, { agencyId, name: "Unit A", kind: "unit" });
    await expect(
      setGroupMembership(database.db, admin.id, { groupId: group.id, userId: user.id, member: true }),
    ).rejects.toMatchObject({ messageKey: "errors.group.otherAgency" });
  });

  it("refuses a second group of the same name in one agency, whatever the case", async () => {
    await createGroup(database.db, admin.id, { agencyId, name: "Juvenile Unit", kind: "unit" });
    await expect(
      createGroup(database.db, admin.id, { agencyId, name: "juvenile unit", kind: "unit" }),
    ).rejects.toMatchObject({ code: "conflict" });
  });

  it("lists people by agency and search, treating % and _ literally", async () => {
    await makeUser(database.db, { agencyId: otherAgencyId, displayName: "Sato 100% Hanako" });
    await makeUser(database.db, { agencyId: otherAgencyId, displayName: "Suzuki Ichiro" });
    const all = await listUsers(database.db, { scope: { kind: "all" }, agencyId: otherAgencyId });
    expect(all.users.every((u) => u.agency_name === "Other agency")).toBe(true);
    const percent = await listUsers(database.db, { scope: { kind: "all" }, agencyId: otherAgencyId, query: "100%" });
    expect(percent.users.map((u) => u.display_name)).toEqual(["Sato 100% Hanako"]);
    const none = await listUsers(database.db, { scope: { kind: "all" }, agencyId: otherAgencyId, query: "%" });
    expect(none.users.map((u) => u.display_name)).toEqual(["Sato 100% Hanako"]);
  });
});

// The permission table of docs/architecture.md, checked cell by cell: every role against every
// action, on a group the actor trains, another group of the same agency, and another agency —
// as a group and as a person in that group.
import { describe, expect, it } from "vitest";
import { ACTIONS, can, type Action, type Actor } from "../../app/server/auth/policy.server";
import type { Role } from "../../db/schema";

const OWN = "agency-own";
const OTHER = "agency-other";
const COHORT = "group-mine";
const NEIGHBOURS = "group-same-agency";

const actor = (role: Role): Actor => ({ id: `user-${role}`, agencyId: OWN, roles: [role], trainerOf: [COHORT] });

/** Allowed on: a group the actor trains, another group of the agency, a group of another agency. */
type Cell = { mine: boolean; neighbours: boolean; other: boolean };
const yes: Cell = { mine: true, neighbours: true, other: true };
const no: Cell = { mine: false, neighbours: false, other: false };
const agency: Cell = { mine: true, neighbours: true, other: false };
const trained: Cell = { mine: true, neighbours: false, other: false };

const TABLE: Record<Exclude<Action, "learning.take">, Record<Role, Cell>> = {
  "progress.view": { trainee: no, trainer: trained, reviewer: agency, admin: yes },
  "course.assign": { trainee: no, trainer: trained, reviewer: no, admin: yes },
  "group.manage": { trainee: no, trainer: agency, reviewer: no, admin: yes },
  "user.invite": { trainee: no, trainer: agency, reviewer: no, admin: yes },
  "records.view": { trainee: no, trainer: trained, reviewer: agency, admin: yes },
  "records.check": { trainee: no, trainer: no, reviewer: agency, admin: yes },
  "audit.view": { trainee: no, trainer: no, reviewer: agency, admin: yes },
  "agency.manage": { trainee: no, trainer: no, reviewer: no, admin: yes },
  "user.manage": { trainee: no, trainer: no, reviewer: no, admin: yes },
  "content.sync": { trainee: no, trainer: no, reviewer: no, admin: yes },
  "outbox.view": { trainee: no, trainer: no, reviewer: no, admin: yes },
  "records.verify": { trainee: no, trainer: no, reviewer: no, admin: yes },
};

const ROLES: Role[] = ["trainee", "trainer", "reviewer", "admin"];

describe("policy table", () => {
  it("covers every action", () => {
    expect(Object.keys(TABLE).sort()).toEqual(ACTIONS.filter((a) => a !== "learning.take").sort());
  });

  for (const [action, row] of Object.entries(TABLE) as [Exclude<Action, "learning.take">, Record<Role, Cell>][]) {
    for (const role of ROLES) {
      const cell = row[role];
      const say = (b: boolean) => (b ? "allowed" : "refused");
      it(`${role} / ${action}: own group ${say(cell.mine)}, another group ${say(cell.neighbours)}, another agency ${say(cell.other)}`, () => {
        const a = actor(role);
        const cases: [string, string, boolean][] = [
          [OWN, COHORT, cell.mine],
          [OWN, NEIGHBOURS, cell.neighbours],
          [OTHER, "group-elsewhere", cell.other],
        ];
        for (const [agencyId, group, allowed] of cases) {
          // The same answer for the group itself and for a person in it.
          expect(can(a, action, { agencyId, groupId: group, role: "trainee" }), `${agencyId}/${group}`).toBe(allowed);
          expect(can(a, action, { agencyId, groupIds: [group], userId: "p", role: "trainee" })).toBe(allowed);
        }
      });
    }
  }

  it("lets everyone take courses for themselves, and only admins on someone else's behalf", () => {
    for (const role of ROLES) {
      const a = actor(role);
      expect(can(a, "learning.take")).toBe(true);
      expect(can(a, "learning.take", { agencyId: OWN, userId: a.id })).toBe(true);
      expect(can(a, "learning.take", { agencyId: OWN, userId: "someone-else" })).toBe(role === "admin");
    }
  });

  it("limits a trainer's reach to the groups they train, not the groups they are in", () => {
    const trainer = actor("trainer");
    expect(can(trainer, "records.view", { agencyId: OWN, groupId: COHORT })).toBe(true);
    expect(can(trainer, "records.view", { agencyId: OWN, groupIds: ["group-x", COHORT] })).toBe(true);
    expect(can(trainer, "records.view", { agencyId: OWN, groupId: "group-not-mine" })).toBe(false);
    expect(can(trainer, "records.view", { agencyId: OWN })).toBe(false);
    expect(can({ ...trainer, trainerOf: [] }, "course.assign", { agencyId: OWN, groupId: COHORT })).toBe(false);
  });

  it("lets trainers invite trainees only, never trainers, reviewers or admins", () => {
    const trainer = actor("trainer");
    expect(can(trainer, "user.invite", { agencyId: OWN, role: "trainee" })).toBe(true);
    for (const role of ["trainer", "reviewer", "admin"] as const) {
      expect(can(trainer, "user.invite", { agencyId: OWN, role })).toBe(false);
    }
  });

  it("refuses agency-scoped actions with no object to check", () => {
    expect(can(actor("trainer"), "group.manage")).toBe(false);
    expect(can(actor("reviewer"), "progress.view")).toBe(false);
  });

  it("combines roles: a trainer who is also a reviewer sees all of the agency's records", () => {
    const both: Actor = { id: "u", agencyId: OWN, roles: ["trainer", "reviewer"], trainerOf: [] };
    expect(can(both, "records.view", { agencyId: OWN, groupId: "any" })).toBe(true);
    expect(can(both, "records.view", { agencyId: OTHER })).toBe(false);
  });
});

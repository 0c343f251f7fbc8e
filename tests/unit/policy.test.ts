// The permission table of docs/architecture.md, checked cell by cell: every role against every
// action, on its own agency's objects and on another agency's.
import { describe, expect, it } from "vitest";
import { ACTIONS, can, type Action, type Actor } from "../../app/server/auth/policy.server";
import type { Role } from "../../db/schema";

const OWN = "agency-own";
const OTHER = "agency-other";
const COHORT = "group-mine";

const actor = (role: Role): Actor => ({ id: `user-${role}`, agencyId: OWN, roles: [role], groupIds: [COHORT] });

type Cell = { own: boolean; other: boolean };
const yes: Cell = { own: true, other: true };
const no: Cell = { own: false, other: false };
const ownOnly: Cell = { own: true, other: false };

// What each role may do to an object of its own agency and of another agency.
const TABLE: Record<Exclude<Action, "learning.take">, Record<Role, Cell>> = {
  "progress.view": { trainee: no, trainer: ownOnly, reviewer: ownOnly, admin: yes },
  "course.assign": { trainee: no, trainer: ownOnly, reviewer: no, admin: yes },
  "group.manage": { trainee: no, trainer: ownOnly, reviewer: no, admin: yes },
  "user.invite": { trainee: no, trainer: ownOnly, reviewer: no, admin: yes },
  "records.view": { trainee: no, trainer: ownOnly, reviewer: ownOnly, admin: yes },
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
      it(`${role} / ${action}: own agency ${row[role].own ? "allowed" : "refused"}, other agency ${row[role].other ? "allowed" : "refused"}`, () => {
        const a = actor(role);
        const target = (agencyId: string) => ({ agencyId, groupId: COHORT, role: "trainee" as const });
        expect(can(a, action, target(OWN))).toBe(row[role].own);
        expect(can(a, action, target(OTHER))).toBe(row[role].other);
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

  it("limits a trainer's record access to the cohorts they belong to", () => {
    const trainer = actor("trainer");
    expect(can(trainer, "records.view", { agencyId: OWN, groupId: COHORT })).toBe(true);
    expect(can(trainer, "records.view", { agencyId: OWN, groupId: "group-not-mine" })).toBe(false);
    expect(can(trainer, "records.view", { agencyId: OWN })).toBe(false);
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
    const both: Actor = { id: "u", agencyId: OWN, roles: ["trainer", "reviewer"], groupIds: [] };
    expect(can(both, "records.view", { agencyId: OWN, groupId: "any" })).toBe(true);
    expect(can(both, "records.view", { agencyId: OTHER })).toBe(false);
  });
});

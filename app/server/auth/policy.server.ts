// Who may do what: the one place that decides. Every loader and action asks `can` (or
// `authorize`) with the object at hand, so an id from another agency is refused even when it
// is typed into the URL by hand. The table is in docs/architecture.md.
import type { Role } from "../../../db/schema";

export interface Actor {
  id: string;
  agencyId: string;
  roles: readonly Role[];
  /** The groups the actor trains (group_trainers): a trainer's reach over people and records. */
  trainerOf?: readonly string[];
}

/** What an action is done to: the agency it belongs to, and for some actions a group, a person or a role. */
export interface Target {
  agencyId: string;
  /** A group the action is about (assign to a group, see a group's progress). */
  groupId?: string;
  /** The groups the person the action is about belongs to. */
  groupIds?: readonly string[];
  /** For user.invite: the role the invitee would receive. */
  role?: Role;
  userId?: string;
}

export const ACTIONS = [
  "learning.take", // take modules, see own progress and certificates
  "progress.view", // see another person's progress
  "course.assign",
  "group.manage",
  "user.invite",
  "records.view", // completion records, dashboards, exports
  "records.check", // recompute the hash chain of one agency's records
  "audit.view", // read the audit trail of an agency
  "agency.manage",
  "user.manage", // change roles, move between agencies, disable
  "content.sync",
  "outbox.view",
  "records.verify", // recompute the completion records' hash chain (all agencies' records)
] as const;
export type Action = (typeof ACTIONS)[number];

const ADMIN_ONLY: ReadonlySet<Action> = new Set([
  "agency.manage",
  "user.manage",
  "content.sync",
  "outbox.view",
  "records.verify",
]);

export function can(actor: Actor, action: Action, target?: Target): boolean {
  const has = (role: Role) => actor.roles.includes(role);
  if (has("admin")) return true;
  if (ADMIN_ONLY.has(action)) return false;
  if (action === "learning.take") return target === undefined || target.userId === actor.id;
  if (!target) return false;
  const ownAgency = target.agencyId === actor.agencyId;
  if (!ownAgency) return false;
  switch (action) {
    case "progress.view":
    case "records.view":
      return has("reviewer") || (has("trainer") && trains(actor, target));
    case "records.check":
    case "audit.view":
      // An agency's whole trail and chain: its reviewers; a trainer's reach is groups, not the agency.
      return has("reviewer");
    case "course.assign":
      return has("trainer") && trains(actor, target);
    case "group.manage":
      // The agency's trainers keep its groups: members, and who trains each.
      return has("trainer");
    case "user.invite":
      // Trainers bring trainees into their own agency; other roles are granted by admins.
      return has("trainer") && (target.role ?? "trainee") === "trainee";
  }
  return false;
}

/** Whether the target (a group, or a person in groups) is within the groups the actor trains. */
function trains(actor: Actor, target: Target): boolean {
  const mine = actor.trainerOf ?? [];
  if (target.groupId !== undefined) return mine.includes(target.groupId);
  return (target.groupIds ?? []).some((g) => mine.includes(g));
}

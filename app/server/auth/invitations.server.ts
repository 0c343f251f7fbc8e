// Invitations: an admin (or a trainer, for trainees of their own agency) names an e-mail, agency,
// role and profession; the invitee follows a single-use link, sets name and password, and is in.
import type { Kysely } from "kysely";
import type { Database, InvitationEndReason, Locale, Profession, Role } from "../../../db/schema";
import { audit } from "../audit.server";
import type { Delivery, Mailer } from "../mail/mailer.server";
import { existingAccountMail, invitationMail } from "../mail/messages.server";
import { DomainError, isUniqueViolation } from "../shared/errors.server";
import { hashToken, newToken, tokenStatus, type TokenStatus } from "../shared/tokens.server";
import { assertAcceptablePassword, setPassword } from "./accounts.server";
import { hashPassword, type HashParams } from "./passwords.server";
import { can, type Actor } from "./policy.server";
import { spendAllowance } from "./throttle.server";
import { reconcilePerson } from "../assignments/assign.server";

/**
 * The accounts holding these addresses (lower case), with the groups each belongs to: what an
 * inviter's policy check needs to decide whether the account is theirs to see. One statement.
 */
export async function accountsByEmail(db: Kysely<Database>, emails: readonly string[]) {
  if (emails.length === 0) return [];
  const rows = await db
    .selectFrom("users as u")
    .select((eb) => [
      "u.id",
      "u.email",
      "u.agency_id",
      eb.fn
        .coalesce(
          eb
            .selectFrom("group_members as m")
            .select((e) => e.fn.jsonAgg("m.group_id").as("g"))
            .whereRef("m.user_id", "=", "u.id"),
          eb.val("[]"),
        )
        .as("group_ids"),
    ])
    .where("u.email", "in", emails)
    .execute();
  return rows.map(({ group_ids, ...row }) => ({ ...row, groupIds: group_ids as unknown as string[] }));
}

export const INVITATION_TTL_MS = 7 * 24 * 3_600_000;

export interface InvitationInput {
  email: string;
  agencyId: string;
  role: Role;
  profession: Profession;
}

export async function invite(
  db: Kysely<Database>,
  mailer: Mailer,
  publicUrl: string,
  actor: Actor,
  input: InvitationInput,
): Promise<InvitationSent> {
  if (!can(actor, "user.invite", { agencyId: input.agencyId, role: input.role })) {
    throw new DomainError("forbidden", "errors.forbidden");
  }
  const email = input.email.trim().toLowerCase();
  const agency = await db
    .selectFrom("agencies")
    .select(["id", "name"])
    .where("id", "=", input.agencyId)
    .executeTakeFirst();
  if (!agency) throw new DomainError("invalid", "errors.agency.unknown", "agencyId");
  const [existing] = await accountsByEmail(db, [email]);
  // Someone who may see the person is told the address is taken. Anyone else (a trainer, about an
  // account in another agency) gets exactly the answer a new address gets, and the pending
  // invitation to show for it; the address's owner is told instead, by mail, that they already have
  // an account. The link is never sent, so that invitation can never be used.
  const visible =
    existing &&
    can(actor, "progress.view", {
      agencyId: existing.agency_id,
      userId: existing.id,
      groupIds: existing.groupIds,
    });
  if (visible) {
    throw new DomainError("conflict", "errors.invite.emailTaken", "email");
  }

  const token = newToken();
  const link = `${publicUrl}/invite/${token}`;
  const row = await db.transaction().execute(async (trx) => {
    // Counted in this transaction: an invitation that fails gives its allowance back.
    await spendAllowance(trx, "invitations", `user:${actor.id}`);
    // The address gets one live link: the newest. Ending the open ones first keeps the unique
    // index (one open invitation per address) satisfied; a concurrent invitation to the same
    // address waits on the index and then fails, rather than leaving two links.
    const ended = await trx
      .updateTable("invitations")
      .set({ ended_at: new Date(), end_reason: "superseded", ended_by: actor.id })
      .where("email", "=", email)
      .where("accepted_at", "is", null)
      .where("ended_at", "is", null)
      .returning(["id", "agency_id"])
      .execute();
    let created;
    try {
      created = await trx
        .insertInto("invitations")
        .values({
          token_hash: hashToken(token),
          email,
          agency_id: input.agencyId,
          role: input.role,
          profession: input.profession,
          invited_by: actor.id,
          expires_at: new Date(Date.now() + INVITATION_TTL_MS),
        })
        .returning("id")
        .executeTakeFirstOrThrow();
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError("conflict", "errors.invite.concurrent", "email");
      throw error;
    }
    for (const old of ended) {
      await audit(trx, {
        actorId: actor.id,
        agencyId: old.agency_id,
        action: "user.invitation_superseded",
        subjectType: "invitation",
        subjectId: old.id,
        details: { email, by: created.id },
      });
    }
    await audit(trx, {
      actorId: actor.id,
      agencyId: input.agencyId,
      action: "user.invited",
      subjectType: "invitation",
      subjectId: created.id,
      details: {
        email,
        role: input.role,
        profession: input.profession,
        ...(existing ? { existingAccount: true } : {}),
      },
    });
    return created;
  });
  const delivery = await mailInvitation(mailer, publicUrl, email, agency.name, link, Boolean(existing));
  return { id: row.id, link, email, delivery };
}

// An address with an account is told so, with no link that makes one; the inviter sees the same
// answer either way.
function mailInvitation(
  mailer: Mailer,
  publicUrl: string,
  email: string,
  agencyName: string,
  link: string,
  hasAccount: boolean,
): Promise<Delivery> {
  if (hasAccount) {
    const signIn = `${publicUrl}/sign-in`;
    return mailer.send({ to: email, link: signIn, ...existingAccountMail(agencyName, signIn) });
  }
  return mailer.send({ to: email, link, ...invitationMail(agencyName, link) });
}

/** What the inviter is told after inviting or resending: the link when no mail went out. */
export interface InvitationSent {
  id: string;
  email: string;
  link: string;
  delivery: Delivery;
}

/** An open invitation the actor may resend or revoke, locked for the change; else a refusal. */
async function openInvitationFor(trx: Kysely<Database>, actor: Actor, invitationId: string) {
  const inv = await trx
    .selectFrom("invitations")
    .selectAll()
    .where("id", "=", invitationId)
    .forUpdate()
    .executeTakeFirst();
  if (!inv) throw new DomainError("not_found", "errors.notFound");
  if (!can(actor, "user.invite", { agencyId: inv.agency_id, role: inv.role })) {
    throw new DomainError("forbidden", "errors.forbidden");
  }
  if (inv.accepted_at || inv.ended_at) throw new DomainError("conflict", "errors.invite.notOpen");
  return inv;
}

/**
 * Sends an open invitation again as a new one with the same address, agency, role and profession
 * and a fresh week; the old link then opens the "replaced" page, so a forwarded or lost mail
 * cannot be used beside the new one.
 */
export async function resendInvitation(
  db: Kysely<Database>,
  mailer: Mailer,
  publicUrl: string,
  actor: Actor,
  invitationId: string,
): Promise<InvitationSent> {
  const token = newToken();
  const link = `${publicUrl}/invite/${token}`;
  const sent = await db.transaction().execute(async (trx) => {
    const old = await openInvitationFor(trx, actor, invitationId);
    await spendAllowance(trx, "invitations", `user:${actor.id}`);
    await trx
      .updateTable("invitations")
      .set({ ended_at: new Date(), end_reason: "superseded", ended_by: actor.id })
      .where("id", "=", old.id)
      .execute();
    const created = await trx
      .insertInto("invitations")
      .values({
        token_hash: hashToken(token),
        email: old.email,
        agency_id: old.agency_id,
        role: old.role,
        profession: old.profession,
        invited_by: actor.id,
        expires_at: new Date(Date.now() + INVITATION_TTL_MS),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await audit(trx, {
      actorId: actor.id,
      agencyId: old.agency_id,
      action: "user.invitation_resent",
      subjectType: "invitation",
      subjectId: created.id,
      details: { email: old.email, replaces: old.id },
    });
    const agency = await trx
      .selectFrom("agencies")
      .select("name")
      .where("id", "=", old.agency_id)
      .executeTakeFirstOrThrow();
    const account = await trx.selectFrom("users").select("id").where("email", "=", old.email).executeTakeFirst();
    return { id: created.id, email: old.email, agencyName: agency.name, hasAccount: Boolean(account) };
  });
  const delivery = await mailInvitation(mailer, publicUrl, sent.email, sent.agencyName, link, sent.hasAccount);
  return { id: sent.id, email: sent.email, link, delivery };
}

/** Ends an open invitation: its link then opens a page saying it was withdrawn. */
export async function revokeInvitation(
  db: Kysely<Database>,
  actor: Actor,
  invitationId: string,
): Promise<{ email: string }> {
  return db.transaction().execute(async (trx) => {
    const inv = await openInvitationFor(trx, actor, invitationId);
    await trx
      .updateTable("invitations")
      .set({ ended_at: new Date(), end_reason: "revoked", ended_by: actor.id })
      .where("id", "=", inv.id)
      .execute();
    await audit(trx, {
      actorId: actor.id,
      agencyId: inv.agency_id,
      action: "user.invitation_revoked",
      subjectType: "invitation",
      subjectId: inv.id,
      details: { email: inv.email },
    });
    return { email: inv.email };
  });
}

/** How a link stands; an invitation can also end unused, superseded or revoked. */
export type InvitationStatus = TokenStatus | "superseded" | "revoked";

export type InvitationView =
  | {
      status: "valid";
      email: string;
      agencyName: string;
      role: Role;
      profession: Profession;
      /** The name the inviter gave (a bulk invitation), offered on the form. */
      displayName: string | null;
    }
  | { status: Exclude<InvitationStatus, "valid"> };

function invitationStatus(
  row: { expires_at: Date; accepted_at: Date | null; end_reason: InvitationEndReason | null } | undefined,
): InvitationStatus {
  // An invitation ended by an account made with another one reads as used: the address has its account.
  if (row?.end_reason === "account_made") return "used";
  if (row?.end_reason) return row.end_reason;
  return tokenStatus(row);
}

export async function inspectInvitation(db: Kysely<Database>, token: string): Promise<InvitationView> {
  const row = await db
    .selectFrom("invitations as i")
    .innerJoin("agencies as a", "a.id", "i.agency_id")
    .select([
      "i.email",
      "i.role",
      "i.profession",
      "i.expires_at",
      "i.accepted_at",
      "i.end_reason",
      "i.display_name",
      "a.name as agency_name",
    ])
    .where("i.token_hash", "=", hashToken(token))
    .executeTakeFirst();
  const status = invitationStatus(row);
  if (status !== "valid" || !row) return { status: status === "valid" ? "unknown" : status };
  return {
    status,
    email: row.email,
    agencyName: row.agency_name,
    role: row.role,
    profession: row.profession,
    displayName: row.display_name,
  };
}

/** Creates the account once; a second use of the link (or a double submit) is refused. */
export async function acceptInvitation(
  db: Kysely<Database>,
  hashing: HashParams,
  token: string,
  input: { displayName: string; password: string; locale: Locale },
): Promise<{ userId: string }> {
  const preview = await inspectInvitation(db, token);
  if (preview.status !== "valid") throw new DomainError("invalid", `errors.token.${preview.status}`);
  assertAcceptablePassword(input.password, { email: preview.email, displayName: input.displayName });
  const hash = await hashPassword(input.password, hashing);

  return db.transaction().execute(async (trx) => {
    // Lock the invitation so that two submits cannot both create the account.
    const inv = await trx
      .selectFrom("invitations")
      .selectAll()
      .where("token_hash", "=", hashToken(token))
      .forUpdate()
      .executeTakeFirst();
    const status = invitationStatus(inv);
    if (!inv || status !== "valid") throw new DomainError("invalid", `errors.token.${status}`);
    let userId: string;
    try {
      const user = await trx
        .insertInto("users")
        .values({
          email: inv.email,
          display_name: input.displayName,
          profession: inv.profession,
          locale: input.locale,
          agency_id: inv.agency_id,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      userId = user.id;
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError("conflict", "errors.invite.emailTaken");
      throw error;
    }
    await trx.insertInto("user_roles").values({ user_id: userId, role: inv.role }).execute();
    await setPassword(trx, userId, hash);
    // A bulk invitation names the group the person joins (its group assignments then reach them).
    if (inv.group_id) {
      await trx.insertInto("group_members").values({ group_id: inv.group_id, user_id: userId }).execute();
    }
    await reconcilePerson(trx, userId);
    await trx
      .updateTable("invitations")
      .set({ accepted_at: new Date(), accepted_user_id: userId })
      .where("id", "=", inv.id)
      .execute();
    // Every earlier invitation to this address has ended already: at most one is open per
    // address (a unique index), so accepting this one leaves no other link that opens a form.
    await audit(trx, {
      actorId: userId,
      agencyId: inv.agency_id,
      action: "user.invitation_accepted",
      subjectType: "user",
      subjectId: userId,
      details: { invitationId: inv.id, role: inv.role, ...(inv.group_id ? { groupId: inv.group_id } : {}) },
    });
    return { userId };
  });
}

export async function listPendingInvitations(db: Kysely<Database>, agencyId?: string) {
  let q = db
    .selectFrom("invitations as i")
    .innerJoin("agencies as a", "a.id", "i.agency_id")
    .select([
      "i.id",
      "i.email",
      "i.role",
      "i.profession",
      "i.expires_at",
      "i.created_at",
      "i.agency_id",
      "a.name as agency_name",
    ])
    .where("i.accepted_at", "is", null)
    .where("i.ended_at", "is", null)
    .where("i.expires_at", ">", new Date())
    .orderBy("i.created_at", "desc");
  if (agencyId) q = q.where("i.agency_id", "=", agencyId);
  return q.execute();
}

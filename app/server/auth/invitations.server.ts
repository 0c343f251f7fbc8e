// Invitations: an admin (or a trainer, for trainees of their own agency) names an e-mail, agency,
// role and profession; the invitee follows a single-use link, sets name and password, and is in.
import type { Kysely } from "kysely";
import type { Database, Locale, Profession, Role } from "../../../db/schema";
import { audit } from "../audit.server";
import type { Mailer } from "../mail/mailer.server";
import { existingAccountMail, invitationMail } from "../mail/messages.server";
import { DomainError, isUniqueViolation } from "../shared/errors.server";
import { hashToken, newToken, tokenStatus, type TokenStatus } from "../shared/tokens.server";
import { assertAcceptablePassword, setPassword } from "./accounts.server";
import { hashPassword, type HashParams } from "./passwords.server";
import { can, type Actor } from "./policy.server";
import { reconcilePerson } from "../assignments/assign.server";

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
): Promise<{ id: string; link: string }> {
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
  const existing = await db
    .selectFrom("users")
    .select((eb) => [
      "id",
      "agency_id",
      eb.fn
        .coalesce(
          eb
            .selectFrom("group_members as m")
            .select((e) => e.fn.jsonAgg("m.group_id").as("g"))
            .whereRef("m.user_id", "=", "users.id"),
          eb.val("[]"),
        )
        .as("group_ids"),
    ])
    .where("email", "=", email)
    .executeTakeFirst();
  // Someone who may see the person is told the address is taken. Anyone else (a trainer, about an
  // account in another agency) gets exactly the answer a new address gets, and the pending
  // invitation to show for it; the address's owner is told instead, by mail, that they already have
  // an account. The link is never sent, so that invitation can never be used.
  const visible =
    existing &&
    can(actor, "progress.view", {
      agencyId: existing.agency_id,
      userId: existing.id,
      groupIds: existing.group_ids as unknown as string[],
    });
  if (visible) {
    throw new DomainError("conflict", "errors.invite.emailTaken", "email");
  }

  const token = newToken();
  const link = `${publicUrl}/invite/${token}`;
  const row = await db.transaction().execute(async (trx) => {
    const created = await trx
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
  if (existing) {
    const signIn = `${publicUrl}/sign-in`;
    await mailer.send({ to: email, link: signIn, ...existingAccountMail(agency.name, signIn) });
  } else {
    await mailer.send({ to: email, link, ...invitationMail(agency.name, link) });
  }
  return { id: row.id, link };
}

export type InvitationView =
  | { status: "valid"; email: string; agencyName: string; role: Role; profession: Profession }
  | { status: Exclude<TokenStatus, "valid"> };

export async function inspectInvitation(db: Kysely<Database>, token: string): Promise<InvitationView> {
  const row = await db
    .selectFrom("invitations as i")
    .innerJoin("agencies as a", "a.id", "i.agency_id")
    .select(["i.email", "i.role", "i.profession", "i.expires_at", "i.accepted_at", "a.name as agency_name"])
    .where("i.token_hash", "=", hashToken(token))
    .executeTakeFirst();
  const status = tokenStatus(row);
  if (status !== "valid" || !row) return { status: status === "valid" ? "unknown" : status };
  return { status, email: row.email, agencyName: row.agency_name, role: row.role, profession: row.profession };
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
  assertAcceptablePassword(input.password, preview.email);
  const hash = await hashPassword(input.password, hashing);

  return db.transaction().execute(async (trx) => {
    // Lock the invitation so that two submits cannot both create the account.
    const inv = await trx
      .selectFrom("invitations")
      .selectAll()
      .where("token_hash", "=", hashToken(token))
      .forUpdate()
      .executeTakeFirst();
    const status = tokenStatus(inv);
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
    await reconcilePerson(trx, userId);
    await trx
      .updateTable("invitations")
      .set({ accepted_at: new Date(), accepted_user_id: userId })
      .where("id", "=", inv.id)
      .execute();
    await audit(trx, {
      actorId: userId,
      agencyId: inv.agency_id,
      action: "user.invitation_accepted",
      subjectType: "user",
      subjectId: userId,
      details: { invitationId: inv.id, role: inv.role },
    });
    return { userId };
  });
}

export async function listPendingInvitations(db: Kysely<Database>, agencyId?: string) {
  let q = db
    .selectFrom("invitations as i")
    .innerJoin("agencies as a", "a.id", "i.agency_id")
    .select(["i.id", "i.email", "i.role", "i.profession", "i.expires_at", "i.created_at", "a.name as agency_name"])
    .where("i.accepted_at", "is", null)
    .where("i.expires_at", ">", new Date())
    .orderBy("i.created_at", "desc");
  if (agencyId) q = q.where("i.agency_id", "=", agencyId);
  return q.execute();
}

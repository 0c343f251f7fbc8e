// People: listing them, their roles, the agency they belong to, and disabling an account.
import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { Database, Locale, Role } from "../../../db/schema";
import { endAllSessions } from "../auth/accounts.server";
import { audit } from "../audit.server";
import { personInScope, type Scope } from "../auth/scope.server";
import { DomainError } from "../shared/errors.server";
import { reconcilePerson } from "../assignments/assign.server";

export const PAGE_SIZE = 50;

export interface UserListFilter {
  /** Whose people may be listed at all (scopeFor the reader and "progress.view"). */
  scope: Scope;
  /** Narrows the list to one agency within the scope. */
  agencyId?: string | undefined;
  query?: string | undefined;
  page?: number | undefined;
}

/** A person with their agency's name and their roles, as the people pages show them. */
function peopleQuery(db: Kysely<Database>) {
  return db
    .selectFrom("users as u")
    .innerJoin("agencies as a", "a.id", "u.agency_id")
    .select([
      "u.id",
      "u.email",
      "u.display_name",
      "u.profession",
      "u.locale",
      "u.agency_id",
      "u.disabled_at",
      "u.created_at",
      "a.name as agency_name",
      sql<Role[]>`array(select r.role from user_roles r where r.user_id = u.id order by r.role)`.as("roles"),
    ]);
}

export async function listUsers(db: Kysely<Database>, filter: UserListFilter) {
  let q = peopleQuery(db).where(personInScope(filter.scope));
  if (filter.agencyId) q = q.where("u.agency_id", "=", filter.agencyId);
  if (filter.query) {
    const like = `%${filter.query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) => eb.or([eb("u.display_name", "ilike", like), eb("u.email", "ilike", like)]));
  }
  const page = Math.max(1, filter.page ?? 1);
  const rows = await q
    .orderBy("u.display_name")
    .orderBy("u.id")
    .limit(PAGE_SIZE + 1)
    .offset((page - 1) * PAGE_SIZE)
    .execute();
  return { users: rows.slice(0, PAGE_SIZE), page, hasMore: rows.length > PAGE_SIZE };
}

export async function getUser(db: Kysely<Database>, id: string) {
  const user = await peopleQuery(db).where("u.id", "=", id).executeTakeFirst();
  if (!user) return undefined;
  const groups = await db
    .selectFrom("group_members as m")
    .innerJoin("groups as g", "g.id", "m.group_id")
    .select(["g.id", "g.name", "g.kind"])
    .where("m.user_id", "=", id)
    .orderBy("g.name")
    .execute();
  return { ...user, groups };
}

async function adminCount(db: Kysely<Database>, excluding: string): Promise<number> {
  const row = await db
    .selectFrom("user_roles as r")
    .innerJoin("users as u", "u.id", "r.user_id")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("r.role", "=", "admin")
    .where("u.disabled_at", "is", null)
    .where("u.id", "!=", excluding)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The person's row, locked until the transaction ends, so that concurrent changes to them queue. */
async function lockPerson(trx: Kysely<Database>, userId: string) {
  const user = await trx
    .selectFrom("users")
    .select(["id", "agency_id", "display_name"])
    .where("id", "=", userId)
    .forUpdate()
    .executeTakeFirst();
  if (!user) throw new DomainError("not_found", "errors.notFound");
  return user;
}

/** Replaces a person's roles. The platform always keeps at least one active admin. */
export async function setRoles(db: Kysely<Database>, actorId: string, userId: string, roles: Role[]) {
  await db.transaction().execute(async (trx) => {
    const user = await lockPerson(trx, userId);
    if (!roles.includes("admin") && (await adminCount(trx, userId)) === 0) {
      throw new DomainError("invalid", "errors.user.lastAdmin", "roles");
    }
    await trx.deleteFrom("user_roles").where("user_id", "=", userId).execute();
    if (roles.length > 0) {
      await trx
        .insertInto("user_roles")
        .values(roles.map((role) => ({ user_id: userId, role })))
        .execute();
    }
    await audit(trx, {
      actorId,
      agencyId: user.agency_id,
      action: "user.roles_changed",
      subjectType: "user",
      subjectId: userId,
      details: { roles },
    });
  });
}

/** Moves a person to another agency; their groups belonged to the old one, so they leave them. */
export async function moveUser(db: Kysely<Database>, actorId: string, userId: string, agencyId: string) {
  await db.transaction().execute(async (trx) => {
    const user = await lockPerson(trx, userId);
    const agency = await trx.selectFrom("agencies").select("id").where("id", "=", agencyId).executeTakeFirst();
    if (!agency) throw new DomainError("invalid", "errors.agency.unknown", "agencyId");
    if (user.agency_id === agencyId) return;
    await trx.deleteFrom("group_members").where("user_id", "=", userId).execute();
    await trx.updateTable("users").set({ agency_id: agencyId }).where("id", "=", userId).execute();
    await reconcilePerson(trx, userId);
    await audit(trx, {
      actorId,
      agencyId,
      action: "user.moved",
      subjectType: "user",
      subjectId: userId,
      details: { from: user.agency_id, to: agencyId },
    });
  });
}

/** Disables (or re-enables) an account; disabling ends every session at once. */
export async function setDisabled(db: Kysely<Database>, actorId: string, userId: string, disabled: boolean) {
  if (disabled && actorId === userId) throw new DomainError("invalid", "errors.user.disableSelf");
  await db.transaction().execute(async (trx) => {
    const user = await lockPerson(trx, userId);
    const roles = await trx.selectFrom("user_roles").select("role").where("user_id", "=", userId).execute();
    if (disabled && roles.some((r) => r.role === "admin") && (await adminCount(trx, userId)) === 0) {
      throw new DomainError("invalid", "errors.user.lastAdmin");
    }
    await trx
      .updateTable("users")
      .set({ disabled_at: disabled ? new Date() : null })
      .where("id", "=", userId)
      .execute();
    if (disabled) await endAllSessions(trx, userId);
    await reconcilePerson(trx, userId);
    await audit(trx, {
      actorId,
      agencyId: user.agency_id,
      action: disabled ? "user.disabled" : "user.enabled",
      subjectType: "user",
      subjectId: userId,
    });
  });
}

/** A person's own name and language. A change of name is audited: records name the holder as issued. */
export async function updateProfile(
  db: Kysely<Database>,
  userId: string,
  input: { displayName: string; locale: Locale },
) {
  await db.transaction().execute(async (trx) => {
    const before = await lockPerson(trx, userId);
    await trx
      .updateTable("users")
      .set({ display_name: input.displayName, locale: input.locale })
      .where("id", "=", userId)
      .execute();
    if (before.display_name !== input.displayName)
      await audit(trx, {
        actorId: userId,
        agencyId: before.agency_id,
        action: "user.name_changed",
        subjectType: "user",
        subjectId: userId,
        details: { from: before.display_name, to: input.displayName },
      });
  });
}

export async function setUserLocale(db: Kysely<Database>, userId: string, locale: Locale) {
  await db.updateTable("users").set({ locale }).where("id", "=", userId).execute();
}

// People and agencies for tests, made through the same code paths as the product where it matters
// (passwords are real argon2id hashes).
import type { Kysely } from "kysely";
import { hashPassword } from "../../app/server/auth/passwords.server";
import { setPassword } from "../../app/server/auth/accounts.server";
import { loadConfig, type Config } from "../../app/server/config.server";
import type { AgencyKind, Database, Profession, Role } from "../../db/schema";

export const PASSWORD = "correct horse battery staple";

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", PUBLIC_URL: "http://mamoru.test", ...overrides });
}

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

export async function makeAgency(db: Kysely<Database>, name = `Agency ${unique()}`, kind: AgencyKind = "police") {
  return db.insertInto("agencies").values({ name, kind }).returning(["id", "name"]).executeTakeFirstOrThrow();
}

export interface MadeUser {
  id: string;
  email: string;
  agencyId: string;
  roles: Role[];
}

export async function makeUser(
  db: Kysely<Database>,
  options: {
    agencyId: string;
    roles?: Role[];
    email?: string;
    password?: string;
    profession?: Profession;
    displayName?: string;
  },
): Promise<MadeUser> {
  const email = options.email ?? `user-${unique()}@example.test`;
  const roles = options.roles ?? ["trainee"];
  const user = await db
    .insertInto("users")
    .values({
      email,
      display_name: options.displayName ?? "Test Person",
      profession: options.profession ?? "police",
      locale: "en",
      agency_id: options.agencyId,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  if (roles.length)
    await db
      .insertInto("user_roles")
      .values(roles.map((role) => ({ user_id: user.id, role })))
      .execute();
  await setPassword(db, user.id, await passwordHash(options.password ?? PASSWORD));
  return { id: user.id, email, agencyId: options.agencyId, roles };
}

// One real argon2id hash per password for the whole process: each costs tens of milliseconds of
// CPU, some files make over a hundred people, and no test depends on a person's own salt.
const hashes = new Map<string, Promise<string>>();
function passwordHash(password: string): Promise<string> {
  let hash = hashes.get(password);
  if (!hash) {
    hash = hashPassword(password, testConfig().argon2);
    hashes.set(password, hash);
  }
  return hash;
}

/**
 * The roles whose people must give a second factor in this database. A new installation requires
 * it of every role (migration 0019); a test that signs in over HTTP only to reach the pages it is
 * about names the roles it needs here, usually none, as an admin would on /admin/security.
 */
export async function secondFactorRequiredFor(db: Kysely<Database>, roles: Role[]): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("mfa_required_roles").execute();
    if (roles.length)
      await trx
        .insertInto("mfa_required_roles")
        .values(roles.map((role) => ({ role })))
        .execute();
  });
}

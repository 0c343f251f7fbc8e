// On a Postgres server the migrations run as the schema's owner and requests as a role that owns
// nothing (README, "Database roles"): that role cannot switch the append-only triggers off, truncate
// or alter a table, or change and delete completion records and audit events, which is what an
// attack through the app's own connection would need. It can still do all the app does. The
// embedded engine has one role: nothing to test there (vitest.config.ts collects this file only on
// a server).
import { randomBytes } from "node:crypto";
import { sql, type Kysely } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { audit, verifyAuditChain } from "../../app/server/audit.server";
import { appendRecord, verifyChain } from "../../app/server/learning/records.server";
import { connect, type DatabaseHandle } from "../../db/connect.server";
import { prepareDatabase } from "../../db/roles.server";
import type { Database } from "../../db/schema";
import { disposeAfterFile } from "../support/cleanup";
import { engine, freshDatabase } from "../support/db";
import { adminQuery, runPrefix, serverUrl } from "../support/engine";
import { makeAgency, makeUser } from "../support/fixtures";
import { syncSample } from "../support/learning";

let owner: DatabaseHandle;
let app: Kysely<Database>;
let userId: string;
let agencyId: string;

const urlAs = (base: string, user: string, database: string) => {
  const url = new URL(base);
  url.username = user;
  url.password = "";
  url.pathname = `/${database}`;
  return url.toString();
};

describe(`the app's database role (${engine})`, () => {
  beforeAll(async () => {
    const role = `${runPrefix()}_app_${randomBytes(3).toString("hex")}`;
    await adminQuery(`create role ${role} login`);
    // Registered first, so it runs last: after the database (and the role's grants in it) is gone.
    disposeAfterFile(`role ${role}`, () => adminQuery(`drop role if exists ${role}`));
    owner = (await freshDatabase()).handle;
    const agency = await makeAgency(owner.db);
    agencyId = agency.id;
    userId = (await makeUser(owner.db, { agencyId })).id;
    await syncSample(owner.db);
    const name = (await sql<{ name: string }>`select current_database() as name`.execute(owner.db)).rows[0]!.name;
    const handle = await connect({ databaseUrl: urlAs(serverUrl!, role, name), poolSize: 2 });
    disposeAfterFile("the app role's pool", () => handle.close());
    app = handle.db;
    // What the server does at start with MIGRATION_DATABASE_URL: migrate as the owner, grant the app's role.
    await prepareDatabase(app, urlAs(serverUrl!, new URL(serverUrl!).username, name));
  });

  it("does what the app does: records, audit events, sessions, and verifies both chains", async () => {
    const mv = await app.selectFrom("module_versions").select("id").executeTakeFirstOrThrow();
    await app.transaction().execute(async (trx) => {
      await appendRecord(trx, {
        kind: "module",
        user_id: userId,
        module_version_id: mv.id,
        course_slug: null,
        attempt_id: null,
        score: 90,
        pretest_score: null,
        started_at: null,
        completed_at: new Date(),
        expires_at: new Date(Date.now() + 86_400_000),
        certificate_code: null,
        details: {},
      });
      await audit(trx, { actorId: userId, agencyId, action: "test.as_app", subjectType: "test" });
    });
    await sql`delete from sessions where user_id = ${userId}`.execute(app);
    expect(await verifyChain(app)).toMatchObject({ ok: true, checked: 1 });
    expect(await verifyAuditChain(app)).toMatchObject({ ok: true, checked: 1 });
  });

  it("starts with its own URL only once the owner has migrated: nothing to apply, nothing it may not do", async () => {
    await expect(prepareDatabase(app, undefined)).resolves.toEqual([]);
  });

  it.each([
    ["truncate completion_records", /permission denied/],
    ["truncate audit_events", /permission denied/],
    ["alter table completion_records disable trigger completion_records_append_only", /must be owner/],
    ["alter table audit_events disable trigger audit_events_append_only", /must be owner/],
    ["alter table completion_records drop column mac", /must be owner/],
    ["update completion_records set expires_at = '2099-12-31'", /permission denied/],
    ["delete from completion_records", /permission denied/],
    ["update audit_events set action = 'nothing happened'", /permission denied/],
    ["delete from audit_events", /permission denied/],
    ["drop table users", /must be owner/],
    ["create table shadow (id int)", /permission denied/],
    ["insert into kysely_migration (name, timestamp) values ('9999_evil', 'now')", /permission denied/],
  ])("is refused: %s", async (statement, error) => {
    await expect(sql.raw(statement).execute(app)).rejects.toThrow(error);
    // …and the owner sees nothing changed.
    expect(await verifyChain(owner.db)).toMatchObject({ ok: true });
  });
});

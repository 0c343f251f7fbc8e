import { Migrator, sql } from "kysely";
import { describe, expect, it } from "vitest";
import { migrateToLatest } from "../../db/migrate.server";
import { migrations } from "../../db/migrations";
import { emptyDatabase, engine } from "../support/db";

describe(`migrations (${engine})`, () => {
  it("build the whole schema from an empty database, then do nothing the second time", async () => {
    const empty = await emptyDatabase();
    const handle = await empty.open();
    try {
      expect(await migrateToLatest(handle.db)).toEqual(Object.keys(migrations));
      expect(await migrateToLatest(handle.db)).toEqual([]);
      const tables = await sql<{ table_name: string }>`
        select table_name from information_schema.tables where table_schema = 'public' order by table_name
      `.execute(handle.db);
      expect(tables.rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining([
          "agencies",
          "users",
          "user_roles",
          "sessions",
          "invitations",
          "password_resets",
          "throttles",
          "mail_outbox",
          "audit_events",
          "groups",
          "group_members",
        ]),
      );
    } finally {
      await handle.close();
    }
  });

  it("are applied once when several instances start at the same moment", async () => {
    const empty = await emptyDatabase();
    if (engine === "pglite") {
      // One process owns an embedded database; concurrent starts within it share one connection.
      const handle = await empty.open();
      try {
        const results = await Promise.all([
          migrateToLatest(handle.db),
          migrateToLatest(handle.db),
          migrateToLatest(handle.db),
        ]);
        expect(results.flat()).toEqual(Object.keys(migrations));
      } finally {
        await handle.close();
      }
      return;
    }
    // Separate pools stand for separate instances of the app.
    const instances = await Promise.all([empty.open(), empty.open(), empty.open(), empty.open()]);
    try {
      const results = await Promise.all(instances.map((h) => migrateToLatest(h.db)));
      expect(results.flat()).toEqual(Object.keys(migrations));
      const applied = await sql<{ n: number }>`select count(*)::int as n from kysely_migration`.execute(
        instances[0]!.db,
      );
      expect(applied.rows[0]!.n).toBe(Object.keys(migrations).length);
    } finally {
      await Promise.all(instances.map((h) => h.close()));
    }
  });

  it("make the audit trail append-only in the database itself", async () => {
    const empty = await emptyDatabase();
    const handle = await empty.open();
    try {
      await migrateToLatest(handle.db);
      await handle.db
        .insertInto("audit_events")
        .values({ actor_id: null, action: "test", subject_type: "test", details: "{}" })
        .execute();
      await expect(sql`update audit_events set action = 'changed'`.execute(handle.db)).rejects.toThrow(/append-only/);
      await expect(sql`delete from audit_events`.execute(handle.db)).rejects.toThrow(/append-only/);
      const rows = await handle.db.selectFrom("audit_events").select("action").execute();
      expect(rows).toEqual([{ action: "test" }]);
    } finally {
      await handle.close();
    }
  });

  it("require a second factor of every role on a new installation, and keep an existing one's choice", async () => {
    const handle = await (await emptyDatabase()).open();
    try {
      // An installation from before the default, with people, whose admins required no role.
      const before = new Migrator({ db: handle.db, provider: { getMigrations: async () => migrations } });
      const upTo = await before.migrateTo("0018_invitation_imports");
      expect(upTo.error).toBeUndefined();
      await sql`insert into agencies (name, kind) values ('Older agency', 'police')`.execute(handle.db);
      await sql`
        insert into users (email, display_name, profession, agency_id)
        select 'old@example.test', 'Older Person', 'police', id from agencies
      `.execute(handle.db);
      await migrateToLatest(handle.db);
      expect(await handle.db.selectFrom("mfa_required_roles").select("role").execute()).toEqual([]);
    } finally {
      await handle.close();
    }
  });
});

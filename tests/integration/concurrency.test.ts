// PGlite has a single connection. Without serialisation, two transactions would share it and
// interleave: one's statements would run inside the other's transaction. These tests run many at
// once and check that each behaved as if alone.
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import type { DatabaseHandle } from "../../db/connect.server";
import { engine, testDatabase } from "../support/db";
import { makeAgency } from "../support/fixtures";

let database: DatabaseHandle;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  database = await testDatabase();
});

describe(`concurrent transactions (${engine})`, () => {
  it("never lose an update: 40 read-modify-write transactions at once leave a count of 40", async () => {
    const { db } = database;
    await sql`create table counter (id int primary key, n int not null)`.execute(db);
    await sql`insert into counter values (1, 0)`.execute(db);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        db.transaction().execute(async (trx) => {
          // `for update` makes this correct on a server; on PGlite the lock is the serialised connection.
          const { rows } = await sql<{ n: number }>`select n from counter where id = 1 for update`.execute(trx);
          await pause(i % 3); // yield, so that other transactions would get in if they could
          await sql`update counter set n = ${rows[0]!.n + 1} where id = 1`.execute(trx);
        }),
      ),
    );
    const { rows } = await sql<{ n: number }>`select n from counter where id = 1`.execute(db);
    expect(rows[0]!.n).toBe(40);
  });

  it("roll back a failed transaction without touching the ones running beside it", async () => {
    const { db } = database;
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) =>
        db.transaction().execute(async (trx) => {
          await trx
            .insertInto("agencies")
            .values({ name: `Concurrent ${i}`, kind: "court" })
            .execute();
          await pause(1);
          if (i % 3 === 0) throw new Error(`transaction ${i} fails on purpose`);
        }),
      ),
    );
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(10);
    const names = await db.selectFrom("agencies").select("name").where("name", "like", "Concurrent %").execute();
    const expected = Array.from({ length: 30 }, (_, i) => i)
      .filter((i) => i % 3 !== 0)
      .map((i) => `Concurrent ${i}`);
    expect(names.map((n) => n.name).sort()).toEqual(expected.sort());
  });

  it("let plain queries wait for a transaction instead of landing inside it", async () => {
    const { db } = database;
    const agency = await makeAgency(db, "Before");
    const inside = db.transaction().execute(async (trx) => {
      await trx.updateTable("agencies").set({ name: "Renamed then rolled back" }).where("id", "=", agency.id).execute();
      await pause(20);
      throw new Error("roll back");
    });
    // Issued while the transaction is open: on PGlite it must not run on the same connection
    // mid-transaction (it would see the uncommitted name, and be rolled back with it).
    const reads = Promise.all(
      Array.from({ length: 5 }, () =>
        db.selectFrom("agencies").select("name").where("id", "=", agency.id).executeTakeFirstOrThrow(),
      ),
    );
    const writes = db.insertInto("agencies").values({ name: "Written beside", kind: "other" }).execute();
    await expect(inside).rejects.toThrow("roll back");
    expect((await reads).map((r) => r.name)).toEqual(Array(5).fill("Before"));
    await writes;
    expect(await db.selectFrom("agencies").select("name").where("name", "=", "Written beside").execute()).toHaveLength(
      1,
    );
  });
});

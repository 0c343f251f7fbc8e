import { beforeAll, describe, expect, it } from "vitest";
import { compiledQuery } from "../../db/compiled-query.server";
import type { DatabaseHandle } from "../../db/connect.server";
import { engine, testDatabase } from "../support/db";
import { makeAgency, makeUser, type MadeUser } from "../support/fixtures";

let database: DatabaseHandle;
let alice: MadeUser;
let bob: MadeUser;

beforeAll(async () => {
  database = await testDatabase();
  const agency = await makeAgency(database.db);
  alice = await makeUser(database.db, { agencyId: agency.id, displayName: "Alice" });
  bob = await makeUser(database.db, { agencyId: agency.id, displayName: "Bob" });
});

// The same value twice, a value in a limit and a constant of the query's own.
const usersNamed = compiledQuery(
  ["id", "name", "limit"],
  (db, { id, name, limit }: { id: string; name: string; limit: number }) =>
    db
      .selectFrom("users")
      .select(["id", "display_name"])
      .where((eb) => eb.or([eb("id", "=", id), eb("display_name", "=", name), eb("id", "=", id)]))
      .where("disabled_at", "is", null)
      .orderBy("display_name")
      .limit(limit),
);

describe(`a query compiled once (${engine})`, () => {
  it("runs with each call's own values, wherever they appear", async () => {
    expect(await usersNamed(database.db, { id: alice.id, name: "nobody", limit: 10 })).toEqual([
      { id: alice.id, display_name: "Alice" },
    ]);
    expect(await usersNamed(database.db, { id: bob.id, name: "nobody", limit: 10 })).toEqual([
      { id: bob.id, display_name: "Bob" },
    ]);
    expect(await usersNamed(database.db, { id: alice.id, name: "Bob", limit: 10 })).toHaveLength(2);
    expect(await usersNamed(database.db, { id: alice.id, name: "Bob", limit: 1 })).toEqual([
      { id: alice.id, display_name: "Alice" },
    ]);
  });

  it("runs inside a transaction, on its connection", async () => {
    const seen = await database.db.transaction().execute(async (tx) => {
      await tx.updateTable("users").set({ display_name: "Alicia" }).where("id", "=", alice.id).execute();
      const inside = await usersNamed(tx, { id: alice.id, name: "nobody", limit: 10 });
      await tx.updateTable("users").set({ display_name: "Alice" }).where("id", "=", alice.id).execute();
      return inside;
    });
    expect(seen).toEqual([{ id: alice.id, display_name: "Alicia" }]);
  });

  it("refuses a query that leaves out a value it declares", async () => {
    const broken = compiledQuery(["id", "name"], (db, { id }: { id: string; name: string }) =>
      db.selectFrom("users").select("id").where("id", "=", id),
    );
    await expect(broken(database.db, { id: alice.id, name: "x" })).rejects.toThrow("name not used in the query");
  });
});

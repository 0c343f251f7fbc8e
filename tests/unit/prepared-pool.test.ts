import type pg from "pg";
import { describe, expect, it } from "vitest";
import { PreparingPool } from "../../db/prepared-pool.server";

/** A stand-in for pg's pool that records what each client is asked to run. */
function fakePool() {
  const sent: unknown[][] = [];
  const client = {
    query: (...args: unknown[]) => {
      sent.push(args);
      return Promise.resolve({ command: "SELECT", rowCount: 0, rows: [] });
    },
    release: () => {},
  };
  const pool = { connect: () => Promise.resolve(client), end: () => Promise.resolve() } as unknown as pg.Pool;
  return { pool, sent };
}

describe("the prepared-statement pool", () => {
  it("runs each distinct data statement under one name, with the call's values", async () => {
    const { pool, sent } = fakePool();
    const client = await new PreparingPool(pool).connect();
    await client.query('select * from "users" where "id" = $1', ["a"]);
    await client.query('select * from "users" where "id" = $1', ["b"]);
    await client.query('update "users" set "locale" = $1', ["ja"]);
    await client.query("with x as (select 1) select * from x", []);
    expect(sent).toEqual([
      [{ name: "k1", text: 'select * from "users" where "id" = $1', values: ["a"] }],
      [{ name: "k1", text: 'select * from "users" where "id" = $1', values: ["b"] }],
      [{ name: "k2", text: 'update "users" set "locale" = $1', values: ["ja"] }],
      [{ name: "k3", text: "with x as (select 1) select * from x", values: [] }],
    ]);
  });

  it("leaves transaction control and multi-statement texts unprepared", async () => {
    const { pool, sent } = fakePool();
    const client = await new PreparingPool(pool).connect();
    await client.query("begin", []);
    await client.query("create table t (id int); insert into t values (1)", []);
    await client.query("select 1; select 2", []);
    expect(sent).toEqual([
      ["begin", []],
      ["create table t (id int); insert into t values (1)", []],
      ["select 1; select 2", []],
    ]);
  });

  it("stops naming new statements at its limit, and keeps the names it gave", async () => {
    const { pool, sent } = fakePool();
    const client = await new PreparingPool(pool, 2).connect();
    for (const text of ["select 1", "select 2", "select 3", "select 1"]) await client.query(text, []);
    expect(sent.map(([q]) => (typeof q === "object" ? (q as { name: string }).name : null))).toEqual([
      "k1",
      "k2",
      null,
      "k1",
    ]);
  });

  it("hands back the same client wrapper for the same connection", async () => {
    const { pool } = fakePool();
    const preparing = new PreparingPool(pool);
    expect(await preparing.connect()).toBe(await preparing.connect());
  });
});

// When the database cannot be reached: /readyz says 503, pages say so clearly (in both
// languages), and the platform recovers by itself when the database returns.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type DatabaseHandle } from "../../db/connect.server";
import { adminQuery, databaseUrl, engine, runDatabaseName, serverUrl, templateDatabase } from "../support/engine";
import { testDatabase } from "../support/db";
import { PASSWORD, makeAgency, makeUser, secondFactorRequiredFor } from "../support/fixtures";
import { startTestServer, type TestServer } from "../support/http";
import { startProxy, type Proxy } from "../support/tcp-proxy";

let server: TestServer;
let database: DatabaseHandle;
let proxy: Proxy | undefined;
let cleanup: () => Promise<void> = async () => {};

beforeAll(async () => {
  if (serverUrl) {
    // The app reaches its own database through a relay the test can cut.
    const name = runDatabaseName(`avail_${randomBytes(4).toString("hex")}`);
    await adminQuery(`create database ${name} template ${templateDatabase()}`);
    const target = new URL(databaseUrl(name));
    proxy = await startProxy(target.hostname, Number(target.port || 5432));
    target.hostname = "127.0.0.1";
    target.port = String(proxy.port);
    database = await connect({ databaseUrl: target.toString(), poolSize: 4 });
    cleanup = async () => {
      await database.close();
      await proxy!.close();
      await adminQuery(`drop database if exists ${name} with (force)`);
    };
  } else {
    database = await testDatabase();
  }
  server = await startTestServer({}, database);
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
});

afterAll(() => cleanup());

describe(`database unavailable (${engine})`, () => {
  it("is reported by /readyz and on pages, and recovers when the database returns", async () => {
    const agency = await makeAgency(database.db);
    const user = await makeUser(database.db, { agencyId: agency.id });
    const client = server.client();
    expect((await client.signIn(user.email, PASSWORD)).status).toBe(302);
    expect((await client.get("/")).status).toBe(200);

    if (proxy) await proxy.cut();
    else await database.close(); // an embedded database that has gone away

    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: "unavailable" });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200); // the process itself is up

    const page = await client.get("/");
    expect(page.status).toBe(503);
    const html = await page.text();
    expect(html).toContain("一時的に利用できません");
    expect(html).toContain("Temporarily unavailable");

    const post = await client.post("/account", { intent: "profile", displayName: "X", locale: "en" });
    expect(post.status).toBe(503);

    if (!proxy) return; // a closed embedded database does not come back within the process
    await proxy.restore();
    await expect.poll(async () => (await fetch(`${server.url}/readyz`)).status).toBe(200);
    expect((await client.get("/")).status).toBe(200);
  });
});

// Usage limits over HTTP (ASVS 2.4.1): past a limit, each limited action answers 429 in the reader's
// language with Retry-After and changes nothing; below it, each use is counted in the database, so
// every instance on the database sees the same count. The limits are used up here by writing the
// count a real run would have reached (hundreds of mails would only make the test slow).
import { sql } from "kysely";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { en } from "../../app/i18n/en";
import { ja } from "../../app/i18n/ja";
import { LIMITS, limitKey, type LimitName } from "../../app/server/auth/throttle.server";
import { engine } from "../support/db";
import { PASSWORD, makeAgency, makeUser, secondFactorRequiredFor, type MadeUser } from "../support/fixtures";
import { startTestServer, type TestClient, type TestServer } from "../support/http";
import { enrol, syncSample } from "../support/learning";

let server: TestServer;
let agencyId: string;
let groupId: string;
const people: Record<string, MadeUser> = {};

beforeAll(async () => {
  server = await startTestServer();
  const db = server.database.db;
  // The pages here are about limits, not about the second step: no role must give a second factor.
  await secondFactorRequiredFor(db, []);
  agencyId = (await makeAgency(db, "Nara Prefectural Police")).id;
  groupId = (
    await db
      .insertInto("groups")
      .values({ agency_id: agencyId, name: "Cyber Unit", kind: "unit" })
      .returning("id")
      .executeTakeFirstOrThrow()
  ).id;
  for (const [key, roles] of [
    ["admin", ["admin"]],
    ["trainer", ["trainer"]],
    ["reviewer", ["reviewer"]],
    ["trainee", ["trainee"]],
  ] as const) {
    people[key] = await makeUser(db, { agencyId, roles: [...roles] });
  }
  await db.insertInto("group_trainers").values({ group_id: groupId, user_id: people.trainer!.id }).execute();
  // Everyone reads these pages in Japanese: the refusal must be in it.
  await db.updateTable("users").set({ locale: "ja" }).execute();
  await syncSample(db);
  await enrol(db, people.trainee!.id, "sample-course");
});

async function as(key: string): Promise<TestClient> {
  const client = server.client();
  expect((await client.signIn(people[key]!.email, PASSWORD)).status).toBe(302);
  return client;
}

/** The count of a limit as a run of real requests would leave it: `left` uses to go. */
async function usedUp(name: LimitName, who: MadeUser, left = 0) {
  const key = limitKey(name, `user:${who.id}`);
  const db = server.database.db;
  await db.deleteFrom("throttles").where("key", "=", key).execute();
  await db
    .insertInto("throttles")
    .values({ key, failures: LIMITS[name].max - left, window_started_at: new Date(), locked_until: null })
    .execute();
  onTestFinished(async () => {
    await db.deleteFrom("throttles").where("key", "=", key).execute();
  });
}

const used = async (name: LimitName, who: MadeUser) =>
  (
    await server.database.db
      .selectFrom("throttles")
      .select("failures")
      .where("key", "=", limitKey(name, `user:${who.id}`))
      .executeTakeFirst()
  )?.failures ?? 0;

const count = async (table: "invitations" | "invitation_imports" | "quiz_attempts" | "mail_outbox") =>
  Number(
    (
      await server.database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

/** A 429 that says, in Japanese, when to come back, and whose Retry-After agrees (within the window). */
async function expectRefusal(res: Response, name: LimitName) {
  expect(res.status).toBe(429);
  const wait = Number(res.headers.get("retry-after"));
  expect(wait).toBeGreaterThan(0);
  expect(wait).toBeLessThanOrEqual(LIMITS[name].windowMs / 1000);
  const page = await res.text();
  expect(page).toContain('<html lang="ja"');
  expect(page).toContain(ja.errors.limit[name].split("{{")[0]!);
  expect(page).not.toContain(en.errors.limit[name].split("{{")[0]!);
}

const csvFile = (...rows: string[]) => ({
  field: "file",
  name: "people.csv",
  bytes: new TextEncoder().encode(["name,email,profession,group", ...rows].join("\r\n")),
});

describe(`usage limits (${engine})`, () => {
  it("invitations: each one counts; past the day's limit a 429 in Japanese, no invitation, no mail", async () => {
    const admin = await as("admin");
    const invite = (email: string) =>
      admin.post("/admin/users/invite", { email, agencyId, role: "trainee", profession: "police" });
    const before = await used("invitations", people.admin!);
    expect((await invite("counted@example.test")).status).toBe(200);
    expect(await used("invitations", people.admin!)).toBe(before + 1);

    await usedUp("invitations", people.admin!);
    const [invitations, mails] = [await count("invitations"), await count("mail_outbox")];
    await expectRefusal(await invite("one-too-many@example.test"), "invitations");
    expect(await count("invitations")).toBe(invitations);
    expect(await count("mail_outbox")).toBe(mails);
    expect(await used("invitations", people.admin!)).toBe(LIMITS.invitations.max);
  });

  it("invitations: the limit is a training officer's day, a few hundred", () => {
    expect(LIMITS.invitations.max).toBeGreaterThanOrEqual(200);
    expect(LIMITS.invitations.windowMs).toBe(24 * 3_600_000);
  });

  it("the CSV import: uploads past the hour's limit, and a confirmation over the day's invitations, change nothing", async () => {
    const trainer = await as("trainer");
    await usedUp("importUploads", people.trainer!);
    const imports = await count("invitation_imports");
    await expectRefusal(
      await trainer.postFile("/training/invite", csvFile("Sato Jiro,sato.jiro@example.test,police,Cyber Unit")),
      "importUploads",
    );
    expect(await count("invitation_imports")).toBe(imports);

    // The next hour: the file is read, and its confirmation counts one invitation per row.
    await server.database.db
      .deleteFrom("throttles")
      .where("key", "=", limitKey("importUploads", `user:${people.trainer!.id}`))
      .execute();
    const uploaded = await trainer.postFile(
      "/training/invite",
      csvFile("Ito Hana,ito.hana@example.test,police,Cyber Unit", "Kato Ken,kato.ken@example.test,police,Cyber Unit"),
    );
    expect(uploaded.status).toBe(302);
    const preview = uploaded.headers.get("location")!;
    // One invitation left today, and the file would send two: all of it is refused.
    await usedUp("importedInvitations", people.trainer!, 1);
    const invitations = await count("invitations");
    await expectRefusal(await trainer.post(preview, {}), "importedInvitations");
    expect(await count("invitations")).toBe(invitations);
    expect(await used("importedInvitations", people.trainer!)).toBe(LIMITS.importedInvitations.max - 1);
    const row = await server.database.db
      .selectFrom("invitation_imports")
      .select("status")
      .where("id", "=", preview.split("/").at(-1)!)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe("previewed");

    // With room for both, the same confirmation imports the file and counts its two invitations.
    await usedUp("importedInvitations", people.trainer!, 2);
    expect((await trainer.post(preview, {})).status).toBe(302);
    expect(await count("invitations")).toBe(invitations + 2);
    expect(await used("importedInvitations", people.trainer!)).toBe(LIMITS.importedInvitations.max);
  });

  it("exports: past the hour's limit, each export is a 429 page and is not audited", async () => {
    const reviewer = await as("reviewer");
    const first = await reviewer.get("/agency/records/export?format=csv");
    expect(first.status).toBe(200);
    await first.text(); // the export is audited when its body has been sent
    expect(await used("exports", people.reviewer!)).toBe(1);
    await usedUp("exports", people.reviewer!);
    const audited = async () =>
      Number(
        (
          await server.database.db
            .selectFrom("audit_events")
            .select((eb) => eb.fn.countAll().as("n"))
            .where("actor_id", "=", people.reviewer!.id)
            .where("action", "like", "%export%")
            .executeTakeFirstOrThrow()
        ).n,
      );
    await expect.poll(audited).toBeGreaterThanOrEqual(1);
    const before = await audited();
    for (const path of [
      "/agency/records/export?format=csv",
      "/agency/records/export?format=xapi",
      "/agency/matrix/export",
      "/agency/audit/export",
    ]) {
      const res = await reviewer.get(path);
      await expectRefusal(res, "exports");
    }
    expect(await audited()).toBe(before);
  });

  it("quiz attempts: past the hour's limit no attempt starts; the module's page says when in Japanese", async () => {
    const trainee = await as("trainee");
    await usedUp("quizAttempts", people.trainee!);
    const attempts = await count("quiz_attempts");
    await expectRefusal(await trainee.post("/learn/sample-module", { stage: "pretest" }), "quizAttempts");
    expect(await count("quiz_attempts")).toBe(attempts);
  });

  it("quiz attempts: only a new attempt counts, not going back to the open one", async () => {
    const trainee = await as("trainee");
    await server.database.db
      .deleteFrom("throttles")
      .where("key", "=", limitKey("quizAttempts", `user:${people.trainee!.id}`))
      .execute();
    const first = await trainee.post("/learn/sample-module", { stage: "pretest" });
    expect(first.status).toBe(302);
    const again = await trainee.post("/learn/sample-module", { stage: "pretest" });
    expect(again.headers.get("location")).toBe(first.headers.get("location"));
    expect(await used("quizAttempts", people.trainee!)).toBe(1);
  });

  it("are kept in the database: a second instance on it sees the first one's count", async () => {
    const second = await startTestServer({}, server.database);
    await usedUp("exports", people.reviewer!);
    const client = second.client();
    expect((await client.signIn(people.reviewer!.email, PASSWORD)).status).toBe(302);
    await expectRefusal(await client.get("/agency/matrix/export"), "exports");
  });

  it("are written in one place, each with a window of an hour or a day", async () => {
    for (const [name, limit] of Object.entries(LIMITS)) {
      expect([3_600_000, 24 * 3_600_000], name).toContain(limit.windowMs);
      expect(limit.max, name).toBeGreaterThanOrEqual(30);
    }
    // Every limit has its message in both languages.
    for (const name of Object.keys(LIMITS) as LimitName[]) {
      expect(en.errors.limit[name]).toContain("{{time}}");
      expect(ja.errors.limit[name]).toContain("{{time}}");
    }
    // The counts live in the table every instance shares.
    const { rows } = await sql<{
      n: number;
    }>`select count(*)::int as n from throttles where key like 'limit:%'`.execute(server.database.db);
    expect(rows[0]!.n).toBeGreaterThan(0);
  });
});

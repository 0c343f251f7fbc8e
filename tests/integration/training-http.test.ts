// The trainer's pages over HTTP, as each kind of reader meets them: a trainer assigns a course to a
// group they train and follows its people; a trainee, another group's trainer and another agency's
// trainer get a refusal or "not found", never a row; bad input is a 400 that changes nothing.
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { addDays, tokyoDate } from "../../app/server/shared/days.server";
import { engine } from "../support/db";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { startTestServer, type TestClient, type TestServer } from "../support/http";
import { syncSample } from "../support/learning";

let server: TestServer;
const people: Record<string, MadeUser> = {};
let unit: string;
let otherUnit: string;

beforeAll(async () => {
  server = await startTestServer();
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  const db = server.database.db;
  await syncSample(db);
  const agency = (await makeAgency(db, "Kyoto Prefectural Police")).id;
  const other = (await makeAgency(db, "Kobe Family Court", "court")).id;
  const group = async (name: string, agencyId: string) =>
    (
      await db
        .insertInto("groups")
        .values({ agency_id: agencyId, name, kind: "unit" })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
  unit = await group("Juvenile Division", agency);
  otherUnit = await group("Cyber Unit", agency);
  const courtUnit = await group("Family Division", other);
  for (const [key, agencyId, roles, member] of [
    ["trainee", agency, ["trainee"], unit],
    ["trainee2", agency, ["trainee"], unit],
    ["outsider", agency, ["trainee"], otherUnit],
    ["trainer", agency, ["trainer"], null],
    ["otherTrainer", agency, ["trainer"], null],
    ["courtTrainer", other, ["trainer"], null],
    ["reviewer", agency, ["reviewer"], null],
    ["courtReviewer", other, ["reviewer"], null],
    ["admin", agency, ["admin"], null],
  ] as const) {
    people[key] = await makeUser(db, { agencyId, roles: [...roles], displayName: `${key} 名前` });
    if (member) await db.insertInto("group_members").values({ group_id: member, user_id: people[key]!.id }).execute();
  }
  await db.insertInto("group_trainers").values({ group_id: unit, user_id: people.trainer!.id }).execute();
  await db.insertInto("group_trainers").values({ group_id: otherUnit, user_id: people.otherTrainer!.id }).execute();
  await db.insertInto("group_trainers").values({ group_id: courtUnit, user_id: people.courtTrainer!.id }).execute();
});

async function as(key: string): Promise<TestClient> {
  const c = server.client();
  expect((await c.signIn(people[key]!.email, PASSWORD)).status).toBe(302);
  return c;
}

const due = () => addDays(tokyoDate(new Date()), 30);
const assignmentsCount = async () =>
  Number(
    (
      await server.database.db
        .selectFrom("assignments")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe(`the trainer's pages (${engine})`, () => {
  let assignmentId: string;

  it("a trainer assigns a course to their group; its members see it first on their home; the trainer follows them", async () => {
    const trainer = await as("trainer");
    const form = await trainer.get("/training/assign");
    expect(form.status).toBe(200);
    const html = await form.text();
    expect(html).toContain("Juvenile Division");
    expect(html).not.toContain("Cyber Unit"); // a group they do not train is not offered
    const res = await trainer.post("/training/assign", {
      what: "course:sample-course",
      audience: "group",
      groupId: unit,
      dueKind: "on",
      dueOn: due(),
      remindDays: "7, 1",
      note: "Before the joint case conference",
    });
    expect(res.status).toBe(302);
    const location = res.headers.get("location")!;
    assignmentId = /\/training\/assignments\/([0-9a-f-]{36})/.exec(location)![1]!;

    const page = await (await trainer.get(`/training/assignments/${assignmentId}`)).text();
    expect(page).toContain("trainee 名前");
    expect(page).toContain("trainee2 名前");
    expect(page).not.toContain("outsider 名前");
    expect(page).toContain("Not started");

    const overview = await (await trainer.get("/training")).text();
    expect(overview).toContain("0 of 2 completed");

    const home = await (await as("trainee")).get("/");
    const homeHtml = await home.text();
    expect(homeHtml).toContain("Assigned to you");
    expect(homeHtml).toContain(`Due ${due()}`);
    expect(homeHtml).toContain("Before the joint case conference");
    expect(homeHtml.indexOf("Assigned to you")).toBeLessThan(homeHtml.indexOf("My courses"));
  });

  it("shows another group's trainer, another agency's trainer or reviewer, and a trainee no data: 403 or 404", async () => {
    for (const key of ["otherTrainer", "courtTrainer", "courtReviewer"]) {
      const res = await (await as(key)).get(`/training/assignments/${assignmentId}`);
      expect(res.status, key).toBe(404);
      expect(await res.text()).not.toContain("trainee 名前");
    }
    const trainee = await as("trainee");
    for (const path of ["/training", "/training/assign", `/training/assignments/${assignmentId}`])
      expect((await trainee.get(path)).status, path).toBe(403);
    expect((await server.client().get("/training")).status).toBe(302); // to sign-in
    // The agency's reviewer and the admin follow it.
    for (const key of ["reviewer", "admin"])
      expect((await (await as(key)).get(`/training/assignments/${assignmentId}`)).status, key).toBe(200);
    // Nobody outside the group's trainers may end it or extend it.
    const before = await assignmentsCount();
    const refused = await (
      await as("courtTrainer")
    ).post(`/training/assignments/${assignmentId}`, { intent: "unassign" });
    expect([403, 404]).toContain(refused.status);
    expect(await assignmentsCount()).toBe(before);
  });

  it("refuses bad input with a 400 naming the field, and changes nothing", async () => {
    const trainer = await as("trainer");
    const before = await assignmentsCount();
    for (const [body, field] of [
      [
        {
          what: "course:sample-course",
          audience: "group",
          groupId: unit,
          dueKind: "on",
          dueOn: "2026-02-30",
          remindDays: "7",
        },
        "dueOn",
      ],
      [
        { what: "course:nope", audience: "group", groupId: unit, dueKind: "days", dueDays: "14", remindDays: "7" },
        "what",
      ],
      [
        {
          what: "course:sample-course",
          audience: "group",
          groupId: unit,
          dueKind: "days",
          dueDays: "0",
          remindDays: "7",
        },
        "dueDays",
      ],
      [
        {
          what: "course:sample-course",
          audience: "group",
          groupId: unit,
          dueKind: "days",
          dueDays: "5",
          remindDays: "7;1",
        },
        "remindDays",
      ],
      [{ what: "course:sample-course", audience: "people", dueKind: "days", dueDays: "5", remindDays: "" }, "userIds"],
    ] as const) {
      const res = await trainer.post("/training/assign", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await res.text()).toContain(`id="${field}-error"`);
    }
    // A group they do not train: refused.
    const res = await trainer.post("/training/assign", {
      what: "course:sample-course",
      audience: "group",
      groupId: otherUnit,
      dueKind: "days",
      dueDays: "5",
      remindDays: "7",
    });
    expect(res.status).toBe(403);
    expect(await assignmentsCount()).toBe(before);
  });

  it("lists an assignment's people by name, due date or status, a page at a time, filter and order kept in the links", async () => {
    const db = server.database.db;
    const agencyId = people.trainer!.agencyId;
    const cohort = (
      await db
        .insertInto("groups")
        .values({ agency_id: agencyId, name: "Paging cohort", kind: "cohort" })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
    await db.insertInto("group_trainers").values({ group_id: cohort, user_id: people.trainer!.id }).execute();
    await sql`
      with made as (
        insert into users (email, display_name, profession, locale, agency_id)
        select 'paging-' || n || '@mamoru.test', 'Paging ' || lpad(n::text, 2, '0'), 'police', 'en', ${agencyId}::uuid
        from generate_series(1, 60) n returning id)
      insert into group_members (group_id, user_id) select ${cohort}::uuid, id from made`.execute(db);
    const trainer = await as("trainer");
    const res = await trainer.post("/training/assign", {
      what: "course:sample-course",
      audience: "group",
      groupId: cohort,
      dueKind: "on",
      dueOn: due(),
      remindDays: "7",
    });
    expect(res.status).toBe(302);
    const path = /\/training\/assignments\/[0-9a-f-]{36}/.exec(res.headers.get("location")!)![0];
    // The last by name is given an earlier day: first by due date, last by name.
    const last = await db
      .selectFrom("users")
      .select("id")
      .where("email", "=", "paging-60@mamoru.test")
      .executeTakeFirstOrThrow();
    const sooner = addDays(tokyoDate(new Date()), 5);
    expect((await trainer.post(path, { intent: "extend", userId: last.id, dueOn: sooner })).status).toBe(302);

    const names = (html: string) => [...html.matchAll(/<th scope="row">(Paging \d\d)<\/th>/g)].map((m) => m[1]);
    const nextHref = (html: string) =>
      /<a [^>]*href="[^"?]*(\?[^"]*)">Next page<\/a>/.exec(html)?.[1]?.replaceAll("&amp;", "&");
    const byName = await (await trainer.get(path)).text();
    expect(names(byName)[0]).toBe("Paging 01");
    for (const sort of ["due", "state"]) {
      const first = await trainer.get(`${path}?sort=${sort}&state=not_started`);
      expect(first.status).toBe(200);
      const html = await first.text();
      expect(html).toMatch(new RegExp(`<option value="${sort}" selected="">`));
      const next = nextHref(html)!;
      expect(new URLSearchParams(next).get("sort")).toBe(sort);
      expect(new URLSearchParams(next).get("state")).toBe("not_started");
      const second = await (await trainer.get(path + next)).text();
      expect(second).toContain("First page");
      expect(nextHref(second)).toBeUndefined();
      const all = [...names(html), ...names(second)];
      expect(all).toHaveLength(60);
      expect(new Set(all).size).toBe(60);
      if (sort === "due") expect(all[0]).toBe("Paging 60");
    }
  });

  it("refuses a bad order, status, group or page link with a 400 beside the field, in the reader's language", async () => {
    const trainer = await as("trainer");
    for (const [query, field] of [
      ["sort=age", "sort"],
      ["state=late", "state"],
      ["group=unit-1", "group"],
    ] as const) {
      const res = await trainer.get(`/training/assignments/${assignmentId}?${query}`);
      expect(res.status, query).toBe(400);
      const html = await res.text();
      expect(html).toContain(`id="${field}-error"`);
      expect(html).not.toContain("trainee 名前"); // nobody listed
    }
    // A reader whose own language is Japanese (their setting wins over the browser's).
    const jaReader = await makeUser(server.database.db, { agencyId: people.trainer!.agencyId, roles: ["reviewer"] });
    await server.database.db.updateTable("users").set({ locale: "ja" }).where("id", "=", jaReader.id).execute();
    const client = server.client();
    expect((await client.signIn(jaReader.email, PASSWORD)).status).toBe(302);
    const ja = await client.get(`/training/assignments/${assignmentId}?sort=age`);
    expect(ja.status).toBe(400);
    expect(await ja.text()).toContain("アドレスで指定された並び順は一覧にありません。");
    // A page link whose cursor does not fit its order: the message above the table.
    const broken = await trainer.get(
      `/training/assignments/${assignmentId}?sort=due&afterName=x&afterId=${people.trainee!.id}&afterKey=soon`,
    );
    expect(broken.status).toBe(400);
    expect(await broken.text()).toContain("The page link is not valid. Start again from the first page.");
  });

  it("an extension changes one person's due date; ending the assignment keeps its rows", async () => {
    const trainer = await as("trainer");
    const later = addDays(tokyoDate(new Date()), 60);
    const res = await trainer.post(`/training/assignments/${assignmentId}`, {
      intent: "extend",
      userId: people.trainee!.id,
      dueOn: later,
      reason: "On leave",
    });
    expect(res.status).toBe(302);
    const page = await (await trainer.get(`/training/assignments/${assignmentId}`)).text();
    expect(page).toContain(`${later} (extended)`);
    expect((await trainer.post(`/training/assignments/${assignmentId}`, { intent: "unassign" })).status).toBe(302);
    const rows = await server.database.db
      .selectFrom("assignees")
      .select("end_reason")
      .where("assignment_id", "=", assignmentId)
      .execute();
    expect(rows.map((r) => r.end_reason)).toEqual(["unassigned", "unassigned"]);
    expect((await trainer.get(`/training/assignments/${assignmentId}`)).status).toBe(404);
  });
});

describe(`who trains a group, set on the person's page (${engine})`, () => {
  const trainersOf = async (groupId: string) =>
    (
      await server.database.db
        .selectFrom("group_trainers")
        .select("user_id")
        .where("group_id", "=", groupId)
        .orderBy("user_id")
        .execute()
    ).map((r) => r.user_id);
  const trainerAudits = async () =>
    Number(
      (
        await server.database.db
          .selectFrom("audit_events")
          .select((eb) => eb.fn.countAll().as("n"))
          .where("action", "in", ["group.trainer_added", "group.trainer_removed"])
          .executeTakeFirstOrThrow()
      ).n,
    );

  it("an admin makes a trainer the trainer of a group, the agency page names them, and that trainer then reaches the group", async () => {
    const admin = await as("admin");
    const person = `/admin/users/${people.otherTrainer!.id}`;
    expect(await (await admin.get(person)).text()).toContain("Groups this person trains");
    const res = await admin.post(person, { intent: "trainGroup", groupId: unit });
    expect(res.status).toBe(302);
    expect(await trainersOf(unit)).toContain(people.otherTrainer!.id);
    const page = await (await admin.get(person)).text();
    expect(page).toContain("Stop training Juvenile Division");
    const agencyPage = await (await admin.get(`/admin/agencies/${people.otherTrainer!.agencyId}`)).text();
    expect(agencyPage).toMatch(/Juvenile Division<\/td><td>[^<]*<\/td><td>[^<]*otherTrainer 名前/);
    const assign = await (await (await as("otherTrainer")).get("/training/assign")).text();
    expect(assign).toContain("Juvenile Division");
  });

  it("a trainer of the same agency may end it; another agency's trainer and a trainee may not, and change nothing", async () => {
    const person = `/admin/users/${people.otherTrainer!.id}`;
    const before = await trainerAudits();
    for (const key of ["courtTrainer", "trainee"]) {
      const res = await (await as(key)).post(person, { intent: "stopTraining", groupId: unit });
      expect([403, 404], key).toContain(res.status);
    }
    expect(await trainersOf(unit)).toContain(people.otherTrainer!.id);
    expect(await trainerAudits()).toBe(before);
    const res = await (await as("trainer")).post(person, { intent: "stopTraining", groupId: unit });
    expect(res.status).toBe(302);
    expect(await trainersOf(unit)).not.toContain(people.otherTrainer!.id);
    expect(await trainerAudits()).toBe(before + 1);
  });

  it("refuses to make someone without the trainer role a trainer, with a message in the reader's language", async () => {
    const admin = await as("admin");
    await admin.post("/locale", { locale: "ja", redirectTo: "/" });
    const res = await admin.post(`/admin/users/${people.trainee!.id}`, { intent: "trainGroup", groupId: unit });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("グループを担当できるのは、研修担当者の役割を持つ人だけです。");
    expect(await trainersOf(unit)).not.toContain(people.trainee!.id);
    const bad = await admin.post(`/admin/users/${people.otherTrainer!.id}`, { intent: "trainGroup", groupId: "x" });
    expect(bad.status).toBe(400);
  });
});

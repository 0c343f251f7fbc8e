import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { en } from "../../app/i18n/en";
import { ja } from "../../app/i18n/ja";
import { certificatePdf } from "../../app/server/learning/certificate-pdf.server";
import { startAttempt, submitAttempt } from "../../app/server/learning/attempts.server";
import { certificateFor, verifyCertificate } from "../../app/server/learning/certificates.server";
import { appendRecord } from "../../app/server/learning/records.server";
import { LIMITS } from "../../app/server/auth/throttle.server";
import { updateProfile } from "../../app/server/org/users.server";
import { engine } from "../support/db";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { startTestServer, type TestServer } from "../support/http";
import { answerAll, enrol, readyForFinal, syncSample } from "../support/learning";
import { pdfText } from "../support/pdf-text";

let server: TestServer;
let holder: MadeUser;
let code: string;
let passing: string;

beforeAll(async () => {
  server = await startTestServer();
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  const db = server.database.db;
  const agency = await makeAgency(db, "Osaka Child Guidance Centre", "child_guidance");
  holder = await makeUser(db, { agencyId: agency.id, displayName: "山田 花子" });
  const mv = (await syncSample(db)).id;
  await enrol(db, holder.id, "sample-course");
  await readyForFinal(db, holder.id, mv);
  const attempt = await startAttempt(db, { userId: holder.id, moduleVersionId: mv, stage: "final" });
  await answerAll(db, holder.id, attempt, true);
  await submitAttempt(db, holder.id, attempt);
  passing = attempt;
  code = (
    await db
      .selectFrom("completion_records")
      .select("certificate_code")
      .where("kind", "=", "course")
      .executeTakeFirstOrThrow()
  ).certificate_code!;
});

describe(`certificates (${engine})`, () => {
  it("are found from the attempt that earned them through the course record's link to its module record", async () => {
    const db = server.database.db;
    expect(await certificateFor(db, holder.id, passing)).toEqual({ code, course: "sample-course" });
    // Another person's attempt earns them nothing, and the link is the record id, not a time:
    // a course record completed at the same moment that rests on other records is not it.
    const stranger = await makeUser(db, { agencyId: holder.agencyId });
    expect(await certificateFor(db, stranger.id, passing)).toBeNull();
    const moduleRecord = await db
      .selectFrom("completion_records")
      .select(["id", "completed_at"])
      .where("attempt_id", "=", passing)
      .executeTakeFirstOrThrow();
    const course = await db
      .selectFrom("completion_records")
      .select("details")
      .where("kind", "=", "course")
      .where("user_id", "=", holder.id)
      .executeTakeFirstOrThrow();
    expect(course.details).toMatchObject({ modules: [{ record: moduleRecord.id }] });
  });

  it("render a Japanese name, the course, modules with versions, dates and the code in an A4 PDF", async () => {
    const pdf = await certificatePdf({
      name: "田中 恵子",
      agency: "大阪府警察本部",
      course: { en: "Police: child victims of sexual exploitation", ja: "警察職員コース" },
      modules: [{ title: { en: "Victim, not offender" }, version: 3, completedAt: new Date("2026-04-01T03:00:00Z") }],
      completedAt: new Date("2026-04-01T03:00:00Z"),
      expiresAt: new Date("2028-04-01T03:00:00Z"),
      code: "ABCD-EFGH-JKMN",
      verifyUrl: "https://mamoru.example/verify/ABCD-EFGH-JKMN",
    });
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    const raw = pdf.toString("latin1");
    expect(raw).toMatch(/\/MediaBox \[0 0 595\.28 841\.89\]/); // A4
    expect(raw).toMatch(/\/FontFile2/); // the font is embedded
    const text = await pdfText(new Uint8Array(pdf));
    expect(text).toContain("田中 恵子");
    expect(text).toContain("大阪府警察本部");
    expect(text).toContain("警察職員コース");
    expect(text).toContain("Victim, not offender");
    expect(text).toContain("第3版 (v3)");
    expect(text).toContain("2026年4月1日");
    expect(text).toContain("1 April 2028");
    expect(text).toContain("ABCD-EFGH-JKMN");
  });

  it("are served to their holder, and to nobody else in another role's reach", async () => {
    const own = server.client();
    await own.signIn(holder.email, PASSWORD);
    const res = await own.get(`/certificates/${code}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    const text = await pdfText(new Uint8Array(await res.arrayBuffer()));
    expect(text).toContain("山田 花子");
    expect(text).toContain(code);
    expect(text).toContain("サンプルコース");

    const agency = await makeAgency(server.database.db, "Another agency", "court");
    const stranger = await makeUser(server.database.db, { agencyId: agency.id, roles: ["reviewer"] });
    const other = server.client();
    await other.signIn(stranger.email, PASSWORD);
    expect((await other.get(`/certificates/${code}`)).status).toBe(404);
    expect((await server.client().get(`/certificates/${code}`)).status).toBe(302);
  });

  it("not yours, unknown or malformed: a page in the reader's language, never a server error", async () => {
    const db = server.database.db;
    const cohort = await db
      .insertInto("groups")
      .values({ agency_id: holder.agencyId, name: "Spring cohort", kind: "cohort" })
      .returning("id")
      .executeTakeFirstOrThrow();
    const otherCohort = await db
      .insertInto("groups")
      .values({ agency_id: holder.agencyId, name: "Autumn cohort", kind: "cohort" })
      .returning("id")
      .executeTakeFirstOrThrow();
    await db.insertInto("group_members").values({ group_id: cohort.id, user_id: holder.id }).execute();
    const theirTrainer = await makeUser(db, { agencyId: holder.agencyId, roles: ["trainer"] });
    const anotherTrainer = await makeUser(db, { agencyId: holder.agencyId, roles: ["trainer"] });
    await db.insertInto("group_trainers").values({ group_id: cohort.id, user_id: theirTrainer.id }).execute();
    await db.insertInto("group_trainers").values({ group_id: otherCohort.id, user_id: anotherTrainer.id }).execute();
    await db.updateTable("users").set({ locale: "ja" }).where("id", "=", anotherTrainer.id).execute();

    // The trainer of the holder's cohort may open it.
    const trainerClient = server.client();
    await trainerClient.signIn(theirTrainer.email, PASSWORD);
    const allowed = await trainerClient.get(`/certificates/${code}`);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("content-type")).toBe("application/pdf");

    const other = server.client();
    await other.signIn(anotherTrainer.email, PASSWORD);
    for (const path of [`/certificates/${code}`, "/certificates/ZZZZ-ZZZZ-ZZZZ", "/certificates/not-a-code"]) {
      const res = await other.get(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type"), path).toMatch(/^text\/html/);
      const page = await res.text();
      expect(page, path).toContain('<html lang="ja"');
      expect(page, path).toContain("ページが見つかりません");
      expect(page, path).not.toContain("Unexpected Server Error");
    }
    const inEnglish = await trainerClient.get("/certificates/ZZZZ-ZZZZ-ZZZZ");
    expect(inEnglish.status).toBe(404);
    expect(await inEnglish.text()).toContain("Page not found");
  });

  it("once the course is complete, home's main button points on, never 'continue' on a finished module", async () => {
    const own = server.client();
    await own.signIn(holder.email, PASSWORD);
    for (const [language, dictionary] of [
      ["en", en],
      ["ja", ja],
    ] as const) {
      await server.database.db.updateTable("users").set({ locale: language }).where("id", "=", holder.id).execute();
      const home = await (await own.get("/")).text();
      const button = /<div class="continue"><p><a class="button"[^>]*href="([^"]*)"[^>]*>([^<]*)<\/a>/.exec(home);
      expect(button, home.slice(home.indexOf("<main"), home.indexOf("<main") + 1500)).not.toBeNull();
      // The only police course is done: the catalogue, for another.
      expect(button!.slice(1)).toEqual(["/courses", dictionary.next.catalogue]);
      expect(home).not.toContain(dictionary.learn.continueWhere.split("{{")[0]!);
    }
    await server.database.db.updateTable("users").set({ locale: "en" }).where("id", "=", holder.id).execute();
  });

  it("name the holder's agency, on the PDF and on the verification page", async () => {
    const own = server.client();
    await own.signIn(holder.email, PASSWORD);
    const pdf = await pdfText(new Uint8Array(await (await own.get(`/certificates/${code}`)).arrayBuffer()));
    expect(pdf).toContain("Osaka Child Guidance Centre");
    const page = await (await fetch(`${server.url}/verify/${code}`, { headers: { "accept-language": "ja" } })).text();
    expect(page).toContain("所属機関");
    expect(page).toContain("Osaka Child Guidance Centre");
  });

  it("name the holder as they were named at issue, whatever they are called later; the change is audited", async () => {
    const db = server.database.db;
    const record = await db
      .selectFrom("completion_records")
      .select("details")
      .where("certificate_code", "=", code)
      .executeTakeFirstOrThrow();
    expect(record.details).toMatchObject({ holderName: "山田 花子" });
    await updateProfile(db, holder.id, { displayName: "Someone Else", locale: "en" });
    try {
      const page = await (await fetch(`${server.url}/verify/${code}`, { headers: { "accept-language": "en" } })).text();
      expect(page).toContain("山田 花子");
      expect(page).not.toContain("Someone Else");
      expect((await verifyCertificate(db, code))!.name).toBe("山田 花子");
      const audited = await db
        .selectFrom("audit_events")
        .select(["actor_id", "details"])
        .where("action", "=", "user.name_changed")
        .execute();
      expect(audited).toEqual([{ actor_id: holder.id, details: { from: "山田 花子", to: "Someone Else" } }]);
    } finally {
      await updateProfile(db, holder.id, { displayName: "山田 花子", locale: "en" });
    }
  });

  it("can be verified from paper: a form takes the code in any case, with or without dashes", async () => {
    const form = await fetch(`${server.url}/verify`, { headers: { "accept-language": "ja" } });
    expect(form.status).toBe(200);
    expect(await form.text()).toContain("修了証コード");
    const typed = code.toLowerCase().replace(/-/g, " ").replace(/0/g, "o");
    const go = await fetch(`${server.url}/verify?code=${encodeURIComponent(typed)}`, { redirect: "manual" });
    expect(go.status).toBe(302);
    expect(go.headers.get("location")).toBe(`/verify/${code}`);
    for (const bad of ["ABCD", "ABCD-EFGH-JKMNU", "\u0000".repeat(3), "x".repeat(5000)]) {
      const res = await fetch(`${server.url}/verify?code=${encodeURIComponent(bad)}`, {
        headers: { "accept-language": "en" },
        redirect: "manual",
      });
      expect(res.status, bad.slice(0, 20)).toBe(400);
      expect(await res.text()).toContain("Enter the code printed on the certificate");
    }
  });

  it("are verified publicly with name, agency, course, dates and validity only", async () => {
    const page = await (await fetch(`${server.url}/verify/${code}`, { headers: { "accept-language": "en" } })).text();
    expect(page).toContain("This certificate is valid.");
    expect(page).toContain("山田 花子");
    expect(page).not.toContain(holder.email);
    const unknown = await fetch(`${server.url}/verify/ZZZZ-ZZZZ-ZZZZ`, { headers: { "accept-language": "en" } });
    expect(unknown.status).toBe(404);
    const body = await unknown.text();
    expect(body).toContain("No such certificate.");
    expect((await fetch(`${server.url}/verify/not-a-code`)).status).toBe(404);
  });

  it("carry 140 random bits in seven groups of four; a 12-character code issued before still verifies", async () => {
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){6}$/);
    const db = server.database.db;
    const legacy = "ABCD-EFGH-JKMN";
    await db.transaction().execute((trx) =>
      appendRecord(trx, {
        kind: "course",
        user_id: holder.id,
        module_version_id: null,
        course_slug: "sample-course",
        attempt_id: null,
        score: null,
        pretest_score: null,
        started_at: null,
        completed_at: new Date("2025-04-01T03:00:00Z"),
        expires_at: new Date("2099-04-01T03:00:00Z"),
        certificate_code: legacy,
        details: { holderName: "山田 花子" },
      }),
    );
    const page = await fetch(`${server.url}/verify/${legacy}`, { headers: { "accept-language": "en" } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("This certificate is valid.");
    const typed = await fetch(`${server.url}/verify?code=abcd%20efgh%20jkmn`, { redirect: "manual" });
    expect(typed.headers.get("location")).toBe(`/verify/${legacy}`);
    // A new code typed from paper, in lower case with spaces, finds its certificate too.
    const spaced = code.toLowerCase().replace(/-/g, " ");
    const go = await fetch(`${server.url}/verify?code=${encodeURIComponent(spaced)}`, { redirect: "manual" });
    expect(go.headers.get("location")).toBe(`/verify/${code}`);
  });

  it("look-ups at /verify are counted per client address; past the limit a 429 in the reader's language", async () => {
    const db = server.database.db;
    expect((await fetch(`${server.url}/verify/${code}`)).status).toBe(200);
    const row = await db
      .selectFrom("throttles")
      .select(["key", "failures"])
      .where("key", "like", "limit:verifyLookups:address:%")
      .executeTakeFirstOrThrow();
    expect(row.failures).toBeGreaterThan(0);
    onTestFinished(async () => {
      await db.deleteFrom("throttles").where("key", "=", row.key).execute();
    });
    await db.updateTable("throttles").set({ failures: LIMITS.verifyLookups.max }).where("key", "=", row.key).execute();
    const refused = await fetch(`${server.url}/verify/${code}`, { headers: { "accept-language": "ja" } });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    const page = await refused.text();
    expect(page).toContain('<html lang="ja"');
    expect(page).toContain(ja.errorPage.tooMany.title);
    expect(page).toContain(ja.errors.limit.verifyLookups.split("{{")[0]!);
    // The holder's name is not on the refusal.
    expect(page).not.toContain("山田 花子");
  });

  it("PDFs are counted per person; past the hour's limit a 429 page, no PDF", async () => {
    const db = server.database.db;
    const own = server.client();
    await own.signIn(holder.email, PASSWORD);
    const key = `limit:certificatePdfs:user:${holder.id}`;
    onTestFinished(async () => {
      await db.deleteFrom("throttles").where("key", "=", key).execute();
    });
    await db.deleteFrom("throttles").where("key", "=", key).execute();
    await db
      .insertInto("throttles")
      .values({ key, failures: LIMITS.certificatePdfs.max, window_started_at: new Date(), locked_until: null })
      .execute();
    const res = await own.get(`/certificates/${code}`);
    expect(res.status).toBe(429);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    const page = await res.text();
    expect(page).toContain(en.errorPage.tooMany.title);
    expect(page).toContain(en.errors.limit.certificatePdfs.split("{{")[0]!);
  });
});

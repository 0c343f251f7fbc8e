// Bulk invitation over HTTP, as each kind of reader meets it: a trainer uploads a file, reads the
// preview and confirms it (once: a second submit changes nothing); a trainee is refused; another
// agency's trainer cannot reach this agency's groups or uploads; a file over the cap is a 413 page,
// and only this route takes a body larger than a form's.
import { beforeAll, describe, expect, it } from "vitest";
import { engine } from "../support/db";
import { PASSWORD, makeAgency, makeUser, type MadeUser, secondFactorRequiredFor } from "../support/fixtures";
import { htmlProblems } from "../support/html-validity";
import { startTestServer, type TestClient, type TestServer } from "../support/http";

let server: TestServer;
const people: Record<string, MadeUser> = {};

beforeAll(async () => {
  server = await startTestServer();
  // Signing in only leads to the pages under test: no second factor asked (mfa-http tests it).
  await secondFactorRequiredFor(server.database.db, []);
  const db = server.database.db;
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
  const unit = await group("Juvenile Division", agency);
  const courtUnit = await group("Family Division", other);
  for (const [key, agencyId, roles] of [
    ["trainee", agency, ["trainee"]],
    ["trainer", agency, ["trainer"]],
    ["reviewer", agency, ["reviewer"]],
    ["courtTrainer", other, ["trainer"]],
    ["jaTrainer", agency, ["trainer"]],
  ] as const) {
    people[key] = await makeUser(db, { agencyId, roles: [...roles] });
  }
  await db.updateTable("users").set({ locale: "ja" }).where("id", "=", people.jaTrainer!.id).execute();
  await db.insertInto("group_trainers").values({ group_id: unit, user_id: people.trainer!.id }).execute();
  await db.insertInto("group_trainers").values({ group_id: courtUnit, user_id: people.courtTrainer!.id }).execute();
});

async function as(key: string): Promise<TestClient> {
  const c = server.client();
  expect((await c.signIn(people[key]!.email, PASSWORD)).status).toBe(302);
  return c;
}

const csvFile = (...rows: string[]) => ({
  field: "file",
  name: "people.csv",
  bytes: new Uint8Array([
    0xef,
    0xbb,
    0xbf,
    ...new TextEncoder().encode(["氏名,メールアドレス,職種,グループ", ...rows].join("\r\n")),
  ]),
});

const count = async (table: "invitations" | "invitation_imports") =>
  Number(
    (
      await server.database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe(`bulk invitation pages (${engine})`, () => {
  it("a trainer uploads a file, reads the preview, confirms it; a second submit imports nothing again", async () => {
    const trainer = await as("trainer");
    const home = await (await trainer.get("/training")).text();
    expect(home).toContain('href="/training/invite"');
    const page = await trainer.get("/training/invite");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toMatch(/enctype="multipart\/form-data"/i);
    expect(html).toContain("Juvenile Division");
    expect(html).not.toContain("Family Division");
    expect(await htmlProblems(html)).toEqual([]);

    const sample = await trainer.get("/training/invite/sample.csv");
    expect(sample.status).toBe(200);
    expect(sample.headers.get("content-type")).toMatch(/^text\/csv/);
    const bytes = new Uint8Array(await sample.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(new TextDecoder().decode(bytes)).toContain("name,email,profession,group");

    const uploaded = await trainer.postFile(
      "/training/invite?index",
      csvFile(
        "山田 花子,hanako@kyoto.example,警察,Juvenile Division",
        "佐藤 健,ken@kyoto.example,police,Juvenile Division",
      ),
    );
    expect(uploaded.status).toBe(302);
    const previewPath = new URL(uploaded.headers.get("location")!, server.url).pathname;
    expect(previewPath).toMatch(/^\/training\/invite\/[0-9a-f-]{36}$/);
    const preview = await (await trainer.get(previewPath)).text();
    expect(preview).toContain("UTF-8 with BOM");
    expect(preview).toMatch(/<caption>2 rows of the file/);
    expect(preview).toContain('<th scope="col">Outcome</th>');
    expect(preview.match(/Will be invited/g)).toHaveLength(2);
    expect(preview).toContain("Invite 2 people");
    expect(await htmlProblems(preview)).toEqual([]);
    const before = await count("invitations");

    const confirmed = await trainer.post(previewPath, {});
    expect(confirmed.status).toBe(302);
    expect(confirmed.headers.get("location")).toBe(`${previewPath}?done=kept`);
    expect(await count("invitations")).toBe(before + 2);
    const done = await (await trainer.get(`${previewPath}?done=kept`)).text();
    expect(done).toContain("The file was imported");
    expect(done).toContain("Invited: 2 people");

    const again = await trainer.post(previewPath, {});
    expect(again.headers.get("location")).toBe(`${previewPath}?done=again`);
    expect(await count("invitations")).toBe(before + 2);
  });

  it("the pages are in Japanese for a Japanese reader", async () => {
    const trainer = await as("jaTrainer");
    const html = await (await trainer.get("/training/invite")).text();
    expect(html).toContain("CSVファイルで招待する");
    const tooLarge = await trainer.postFile("/training/invite?index", {
      field: "file",
      name: "huge.csv",
      bytes: new Uint8Array(3 * 1024 * 1024).fill(0x41),
    });
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.text()).toContain("送信された内容が大きすぎます");
  });

  it("a trainee and a reviewer are refused, and nothing is kept", async () => {
    for (const key of ["trainee", "reviewer"]) {
      const c = await as(key);
      expect((await c.get("/training/invite")).status).toBe(403);
      expect((await c.get("/training/invite/sample.csv")).status).toBe(403);
      const before = await count("invitation_imports");
      const res = await c.postFile("/training/invite?index", csvFile("A,a@kyoto.example,police,Juvenile Division"));
      expect(res.status).toBe(403);
      expect(await count("invitation_imports")).toBe(before);
    }
  });

  it("another agency's trainer cannot invite into this agency's groups nor open its uploads", async () => {
    const trainer = await as("trainer");
    const mine = await trainer.postFile(
      "/training/invite?index",
      csvFile("A,a2@kyoto.example,police,Juvenile Division"),
    );
    const minePath = new URL(mine.headers.get("location")!, server.url).pathname;

    const court = await as("courtTrainer");
    expect((await court.get(minePath)).status).toBe(404);
    expect((await court.post(minePath, {})).status).toBe(404);

    const res = await court.postFile("/training/invite?index", csvFile("B,b@kobe.example,judge,Juvenile Division"));
    expect(res.status).toBe(302);
    const path = new URL(res.headers.get("location")!, server.url).pathname;
    const preview = await (await court.get(path)).text();
    expect(preview).toContain("Your agency has no group of that name.");
    expect(preview).not.toContain("Invite 1 person");
    expect(await htmlProblems(preview)).toEqual([]);
    const before = await count("invitations");
    const refused = await court.post(path, {});
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain("Nothing was imported");
    expect(await count("invitations")).toBe(before);
  });

  it("a file over 1 MB is a 413 page in the reader's language; other routes keep the forms' limit", async () => {
    const trainer = await as("trainer");
    const before = await count("invitation_imports");
    // Just over the file cap: the route refuses it before decoding.
    const justOver = await trainer.postFile("/training/invite?index", {
      field: "file",
      name: "big.csv",
      bytes: new Uint8Array(1024 * 1024 + 1).fill(0x41),
    });
    expect(justOver.status).toBe(413);
    expect(await justOver.text()).toContain("Too much was sent");
    // Far over: the body is refused before it is read whole.
    const farOver = await trainer.postFile("/training/invite?index", {
      field: "file",
      name: "huge.csv",
      bytes: new Uint8Array(3 * 1024 * 1024).fill(0x41),
    });
    expect(farOver.status).toBe(413);
    expect(await farOver.text()).toContain("Too much was sent");
    expect(await count("invitation_imports")).toBe(before);
    // The larger limit is this route's alone.
    const elsewhere = await trainer.postFile("/training/assign", {
      field: "file",
      name: "x.csv",
      bytes: new Uint8Array(100 * 1024).fill(0x41),
    });
    expect(elsewhere.status).toBe(413);
  });

  it("a file that is not text, or lacks a column, is refused with why, and nothing is kept", async () => {
    const trainer = await as("trainer");
    const before = await count("invitation_imports");
    const garbage = await trainer.postFile("/training/invite?index", {
      field: "file",
      name: "x.csv",
      bytes: new Uint8Array([0xff, 0xfe, 0x80, 0xa0]),
    });
    expect(garbage.status).toBe(400);
    expect(await garbage.text()).toContain("could not be read as text in UTF-8 or Shift_JIS");
    const noGroup = await trainer.postFile("/training/invite?index", {
      field: "file",
      name: "x.csv",
      bytes: new TextEncoder().encode("name,email,profession\nA,a@b.jp,police\n"),
    });
    expect(noGroup.status).toBe(400);
    expect(await noGroup.text()).toContain("The header row lacks these columns: group.");
    const noFile = await trainer.post("/training/invite?index", {});
    expect(noFile.status).toBe(400);
    expect(await count("invitation_imports")).toBe(before);
  });
});

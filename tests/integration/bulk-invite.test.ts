// Bulk invitation from a CSV file, below HTTP: the preview says what each row would do, the
// confirmation imports every row or none, a second import of the same file changes nothing, and a
// trainer reaches only the groups they train, never another agency's, and learns nothing about
// accounts outside their reach.
import { beforeAll, describe, expect, it } from "vitest";
import { acceptInvitation, inspectInvitation } from "../../app/server/auth/invitations.server";
import type { Actor } from "../../app/server/auth/policy.server";
import {
  confirmImport,
  previewImport,
  uploadImport,
  type ImportView,
} from "../../app/server/invitations/bulk-import.server";
import { createMailer } from "../../app/server/mail/mailer.server";
import { DomainError } from "../../app/server/shared/errors.server";
import { createLogger } from "../../app/server/shared/log.server";
import type { DatabaseHandle } from "../../db/connect.server";
import { engine, testDatabase } from "../support/db";
import { makeAgency, makeUser, testConfig, type MadeUser } from "../support/fixtures";
import { lastLinkTo } from "../support/mail";

let database: DatabaseHandle;
let agencyId: string;
let otherAgencyId: string;
let juvenile: string;
let cyber: string;
let trainer: Actor;
let admin: Actor;
let member: MadeUser;
let outsider: MadeUser;
let elsewhere: MadeUser;
const PUBLIC_URL = "http://mamoru.test";

beforeAll(async () => {
  database = await testDatabase();
  const db = database.db;
  agencyId = (await makeAgency(db, "Kyoto Prefectural Police")).id;
  otherAgencyId = (await makeAgency(db, "Kobe Family Court", "court")).id;
  const group = async (name: string, agency: string) =>
    (
      await db
        .insertInto("groups")
        .values({ agency_id: agency, name, kind: "unit" })
        .returning("id")
        .executeTakeFirstOrThrow()
    ).id;
  juvenile = await group("Juvenile Division", agencyId);
  cyber = await group("Cyber Unit", agencyId);
  await group("Family Division", otherAgencyId);
  const t = await makeUser(db, { agencyId, roles: ["trainer"] });
  await db.insertInto("group_trainers").values({ group_id: juvenile, user_id: t.id }).execute();
  trainer = { id: t.id, agencyId, roles: ["trainer"], trainerOf: [juvenile] };
  const a = await makeUser(db, { agencyId, roles: ["admin"] });
  admin = { id: a.id, agencyId, roles: ["admin"] };
  member = await makeUser(db, { agencyId, email: "member@kyoto.example" });
  await db.insertInto("group_members").values({ group_id: juvenile, user_id: member.id }).execute();
  outsider = await makeUser(db, { agencyId, email: "outsider@kyoto.example" });
  await db.insertInto("group_members").values({ group_id: cyber, user_id: outsider.id }).execute();
  elsewhere = await makeUser(db, { agencyId: otherAgencyId, email: "judge@kobe.example" });
});

const mailer = () =>
  createMailer(
    database.db,
    createLogger("info", {}, () => {}),
    { smtpUrl: undefined, from: "test" },
  );
const csv = (...rows: string[]) => new TextEncoder().encode(["name,email,profession,group", ...rows].join("\n") + "\n");

async function upload(actor: Actor, bytes: Uint8Array): Promise<string> {
  const result = await uploadImport(database.db, actor, bytes);
  if (!result.ok) throw new Error(`upload refused: ${result.problem}`);
  return result.importId;
}

const outcomes = (view: ImportView) => view.rows.map((r) => [r.line, r.outcome, ...r.problems]);

async function count(table: "invitations" | "mail_outbox" | "audit_events" | "group_members") {
  const row = await database.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
const snapshot = async () => ({
  invitations: await count("invitations"),
  mail: await count("mail_outbox"),
  audit: await count("audit_events"),
});

describe(`bulk invitation from a CSV file (${engine})`, () => {
  it("previews every row with what confirming would do, and the errors row by row", async () => {
    const id = await upload(
      trainer,
      csv(
        "Hanako Yamada,Hanako.Yamada@Kyoto.example,police,Juvenile Division",
        "Ken Sato,not-an-address,police,Juvenile Division",
        "Aiko Ito,aiko@kyoto.example,astronaut,Juvenile Division",
        "Jun Mori,jun@kyoto.example,police,No Such Unit",
        "Rie Abe,rie@kyoto.example,police,Cyber Unit",
        "Copy,hanako.yamada@kyoto.example,police,Juvenile Division",
        "Member,member@kyoto.example,police,Juvenile Division",
        "Court person,rie2@kyoto.example,judge,Family Division",
        ",noname@kyoto.example,police,Juvenile Division",
      ),
    );
    const view = await previewImport(database.db, trainer, id);
    expect(view.status).toBe("previewed");
    expect(view.encoding).toBe("utf-8");
    expect(outcomes(view)).toEqual([
      [2, "invite"],
      [3, "error", "emailInvalid"],
      [4, "error", "professionUnknown"],
      [5, "error", "groupUnknown"],
      [6, "error", "groupNotYours"],
      [7, "error", "duplicate"],
      [8, "member"],
      // Another agency's group is no group of this agency.
      [9, "error", "groupUnknown"],
      [10, "error", "nameMissing"],
    ]);
    expect(view.counts).toEqual({ invite: 1, invited: 0, member: 1, error: 7 });
  });

  it("imports nothing at all when any row has an error", async () => {
    const id = await upload(
      trainer,
      csv("Good Row,good@kyoto.example,police,Juvenile Division", "Bad Row,bad@kyoto.example,police,Cyber Unit"),
    );
    const before = await snapshot();
    const result = await confirmImport(database.db, mailer(), PUBLIC_URL, trainer, id);
    expect(result.kind).toBe("refused");
    expect(result.kind === "refused" && outcomes(result.view)).toEqual([
      [2, "invite"],
      [3, "error", "groupNotYours"],
    ]);
    expect(await snapshot()).toEqual(before);
    expect((await previewImport(database.db, trainer, id)).status).toBe("previewed");
  });

  it("imports every row in one go: invitations to the group, mail queued, one audit event with the counts", async () => {
    const file = csv(
      "山田 花子,hanako@kyoto.example,警察,Juvenile Division",
      "Ken Sato,ken@kyoto.example,Social worker,juvenile division",
      "Member,member@kyoto.example,police,Juvenile Division",
    );
    const id = await upload(trainer, file);
    const before = await snapshot();
    const result = await confirmImport(database.db, mailer(), PUBLIC_URL, trainer, id);
    expect(result).toEqual({
      kind: "imported",
      counts: { invite: 2, invited: 0, member: 1, error: 0 },
      delivery: "kept",
    });
    const invitations = await database.db
      .selectFrom("invitations")
      .select(["email", "group_id", "display_name", "profession", "role", "agency_id", "import_id"])
      .where("import_id", "=", id)
      .orderBy("email")
      .execute();
    expect(invitations).toEqual([
      {
        email: "hanako@kyoto.example",
        group_id: juvenile,
        display_name: "山田 花子",
        profession: "police",
        role: "trainee",
        agency_id: agencyId,
        import_id: id,
      },
      {
        email: "ken@kyoto.example",
        group_id: juvenile,
        display_name: "Ken Sato",
        profession: "social_worker",
        role: "trainee",
        agency_id: agencyId,
        import_id: id,
      },
    ]);
    const after = await snapshot();
    expect(after.invitations - before.invitations).toBe(2);
    expect(after.mail - before.mail).toBe(2);
    const events = await database.db
      .selectFrom("audit_events")
      .select(["action", "details", "subject_id"])
      .orderBy("seq", "desc")
      .limit(3)
      .execute();
    expect(events.map((e) => e.action)).toEqual(["user.invitations_imported", "user.invited", "user.invited"]);
    expect(events[0]).toMatchObject({
      subject_id: id,
      details: { rows: 3, invited: 2, alreadyInvited: 0, members: 1, encoding: "utf-8" },
    });
    // The file's names and addresses are not kept once imported.
    const kept = await database.db
      .selectFrom("invitation_imports")
      .select(["content", "status"])
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(kept).toEqual({ content: null, status: "confirmed" });

    // The invitee accepts: the name is offered, and they join the group.
    const token = await lastLinkTo(database.db, "hanako@kyoto.example", "invite");
    expect(await inspectInvitation(database.db, token)).toMatchObject({ status: "valid", displayName: "山田 花子" });
    const { userId } = await acceptInvitation(database.db, testConfig().argon2, token, {
      displayName: "山田 花子",
      password: "river stones at dusk",
      locale: "ja",
    });
    const groups = await database.db
      .selectFrom("group_members")
      .select("group_id")
      .where("user_id", "=", userId)
      .execute();
    expect(groups).toEqual([{ group_id: juvenile }]);
  });

  it("recognises a confirmation sent twice, and a file imported twice changes nothing the second time", async () => {
    const file = csv(
      "Taro Kato,taro@kyoto.example,police,Juvenile Division",
      "Yuki Ono,yuki@kyoto.example,prosecutor,Juvenile Division",
    );
    const first = await upload(trainer, file);
    expect((await confirmImport(database.db, mailer(), PUBLIC_URL, trainer, first)).kind).toBe("imported");
    const before = await snapshot();

    // The same confirmation again (double submit, back button): nothing is done again.
    const again = await confirmImport(database.db, mailer(), PUBLIC_URL, trainer, first);
    expect(again).toMatchObject({ kind: "replayed", counts: { invite: 2 } });
    expect(await snapshot()).toEqual(before);

    // The same file uploaded again: recognised, every row unchanged; confirming it adds only its audit event.
    const second = await upload(trainer, file);
    const view = await previewImport(database.db, trainer, second);
    expect(view.importedBefore).not.toBeNull();
    expect(outcomes(view)).toEqual([
      [2, "invited"],
      [3, "invited"],
    ]);
    const result = await confirmImport(database.db, mailer(), PUBLIC_URL, trainer, second);
    expect(result).toMatchObject({ kind: "imported", counts: { invite: 0, invited: 2 }, delivery: "none" });
    const after = await snapshot();
    expect({ invitations: after.invitations, mail: after.mail }).toEqual({
      invitations: before.invitations,
      mail: before.mail,
    });
    expect(after.audit - before.audit).toBe(1);
  });

  it("checks every row again at confirmation: a group no longer trained refuses the whole file", async () => {
    const id = await upload(trainer, csv("Late Row,late@kyoto.example,police,Juvenile Division"));
    expect((await previewImport(database.db, trainer, id)).counts.invite).toBe(1);
    const before = await snapshot();
    const noLongerTrainer: Actor = { ...trainer, trainerOf: [] };
    const result = await confirmImport(database.db, mailer(), PUBLIC_URL, noLongerTrainer, id);
    expect(result.kind === "refused" && outcomes(result.view)).toEqual([[2, "error", "groupNotYours"]]);
    expect(await snapshot()).toEqual(before);
  });

  it("does not tell a trainer that an address has an account in another agency, and mails its owner instead", async () => {
    const id = await upload(
      trainer,
      csv(
        "Judge,judge@kobe.example,judge,Juvenile Division",
        // In the trainer's agency but outside their groups: as unknown to them as an outsider.
        "Outsider,outsider@kyoto.example,police,Juvenile Division",
      ),
    );
    const view = await previewImport(database.db, trainer, id);
    expect(outcomes(view)).toEqual([
      [2, "invite"],
      [3, "invite"],
    ]);
    expect((await confirmImport(database.db, mailer(), PUBLIC_URL, trainer, id)).kind).toBe("imported");
    // The owner learns they already have an account; no link that would make another one is sent.
    await expect(lastLinkTo(database.db, elsewhere.email, "invite")).rejects.toThrow();
    const mail = await database.db
      .selectFrom("mail_outbox")
      .select("body_text")
      .where("to_address", "=", elsewhere.email)
      .executeTakeFirstOrThrow();
    expect(mail.body_text).toContain(`${PUBLIC_URL}/sign-in`);
  });

  it("tells an admin, who may see every account, that an address is taken", async () => {
    const id = await upload(
      admin,
      csv(
        "Judge,judge@kobe.example,judge,Cyber Unit",
        "Outsider,outsider@kyoto.example,police,Juvenile Division",
        "Outsider,outsider@kyoto.example,police,Cyber Unit",
        "New,new-cyber@kyoto.example,police,Cyber Unit",
      ),
    );
    expect(outcomes(await previewImport(database.db, admin, id))).toEqual([
      [2, "error", "accountElsewhere"],
      [3, "error", "accountNotInGroup"],
      [4, "error", "duplicate"],
      [5, "invite"],
    ]);
  });

  it("shows an upload to no one but the person who made it", async () => {
    const id = await upload(trainer, csv("Private,private@kyoto.example,police,Juvenile Division"));
    const other = await makeUser(database.db, { agencyId, roles: ["trainer"] });
    const otherTrainer: Actor = { id: other.id, agencyId, roles: ["trainer"], trainerOf: [juvenile] };
    await expect(previewImport(database.db, otherTrainer, id)).rejects.toMatchObject({ code: "not_found" });
    await expect(confirmImport(database.db, mailer(), PUBLIC_URL, otherTrainer, id)).rejects.toBeInstanceOf(
      DomainError,
    );
    const trainee: Actor = { id: member.id, agencyId, roles: ["trainee"] };
    await expect(uploadImport(database.db, trainee, csv())).rejects.toMatchObject({ code: "forbidden" });
  });

  it("reads a Shift_JIS file with Japanese headers and says so", async () => {
    // 氏名,メールアドレス,職種,グループ / 山田,sjis@kyoto.example,police,Juvenile Division — built from CP932 bytes.
    const bytes = new Uint8Array([
      ...[0x8e, 0x81, 0x96, 0xbc], // 氏名
      0x2c,
      ...[0x83, 0x81, 0x81, 0x5b, 0x83, 0x8b, 0x83, 0x41, 0x83, 0x68, 0x83, 0x8c, 0x83, 0x58], // メールアドレス
      0x2c,
      ...[0x90, 0x45, 0x8e, 0xed], // 職種
      0x2c,
      ...[0x83, 0x4f, 0x83, 0x8b, 0x81, 0x5b, 0x83, 0x76], // グループ
      0x0d,
      0x0a,
      ...[0x8e, 0x52, 0x93, 0x63], // 山田
      ...new TextEncoder().encode(",sjis@kyoto.example,police,Juvenile Division\r\n"),
    ]);
    const id = await upload(trainer, bytes);
    const view = await previewImport(database.db, trainer, id);
    expect(view.encoding).toBe("shift_jis");
    expect(view.rows).toMatchObject([{ line: 2, name: "山田", email: "sjis@kyoto.example", outcome: "invite" }]);
  });

  it("refuses a file it cannot read, and one over the size limit, keeping nothing", async () => {
    const before = await count("invitations");
    expect(await uploadImport(database.db, trainer, new Uint8Array([0xff, 0xfe, 0x80]))).toEqual({
      ok: false,
      problem: "undecodable",
    });
    expect(await uploadImport(database.db, trainer, new Uint8Array(1024 * 1024 + 1).fill(0x41))).toEqual({
      ok: false,
      problem: "tooLarge",
    });
    expect(await uploadImport(database.db, trainer, new TextEncoder().encode("name,email\nA,a@b.jp\n"))).toEqual({
      ok: false,
      problem: "columns",
      detail: "profession, group",
    });
    expect(await count("invitations")).toBe(before);
  });

  it("lets an upload expire unconfirmed", async () => {
    const id = await upload(trainer, csv("Slow,slow@kyoto.example,police,Juvenile Division"));
    await database.db
      .updateTable("invitation_imports")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("id", "=", id)
      .execute();
    expect((await previewImport(database.db, trainer, id)).status).toBe("expired");
    const before = await snapshot();
    expect(await confirmImport(database.db, mailer(), PUBLIC_URL, trainer, id)).toEqual({ kind: "expired" });
    expect(await snapshot()).toEqual(before);
  });
});

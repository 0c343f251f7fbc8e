// Bulk invitation from a CSV file (name, e-mail, profession, group). Two steps: the upload is
// decoded, kept server-side (invitation_imports) and previewed row by row; the confirmation
// re-reads the kept file, checks every row again, and imports all of it in one transaction or
// nothing. A row that is already done (an open invitation to the same group, a member of it)
// changes nothing, so the same file imported twice changes nothing the second time; a confirmation
// sent again (double submit, back button) is recognised by the import's record.
import type { Kysely } from "kysely";
import { PROFESSIONS, type Database, type ImportEncoding, type Profession } from "../../../db/schema";
import { translate } from "../../i18n";
import { audit } from "../audit.server";
import { accountsByEmail, INVITATION_TTL_MS } from "../auth/invitations.server";
import { can, type Actor } from "../auth/policy.server";
import { spendAllowance } from "../auth/throttle.server";
import { displayName as displayNameField, email as emailField } from "../http/fields.server";
import type { Mailer } from "../mail/mailer.server";
import { existingAccountMail, invitationMail } from "../mail/messages.server";
import { DomainError, isUniqueViolation } from "../shared/errors.server";
import { hashToken, newToken } from "../shared/tokens.server";
import {
  contentHash,
  decodeFile,
  IMPORT_MAX_BYTES,
  normalise,
  parseRows,
  type CsvRow,
  type ParseProblem,
} from "./csv-file.server";

/** How long an upload waits for its confirmation. */
export const IMPORT_TTL_MS = 24 * 3_600_000;

export type RowOutcome = "invite" | "invited" | "member" | "error";

export interface PreviewRow {
  line: number;
  name: string;
  email: string;
  profession: Profession | null;
  /** The profession as written in the file. */
  professionText: string;
  /** The group's name as the agency spells it when found, else as written. */
  group: string;
  groupId: string | null;
  outcome: RowOutcome;
  /** i18n keys under errors.import.row, when the outcome is "error". */
  problems: string[];
}

export type Counts = Record<RowOutcome, number>;

export interface ImportView {
  id: string;
  encoding: ImportEncoding;
  createdAt: Date;
  expiresAt: Date;
  status: "previewed" | "confirmed" | "expired";
  confirmedAt: Date | null;
  counts: Counts;
  /** The rows as they stand now (none once confirmed: the file is dropped). */
  rows: PreviewRow[];
  /** When the same file was imported before in this agency, if it was. */
  importedBefore: Date | null;
}

/** Admins and trainers (for trainees of their own agency) may import; others are refused. */
export function mayImport(actor: Actor): boolean {
  return can(actor, "user.invite", { agencyId: actor.agencyId, role: "trainee" });
}

/** The groups the actor may invite people into: an admin's agency's, a trainer's own. */
export async function importGroups(db: Kysely<Database>, actor: Actor) {
  const groups = await db
    .selectFrom("groups")
    .select(["id", "name"])
    .where("agency_id", "=", actor.agencyId)
    .orderBy("name")
    .execute();
  return groups.filter((g) => can(actor, "course.assign", { agencyId: actor.agencyId, groupId: g.id }));
}

export type UploadResult =
  { ok: true; importId: string } | { ok: false; problem: "tooLarge" | "undecodable" | ParseProblem; detail?: string };

/** Step 1: the file decoded, parsed and kept for its preview; a file that cannot be read is refused whole. */
export async function uploadImport(db: Kysely<Database>, actor: Actor, bytes: Uint8Array): Promise<UploadResult> {
  if (!mayImport(actor)) throw new DomainError("forbidden", "errors.forbidden");
  if (bytes.byteLength > IMPORT_MAX_BYTES) return { ok: false, problem: "tooLarge" };
  // Every file read counts, whether it parses or not: reading it is the work limited.
  await spendAllowance(db, "importUploads", `user:${actor.id}`);
  const decoded = decodeFile(bytes);
  if (!decoded.ok) return { ok: false, problem: "undecodable" };
  const parsed = parseRows(decoded.text);
  if (!parsed.ok) return { ok: false, problem: parsed.problem, ...(parsed.detail ? { detail: parsed.detail } : {}) };
  const now = new Date();
  return db.transaction().execute(async (trx) => {
    // Uploads never confirmed hold names and addresses: gone once expired (no invitation names an
    // unconfirmed import, since invitations are made by the confirmation).
    await trx
      .deleteFrom("invitation_imports")
      .where("status", "=", "previewed")
      .where("expires_at", "<", now)
      .execute();
    const row = await trx
      .insertInto("invitation_imports")
      .values({
        agency_id: actor.agencyId,
        created_by: actor.id,
        content_hash: contentHash(decoded.text),
        encoding: decoded.encoding,
        content: decoded.text,
        expires_at: new Date(now.getTime() + IMPORT_TTL_MS),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return { ok: true as const, importId: row.id };
  });
}

async function loadImport(db: Kysely<Database>, actor: Actor, importId: string, lock: boolean) {
  if (!mayImport(actor)) throw new DomainError("forbidden", "errors.forbidden");
  let q = db
    .selectFrom("invitation_imports")
    .selectAll()
    .where("id", "=", importId)
    // Only its owner sees an upload: anyone else is told it does not exist.
    .where("created_by", "=", actor.id)
    .where("agency_id", "=", actor.agencyId);
  if (lock) q = q.forUpdate();
  const found = await q.executeTakeFirst();
  if (!found) throw new DomainError("not_found", "errors.notFound");
  return found;
}

async function importedBefore(db: Kysely<Database>, imp: { id: string; agency_id: string; content_hash: string }) {
  const before = await db
    .selectFrom("invitation_imports")
    .select("confirmed_at")
    .where("agency_id", "=", imp.agency_id)
    .where("content_hash", "=", imp.content_hash)
    .where("status", "=", "confirmed")
    .where("id", "<>", imp.id)
    .orderBy("confirmed_at", "desc")
    .limit(1)
    .executeTakeFirst();
  return before?.confirmed_at ?? null;
}

const noCounts = (): Counts => ({ invite: 0, invited: 0, member: 0, error: 0 });

function countsOf(rows: PreviewRow[]): Counts {
  const counts = noCounts();
  for (const row of rows) counts[row.outcome]++;
  return counts;
}

/** Step 1's page: every row of the kept file with what confirming would do to it, checked now. */
export async function previewImport(db: Kysely<Database>, actor: Actor, importId: string): Promise<ImportView> {
  const imp = await loadImport(db, actor, importId, false);
  const before = await importedBefore(db, imp);
  const base = {
    id: imp.id,
    encoding: imp.encoding,
    createdAt: imp.created_at,
    expiresAt: imp.expires_at,
    confirmedAt: imp.confirmed_at,
    importedBefore: before,
  };
  if (imp.status === "confirmed" || imp.content === null) {
    return { ...base, status: "confirmed", rows: [], counts: { ...noCounts(), ...(imp.counts ?? {}) } };
  }
  if (imp.expires_at.getTime() <= Date.now()) return { ...base, status: "expired", rows: [], counts: noCounts() };
  const rows = await assess(db, actor, rowsOf(imp.content));
  return { ...base, status: "previewed", rows, counts: countsOf(rows) };
}

function rowsOf(content: string): CsvRow[] {
  const parsed = parseRows(content);
  // The kept file parsed when it was uploaded; the same code reads it the same way.
  if (!parsed.ok) throw new DomainError("invalid", "errors.import.file.malformed");
  return parsed.rows;
}

/** A profession by its code or its label in either language, however wide or cased. */
const PROFESSION_NAMES: ReadonlyMap<string, Profession> = new Map(
  PROFESSIONS.flatMap((p) => [
    [normalise(p), p],
    [normalise(translate("en", `professions.${p}`)), p],
    [normalise(translate("ja", `professions.${p}`)), p],
  ]),
);

export function professionOf(text: string): Profession | undefined {
  return PROFESSION_NAMES.get(normalise(text));
}

/**
 * What confirming would do with each row, read in a fixed number of statements: the agency's
 * groups, the accounts and the open invitations of the file's addresses. An account the actor may
 * not see (in another agency, or outside a trainer's groups) is treated as a new address, as the
 * single invitation does: the import must not tell whether an address has an account elsewhere.
 */
async function assess(db: Kysely<Database>, actor: Actor, rows: CsvRow[]): Promise<PreviewRow[]> {
  const groups = await db.selectFrom("groups").select(["id", "name"]).where("agency_id", "=", actor.agencyId).execute();
  const groupByName = new Map<string, { id: string; name: string }>();
  for (const g of groups) if (!groupByName.has(normalise(g.name))) groupByName.set(normalise(g.name), g);

  const emails = new Map<number, string>();
  rows.forEach((row, i) => {
    const parsed = emailField.safeParse(row.email);
    if (parsed.success) emails.set(i, parsed.data);
  });
  const addresses = [...new Set(emails.values())];
  const accounts = await accountsByEmail(db, addresses);
  const accountByEmail = new Map(accounts.map((a) => [a.email, a]));
  const open = addresses.length
    ? await db
        .selectFrom("invitations")
        .select(["email", "agency_id", "group_id", "expires_at"])
        .where("email", "in", addresses)
        .where("accepted_at", "is", null)
        .where("ended_at", "is", null)
        .execute()
    : [];
  const openByEmail = new Map(open.map((o) => [o.email, o]));

  const seen = new Set<string>();
  const now = Date.now();
  return rows.map((row, i): PreviewRow => {
    const problems: string[] = [];
    const name = displayNameField.safeParse(row.name);
    if (!name.success) problems.push(row.name.trim() === "" ? "nameMissing" : "nameInvalid");
    const email = emails.get(i);
    if (!email) problems.push(row.email.trim() === "" ? "emailMissing" : "emailInvalid");
    else if (seen.has(email)) problems.push("duplicate");
    if (email) seen.add(email);
    const profession = professionOf(row.profession);
    if (!profession) problems.push(row.profession.trim() === "" ? "professionMissing" : "professionUnknown");
    const group = row.group.trim() === "" ? undefined : groupByName.get(normalise(row.group));
    if (row.group.trim() === "") problems.push("groupMissing");
    else if (!group) problems.push("groupUnknown");
    else if (!can(actor, "course.assign", { agencyId: actor.agencyId, groupId: group.id }))
      problems.push("groupNotYours");

    let outcome: RowOutcome = "invite";
    const account = email ? accountByEmail.get(email) : undefined;
    const groupIds = account?.groupIds ?? [];
    const visible =
      account && can(actor, "progress.view", { agencyId: account.agency_id, userId: account.id, groupIds });
    if (account && visible) {
      if (account.agency_id !== actor.agencyId) problems.push("accountElsewhere");
      else if (group && groupIds.includes(group.id)) outcome = "member";
      else if (group) problems.push("accountNotInGroup");
    }
    const invitation = email ? openByEmail.get(email) : undefined;
    if (
      outcome === "invite" &&
      invitation &&
      group &&
      invitation.agency_id === actor.agencyId &&
      invitation.group_id === group.id &&
      invitation.expires_at.getTime() > now
    ) {
      outcome = "invited";
    }
    if (problems.length > 0) outcome = "error";
    return {
      line: row.line,
      name: row.name,
      email: email ?? row.email,
      profession: profession ?? null,
      professionText: row.profession,
      group: group?.name ?? row.group,
      groupId: group?.id ?? null,
      outcome,
      problems,
    };
  });
}

export type ConfirmResult =
  /** Delivery: the invitations' mail queued for the mail server, kept in the Outbox (no mail server), or none to send. */
  | { kind: "imported"; counts: Counts; delivery: "queued" | "kept" | "none" }
  /** Confirmed already (a second submit): nothing done again. */
  | { kind: "replayed"; counts: Counts; confirmedAt: Date }
  /** A row has an error now: nothing imported. */
  | { kind: "refused"; view: ImportView }
  | { kind: "expired" };

/**
 * Step 2: every row checked again against the kept file and the database as they are now, then all
 * rows imported in this one transaction, or none. The invitations' mail is queued in it too.
 */
export async function confirmImport(
  db: Kysely<Database>,
  mailer: Mailer,
  publicUrl: string,
  actor: Actor,
  importId: string,
): Promise<ConfirmResult> {
  try {
    return await db.transaction().execute(async (trx) => {
      // The lock makes a second submit wait for the first, then find it confirmed.
      const imp = await loadImport(trx, actor, importId, true);
      if (imp.status === "confirmed" || imp.content === null) {
        return {
          kind: "replayed" as const,
          counts: { ...noCounts(), ...(imp.counts ?? {}) },
          confirmedAt: imp.confirmed_at ?? imp.created_at,
        };
      }
      if (imp.expires_at.getTime() <= Date.now()) return { kind: "expired" as const };
      const rows = await assess(trx, actor, rowsOf(imp.content));
      const counts = countsOf(rows);
      if (counts.error > 0) {
        return {
          kind: "refused" as const,
          view: {
            id: imp.id,
            encoding: imp.encoding,
            createdAt: imp.created_at,
            expiresAt: imp.expires_at,
            status: "previewed" as const,
            confirmedAt: null,
            counts,
            rows,
            importedBefore: await importedBefore(trx, imp),
          },
        };
      }
      const invites = rows.filter((r) => r.outcome === "invite");
      // One invitation mail per row, counted in this transaction: all of the import or none of it.
      if (invites.length > 0) await spendAllowance(trx, "importedInvitations", `user:${actor.id}`, invites.length);
      const delivery = await invitePeople(trx, mailer, publicUrl, actor, imp.id, invites);
      await trx
        .updateTable("invitation_imports")
        .set({ status: "confirmed", confirmed_at: new Date(), content: null, counts: JSON.stringify(counts) })
        .where("id", "=", imp.id)
        .execute();
      await audit(trx, {
        actorId: actor.id,
        agencyId: imp.agency_id,
        action: "user.invitations_imported",
        subjectType: "invitation_import",
        subjectId: imp.id,
        details: {
          rows: rows.length,
          invited: counts.invite,
          alreadyInvited: counts.invited,
          members: counts.member,
          encoding: imp.encoding,
          contentHash: imp.content_hash,
        },
      });
      return { kind: "imported" as const, counts, delivery };
    });
  } catch (error) {
    // A single invitation to one of the addresses sent meanwhile: nothing was imported.
    if (isUniqueViolation(error)) throw new DomainError("conflict", "errors.invite.concurrent");
    throw error;
  }
}

/** The new invitations of an import, as the single invitation makes them: older open ones superseded, each audited and mailed. */
async function invitePeople(
  trx: Kysely<Database>,
  mailer: Mailer,
  publicUrl: string,
  actor: Actor,
  importId: string,
  rows: PreviewRow[],
) {
  if (rows.length === 0) return "none" as const;
  const emails = rows.map((r) => r.email);
  const agency = await trx
    .selectFrom("agencies")
    .select("name")
    .where("id", "=", actor.agencyId)
    .executeTakeFirstOrThrow();
  const withAccount = new Set(
    (await trx.selectFrom("users").select("email").where("email", "in", emails).execute()).map((u) => u.email),
  );
  const now = new Date();
  const ended = await trx
    .updateTable("invitations")
    .set({ ended_at: now, end_reason: "superseded", ended_by: actor.id })
    .where("email", "in", emails)
    .where("accepted_at", "is", null)
    .where("ended_at", "is", null)
    .returning(["id", "agency_id", "email"])
    .execute();
  const tokens = rows.map(() => newToken());
  const created = await trx
    .insertInto("invitations")
    .values(
      rows.map((row, i) => ({
        token_hash: hashToken(tokens[i]!),
        email: row.email,
        agency_id: actor.agencyId,
        role: "trainee" as const,
        profession: row.profession!,
        invited_by: actor.id,
        expires_at: new Date(now.getTime() + INVITATION_TTL_MS),
        group_id: row.groupId,
        display_name: row.name.trim(),
        import_id: importId,
      })),
    )
    .returning(["id", "email"])
    .execute();
  const createdByEmail = new Map(created.map((c) => [c.email, c.id]));
  for (const old of ended) {
    await audit(trx, {
      actorId: actor.id,
      agencyId: old.agency_id,
      action: "user.invitation_superseded",
      subjectType: "invitation",
      subjectId: old.id,
      details: { email: old.email, by: createdByEmail.get(old.email) },
    });
  }
  for (const row of rows) {
    await audit(trx, {
      actorId: actor.id,
      agencyId: actor.agencyId,
      action: "user.invited",
      subjectType: "invitation",
      subjectId: createdByEmail.get(row.email) ?? null,
      details: {
        email: row.email,
        role: "trainee",
        profession: row.profession,
        groupId: row.groupId,
        importId,
        ...(withAccount.has(row.email) ? { existingAccount: true } : {}),
      },
    });
  }
  // An address with an account is told so, with no link that makes one; the inviter sees the same.
  const signIn = `${publicUrl}/sign-in`;
  const outboxIds = await mailer.sendMany(
    trx,
    rows.map((row, i) => {
      if (withAccount.has(row.email))
        return { to: row.email, link: signIn, ...existingAccountMail(agency.name, signIn) };
      const link = `${publicUrl}/invite/${tokens[i]!}`;
      return { to: row.email, link, ...invitationMail(agency.name, link) };
    }),
  );
  const first = await trx
    .selectFrom("mail_outbox")
    .select("status")
    .where("id", "=", outboxIds[0]!)
    .executeTakeFirstOrThrow();
  return first.status === "kept" ? ("kept" as const) : ("queued" as const);
}

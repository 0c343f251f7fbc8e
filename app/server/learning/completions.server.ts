// What a passing final attempt earns, written in the attempt's own transaction: the module's
// completion record and, when it was the last module of a course the trainee is enrolled in, the
// course's completion record with a certificate code. Enrolling in a course whose modules are all
// done already completes it too.
import { randomInt } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../../../db/schema";
import { appendRecord, lockChain } from "./records.server";

const DEFAULT_VALIDITY_MONTHS = 24;
// Crockford's base32: no I, L, O or U, so a code read aloud or typed is not mistaken.
const CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** Characters of a certificate code: 28 of 32 letters, 140 bits from the CSPRNG (ASVS 11.5.1). */
export const CERTIFICATE_CODE_LENGTH = 28;

/**
 * A new certificate's code: it alone opens the certificate at /verify, so it must not be guessable.
 * Written in groups of four, as codes issued before (12 characters, 60 bits) were; those stay valid.
 */
export function newCertificateCode(): string {
  const chars = Array.from({ length: CERTIFICATE_CODE_LENGTH }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]);
  return chars.join("").replace(/(.{4})(?!$)/g, "$1-");
}

export function addMonths(date: Date, months: number): Date {
  const d = new Date(date);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d;
}

export async function recordCompletions(
  trx: Kysely<Database>,
  input: { userId: string; moduleVersionId: string; attemptId: string; score: number; completedAt: Date },
) {
  const { userId, moduleVersionId, completedAt } = input;
  const version = await trx
    .selectFrom("module_versions")
    .select(["module_slug", "version", "pass_mark"])
    .where("id", "=", moduleVersionId)
    .executeTakeFirstOrThrow();
  const pretest = await trx
    .selectFrom("quiz_attempts")
    .select(["score", "started_at"])
    .where("user_id", "=", userId)
    .where("module_version_id", "=", moduleVersionId)
    .where("stage", "=", "pretest")
    .executeTakeFirst();
  const courses = await trx
    .selectFrom("course_modules as cm")
    .innerJoin("courses as c", "c.slug", "cm.course_slug")
    .innerJoin("enrollments as e", (j) => j.onRef("e.course_slug", "=", "c.slug").on("e.user_id", "=", userId))
    .select(["c.slug", "c.recertification_months"])
    .where("cm.module_slug", "=", version.module_slug)
    .where("c.archived_at", "is", null)
    .execute();
  // A module taken for several courses stays valid as long as the strictest of them allows.
  const months = courses.length ? Math.min(...courses.map((c) => c.recertification_months)) : DEFAULT_VALIDITY_MONTHS;

  await appendRecord(trx, {
    kind: "module",
    user_id: userId,
    module_version_id: moduleVersionId,
    course_slug: null,
    attempt_id: input.attemptId,
    score: input.score,
    pretest_score: pretest?.score ?? null,
    started_at: pretest?.started_at ?? null,
    completed_at: completedAt,
    expires_at: addMonths(completedAt, months),
    certificate_code: null,
    details: {
      module: version.module_slug,
      version: version.version,
      passMark: version.pass_mark,
      holderName: await holderName(trx, userId),
    },
  });

  for (const course of courses) await completeCourseIfDone(trx, userId, course, completedAt);
}

/**
 * The name the record is issued to, fixed in it at issue and covered by its hash: a certificate
 * names the person as they were named when they earned it, whatever they are called later.
 */
async function holderName(trx: Kysely<Database>, userId: string): Promise<string> {
  const user = await trx.selectFrom("users").select("display_name").where("id", "=", userId).executeTakeFirstOrThrow();
  return user.display_name;
}

/** The agency the holder belonged to at issue, fixed like the name: the certificate names it. */
async function holderAgency(trx: Kysely<Database>, userId: string): Promise<string> {
  const row = await trx
    .selectFrom("users as u")
    .innerJoin("agencies as a", "a.id", "u.agency_id")
    .select("a.name")
    .where("u.id", "=", userId)
    .executeTakeFirstOrThrow();
  return row.name;
}

interface ModuleRecord {
  module_slug: string;
  id: string;
  version: number;
  completed_at: Date;
  expires_at: Date;
}

/**
 * Writes a course's completion record when every module of the course has a valid completion and
 * the course has no valid record yet. A course record stays valid for the course's period, and no
 * longer than the module records it rests on.
 */
export async function completeCourseIfDone(
  trx: Kysely<Database>,
  userId: string,
  course: { slug: string; recertification_months: number },
  completedAt: Date,
) {
  // Decide under the chain lock, on what concurrent transactions committed.
  await lockChain(trx);
  // Each module of the course with the person's latest record of it still valid (any version).
  const modules = await trx
    .selectFrom("course_modules as cm")
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom("completion_records as r")
          .innerJoin("module_versions as rv", "rv.id", "r.module_version_id")
          .select(["r.id", "rv.version", "r.completed_at", "r.expires_at"])
          .where("r.user_id", "=", userId)
          .where("r.kind", "=", "module")
          .whereRef("rv.module_slug", "=", "cm.module_slug")
          .where("r.expires_at", ">", completedAt)
          .orderBy("r.seq", "desc")
          .limit(1)
          .as("record"),
      (join) => join.onTrue(),
    )
    .select(["cm.module_slug", "record.id", "record.version", "record.completed_at", "record.expires_at"])
    .where("cm.course_slug", "=", course.slug)
    .orderBy("cm.position")
    .execute();
  const records = modules.filter((m): m is ModuleRecord => m.id !== null);
  if (modules.length === 0 || records.length < modules.length) return;
  const valid = await trx
    .selectFrom("completion_records")
    .select("id")
    .where("user_id", "=", userId)
    .where("kind", "=", "course")
    .where("course_slug", "=", course.slug)
    .where("expires_at", ">", completedAt)
    .executeTakeFirst();
  if (valid) return;
  const ownExpiry = addMonths(completedAt, course.recertification_months);
  const expiresAt = new Date(Math.min(ownExpiry.getTime(), ...records.map((r) => r.expires_at.getTime())));
  await appendRecord(trx, {
    kind: "course",
    user_id: userId,
    module_version_id: null,
    course_slug: course.slug,
    attempt_id: null,
    score: null,
    pretest_score: null,
    started_at: null,
    completed_at: completedAt,
    expires_at: expiresAt,
    certificate_code: newCertificateCode(),
    details: {
      holderName: await holderName(trx, userId),
      holderAgency: await holderAgency(trx, userId),
      modules: records.map((r) => ({
        module: r.module_slug,
        version: r.version,
        record: r.id,
        completedAt: r.completed_at.toISOString(),
      })),
    },
  });
}

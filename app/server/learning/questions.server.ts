// A module version's stored questions, read as the quiz engine sees them.
import type { Kysely } from "kysely";
import type { Database } from "../../../db/schema";
import type { StoredQuestion } from "./quiz-engine.server";

export type Stage = "pretest" | "final";

/** A module version's questions: a stage's, or only those with the given ids (what an attempt served). */
export async function loadQuestions(
  db: Kysely<Database>,
  moduleVersionId: string,
  only?: Stage | readonly string[],
): Promise<Map<string, StoredQuestion>> {
  let q = db
    .selectFrom("questions")
    .select(["question_id", "kind", "content"])
    .where("module_version_id", "=", moduleVersionId)
    .orderBy("position");
  if (typeof only === "string") q = q.where("stage", "=", only);
  else if (only) q = q.where("question_id", "in", only.length ? [...only] : [""]);
  const rows = await q.execute();
  return new Map(
    rows.map((r) => [
      r.question_id,
      { id: r.question_id, kind: r.kind, ...(r.content as Omit<StoredQuestion, "id" | "kind">) },
    ]),
  );
}

// Every migration, in order. Imported statically so that the server bundle carries them.
import type { Migration } from "kysely";
import * as m0001 from "./0001_foundation";
import * as m0002 from "./0002_catalog";
import * as m0003 from "./0003_learning";
import * as m0004 from "./0004_lesson_reads";
import * as m0005 from "./0005_group_trainers";
import * as m0006 from "./0006_more_professions";
import * as m0007 from "./0007_assignments";
import * as m0011 from "./0011_invitation_endings";
import * as m0012 from "./0012_chain_anchors";
import * as m0015 from "./0015_people_by_name";
import * as m0016 from "./0016_review_indexes";
import * as m0018 from "./0018_invitation_imports";
import * as m0017 from "./0017_mfa_and_sessions";
import * as m0019 from "./0019_second_factor_by_default";
import * as m0020 from "./0020_algorithm_ids";

export const migrations: Record<string, Migration> = {
  "0001_foundation": m0001,
  "0002_catalog": m0002,
  "0003_learning": m0003,
  "0004_lesson_reads": m0004,
  "0005_group_trainers": m0005,
  "0006_more_professions": m0006,
  "0007_assignments": m0007,
  "0011_invitation_endings": m0011,
  "0012_chain_anchors": m0012,
  "0015_people_by_name": m0015,
  "0016_review_indexes": m0016,
  "0017_mfa_and_sessions": m0017,
  "0018_invitation_imports": m0018,
  "0019_second_factor_by_default": m0019,
  "0020_algorithm_ids": m0020,
};

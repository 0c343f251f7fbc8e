// Every migration, in order. Imported statically so that the server bundle carries them.
import type { Migration } from "kysely";
import * as m0001 from "./0001_foundation";
import * as m0002 from "./0002_catalog";

export const migrations: Record<string, Migration> = {
  "0001_foundation": m0001,
  "0002_catalog": m0002,
};

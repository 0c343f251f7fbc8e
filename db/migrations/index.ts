// Every migration, in order. Imported statically so that the server bundle carries them.
import type { Migration } from "kysely";
import * as m0001 from "./0001_foundation";

export const migrations: Record<string, Migration> = {
  "0001_foundation": m0001,
};

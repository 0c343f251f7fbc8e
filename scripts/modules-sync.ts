// `npm run modules:sync`: checks modules/ and loads it into the database (DATABASE_URL, or the
// embedded database in DATA_DIR). The server also does this at start.
import path from "node:path";
import { syncContentFrom } from "../app/server/catalog/content-sync.server";
import { createLogger } from "../app/server/shared/log.server";
import { connect } from "../db/connect.server";
import { migrateToLatest } from "../db/migrate.server";

const handle = await connect({
  databaseUrl: process.env.DATABASE_URL || undefined,
  dataDir: process.env.DATA_DIR || "./data",
});
try {
  await migrateToLatest(handle.db);
  const outcome = await syncContentFrom(handle.db, path.resolve(process.argv[2] ?? "modules"), createLogger("silent"));
  if (outcome.ok) {
    const { added, unchanged, courses } = outcome.summary;
    console.log(
      `Synced: ${added.map((a) => `${a.slug} v${a.version}`).join(", ") || "no new module versions"}; ${unchanged.length} unchanged; ${courses} courses.`,
    );
  } else {
    console.error(
      `Not synced; the database keeps its last good content:\n${outcome.problems.map((p) => `  ${p}`).join("\n")}`,
    );
    process.exitCode = 1;
  }
} finally {
  await handle.close();
}

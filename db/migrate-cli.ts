// `npm run db:migrate`: applies pending migrations to DATABASE_URL, or to the embedded database in
// DATA_DIR (./data by default). With MIGRATION_DATABASE_URL, migrates as that (owner) role and grants
// DATABASE_URL's role what the app needs. The server also does this at start.
import { connect } from "./connect.server";
import { prepareDatabase } from "./roles.server";

const handle = await connect({
  databaseUrl: process.env.DATABASE_URL || undefined,
  dataDir: process.env.DATA_DIR || "./data",
});
try {
  const applied = await prepareDatabase(handle.db, process.env.MIGRATION_DATABASE_URL || undefined);
  console.log(applied.length ? `Applied: ${applied.join(", ")}` : "Already up to date.");
} finally {
  await handle.close();
}

// `npm run records:verify`: recomputes the completion records' hash chain and reports the first
// record that does not match. Exits 1 when one does not.
import { verifyChain } from "../app/server/learning/records.server";
import { connect } from "../db/connect.server";
import { migrateToLatest } from "../db/migrate.server";

const handle = await connect({
  databaseUrl: process.env.DATABASE_URL || undefined,
  dataDir: process.env.DATA_DIR || "./data",
});
try {
  await migrateToLatest(handle.db);
  const report = await verifyChain(handle.db);
  if (report.ok) {
    console.log(`All ${report.checked} completion records match their hashes and the chain is unbroken.`);
  } else {
    console.error(
      `Record #${report.seq} (${report.id}) does not match: ${report.reason}. ${report.checked} records before it are intact.`,
    );
    process.exitCode = 1;
  }
} finally {
  await handle.close();
}

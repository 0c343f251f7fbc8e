// `npm run records:verify [-- --agency <id>]`: recomputes the completion records' and the audit
// trail's hash chains, checks every MAC with the keys (CHAIN_KEYS, or the key file in DATA_DIR) and
// compares each chain with its newest checkpoint (CHAIN_CHECKPOINT_DIR); reports the first link that
// does not match, and exits 1 when one does not. When both chains check out, it writes a checkpoint
// of each. Shows progress: redrawn on a terminal, a plain line every 10 s in a log.
import { parseArgs } from "node:util";
import { z } from "zod";
import { audit, verifyAuditChain } from "../app/server/audit.server";
import { anchorFromConfig, installChainAnchor, type ChainName } from "../app/server/chain/anchor.server";
import { readHead, writeCheckpoint } from "../app/server/chain/checkpoints.server";
import type { ChainReport } from "../app/server/chain/verify.server";
import { loadConfig } from "../app/server/config.server";
import { verifyChain } from "../app/server/learning/records.server";
import { createProgress } from "../app/server/shared/progress.server";
import { connect } from "../db/connect.server";
import { prepareDatabase } from "../db/roles.server";

const { values } = parseArgs({ options: { agency: { type: "string" } } });
const agencyId = values.agency === undefined ? undefined : z.uuid().parse(values.agency);

const config = loadConfig();
const anchor = anchorFromConfig(config);
installChainAnchor(anchor);
const handle = await connect({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
const LABELS: Record<ChainName, string> = { records: "completion records", audit: "audit events" };

try {
  await prepareDatabase(handle.db, config.migrationDatabaseUrl);
  const reports: Partial<Record<ChainName, ChainReport>> = {};
  for (const chain of ["records", "audit"] as const) {
    const table = chain === "records" ? "completion_records" : "audit_events";
    const total = agencyId
      ? undefined
      : Number(
          (
            await handle.db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<number>().as("n"))
              .executeTakeFirstOrThrow()
          ).n,
        );
    const progress = createProgress({ label: `Verifying ${LABELS[chain]}`, total });
    const options = { agencyId, anchor, onProgress: (n: number) => progress.update(n) };
    const report =
      chain === "records" ? await verifyChain(handle.db, options) : await verifyAuditChain(handle.db, options);
    progress.finish(report.checked, report.ok ? "intact" : "MISMATCH");
    reports[chain] = report;
    console.log(describe(chain, report));
  }
  const ok = Object.values(reports).every((r) => r.ok);
  await audit(handle.db, {
    actorId: null,
    agencyId: agencyId ?? null,
    action: "records.verified",
    subjectType: "completion_records",
    details: { from: "command line", records: reports.records, audit: reports.audit },
  });
  if (ok && !agencyId && anchor.checkpointDir) {
    for (const chain of ["records", "audit"] as const) {
      const head = await readHead(handle.db, chain);
      if (head) await writeCheckpoint(anchor, chain, head);
    }
    console.log(`Checkpoints written to ${anchor.checkpointDir}.`);
  }
  if (!ok) process.exitCode = 1;
} finally {
  await handle.close();
}

function describe(chain: ChainName, r: ChainReport): string {
  const what = LABELS[chain];
  const against = r.checkpoint
    ? ` Compared with the checkpoint of ${r.checkpoint.at} (#${r.checkpoint.seq}, ${r.checkpoint.count} links).`
    : anchor.checkpointDir
      ? " No checkpoint yet to compare with."
      : " No checkpoint directory: the end of the chain is not checked.";
  const legacy = r.legacy ? ` ${r.legacy} of them predate the key and are vouched for by the links after them.` : "";
  if (r.ok)
    return `All ${r.checked} ${what} match their hashes and MACs, and the chain is unbroken.${legacy}${against}`;
  const m = r.firstMismatch!;
  return `${what}: #${m.seq}${m.id ? ` (${m.id})` : ""} does not match: ${m.reason}. ${r.checked} checked before it.${against}`;
}

// Everything a request needs that lives longer than a request: configuration, the database, the
// session store, the mailer, the logger. Made once per process and handed to Remix as load context.
import type { Kysely } from "kysely";
import { connect, type DatabaseHandle } from "../../db/connect.server";
import { prepareDatabase } from "../../db/roles.server";
import type { Database } from "../../db/schema";
import { anchorFromConfig, installChainAnchor } from "./chain/anchor.server";
import { createSessions, type SessionUser, type Sessions } from "./auth/sessions.server";
import type { Config } from "./config.server";
import { createMailer, type Mailer } from "./mail/mailer.server";
import type { Logger } from "./shared/log.server";
import { createBackgroundTasks, type BackgroundTasks } from "./shared/tasks.server";

export interface AppContext {
  config: Config;
  log: Logger;
  database: DatabaseHandle;
  db: Kysely<Database>;
  sessions: Sessions;
  mailer: Mailer;
  /** Work started by a request and finished after its answer. */
  tasks: BackgroundTasks;
}

/** What every loader and action receives as `context`. */
export interface RequestContext {
  app: AppContext;
  requestId: string;
  clientAddress: string;
  nonce: string;
  user: SessionUser | null;
  /** The raw session token, for signing out; never logged. */
  sessionToken: string | null;
}

declare module "@remix-run/node" {
  interface AppLoadContext extends RequestContext {}
}

export function createAppContextFromDatabase(config: Config, log: Logger, database: DatabaseHandle): AppContext {
  const db = database.db;
  return {
    config,
    log,
    database,
    db,
    sessions: createSessions(db, {
      idleMs: config.sessionIdleMs,
      absoluteMs: config.sessionAbsoluteMs,
      secureCookies: config.secureCookies,
    }),
    mailer: createMailer(db, log, { smtpUrl: config.smtpUrl, from: config.mailFrom, logLinks: config.logMailLinks }),
    tasks: createBackgroundTasks(log),
  };
}

export async function createAppContext(config: Config, log: Logger): Promise<AppContext> {
  // The chains' keys first: nothing may be audited or recorded without them.
  const anchor = anchorFromConfig(config);
  installChainAnchor(anchor);
  if (anchor.keysFrom !== "environment" && config.env === "production")
    log.warn("chain keys kept beside the database; set CHAIN_KEYS to keep them elsewhere", { file: anchor.keysFrom });
  const database = await connect({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.databasePoolSize,
  });
  const applied = await prepareDatabase(database.db, config.migrationDatabaseUrl);
  log.info("database ready", { engine: database.engine, migrationsApplied: applied });
  return createAppContextFromDatabase(config, log, database);
}

// Every setting comes from the environment, checked once at start (README lists them all).
import path from "node:path";
import { z } from "zod";
import { parseKeyring } from "./chain/anchor.server";

const minutes = z.coerce.number().int().positive();

const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("0.0.0.0"),
  PUBLIC_URL: z.url().optional(),
  DATABASE_URL: z.string().optional(),
  MIGRATION_DATABASE_URL: z.string().optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATA_DIR: z.string().default("./data"),
  MODULES_DIR: z.string().default("./modules"),
  SESSION_IDLE_MINUTES: minutes.default(30),
  SESSION_ABSOLUTE_HOURS: z.coerce.number().int().positive().default(12),
  SECURE_COOKIES: z.enum(["auto", "true", "false"]).default("auto"),
  TRUST_PROXY: z.enum(["true", "false"]).default("false"),
  SMTP_URL: z.string().optional(),
  MAIL_FROM: z.string().default("Mamoru <no-reply@localhost>"),
  LOG_MAIL_LINKS: z.enum(["true", "false"]).default("false"),
  WORKERS: z.enum(["true", "false"]).default("true"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(19456).default(19456),
  ARGON2_TIME_COST: z.coerce.number().int().min(2).default(2),
  CHAIN_KEYS: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      if (value === undefined) return;
      try {
        parseKeyring(value);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
      }
    }),
  CHAIN_CHECKPOINT_DIR: z.string().optional(),
  CHAIN_CHECKPOINT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
});

export interface Config {
  env: "development" | "production" | "test";
  port: number;
  host: string;
  /** Where links in e-mails and logs point; defaults to http://localhost:PORT. */
  publicUrl: string;
  databaseUrl: string | undefined;
  /** A schema owner's URL: migrations run with it, requests with DATABASE_URL's role (see README). */
  migrationDatabaseUrl: string | undefined;
  databasePoolSize: number;
  dataDir: string;
  /** The course content synced into the database at start. */
  modulesDir: string;
  sessionIdleMs: number;
  sessionAbsoluteMs: number;
  secureCookies: boolean;
  trustProxy: boolean;
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Without SMTP, write the links of kept mail (invitations, resets) to the log: development only. */
  logMailLinks: boolean;
  /** Run the background jobs (mail delivery, reminders) in this instance. */
  workers: boolean;
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  argon2: { memoryCost: number; timeCost: number };
  /** The chains' MAC keys, `id:secret` pairs, active first; unset: kept in DATA_DIR (not with a server in production). */
  chainKeys: string | undefined;
  /** Where the chains' checkpoints are written: outside the database, kept by the agency. */
  checkpointDir: string;
  checkpointIntervalMs: number;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = EnvSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== "")));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === "production";
  // With a database server in production the anchors must live elsewhere than the database and be
  // chosen on purpose: a key generated beside the app would go with the next deployment.
  if (e.MIGRATION_DATABASE_URL && !e.DATABASE_URL)
    throw new Error("Invalid configuration: MIGRATION_DATABASE_URL: needs DATABASE_URL (the app's own role)");
  if (production && e.DATABASE_URL) {
    const missing = (["CHAIN_KEYS", "CHAIN_CHECKPOINT_DIR"] as const).filter((name) => !e[name]);
    if (missing.length)
      throw new Error(
        `Invalid configuration: ${missing.map((name) => `${name}: required in production with DATABASE_URL`).join("; ")}`,
      );
  }
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, ""),
    databaseUrl: e.DATABASE_URL,
    migrationDatabaseUrl: e.MIGRATION_DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    dataDir: e.DATA_DIR,
    modulesDir: e.MODULES_DIR,
    sessionIdleMs: e.SESSION_IDLE_MINUTES * 60_000,
    sessionAbsoluteMs: e.SESSION_ABSOLUTE_HOURS * 3_600_000,
    secureCookies: e.SECURE_COOKIES === "auto" ? production : e.SECURE_COOKIES === "true",
    trustProxy: e.TRUST_PROXY === "true",
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    logMailLinks: e.LOG_MAIL_LINKS === "true",
    workers: e.WORKERS === "true",
    logLevel: e.LOG_LEVEL,
    argon2: { memoryCost: e.ARGON2_MEMORY_KIB, timeCost: e.ARGON2_TIME_COST },
    chainKeys: e.CHAIN_KEYS,
    checkpointDir: e.CHAIN_CHECKPOINT_DIR ?? path.join(e.DATA_DIR, "checkpoints"),
    checkpointIntervalMs: e.CHAIN_CHECKPOINT_SECONDS * 1000,
  };
}

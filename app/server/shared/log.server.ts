// Structured logs: one JSON object per line on stdout. Callers pass facts, never secrets; token
// paths are redacted here as a second line of defence.
export type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level | "silent", number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const TOKEN_PATH = /\/(invite|reset-password|setup)\/[^/?#\s"]+/g;

/** Replaces the secret part of single-use links so that logs never hold a usable token. */
export function redactPath(path: string): string {
  return path.replace(TOKEN_PATH, "/$1/[redacted]");
}

export function createLogger(
  level: Level | "silent" = "info",
  base: Record<string, unknown> = {},
  write: (line: string) => void = (line) => process.stdout.write(line + "\n"),
): Logger {
  const emit = (lvl: Level, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[lvl] < ORDER[level]) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level: lvl, msg, ...base, ...fields };
    if (typeof entry.path === "string") entry.path = redactPath(entry.path);
    write(JSON.stringify(entry, (_k, v) => (v instanceof Error ? { name: v.name, message: v.message } : v)));
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger(level, { ...base, ...fields }, write),
  };
}

// The platform as `npm start` runs it: a separate Node process on the production build.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import path from "node:path";
import { TEST_CHAIN_KEYS } from "./chain";
import { disposeAfterFile } from "./cleanup";
import { adminQuery, databaseUrl, runDatabaseName, runDir, serverUrl } from "./engine";
import { freePort } from "./run";

export { freePort };

const root = path.resolve(import.meta.dirname, "../..");

export interface PlatformProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first match of `pattern` in the output. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(): Promise<number | null>;
}

/** Starts the platform on an empty database of its own (PGlite folder or a new server database). */
export async function startPlatform(extraEnv: Record<string, string> = {}): Promise<PlatformProcess> {
  const port = await freePort();
  const suffix = randomBytes(4).toString("hex");
  const checkpoints = path.join(runDir(), `proc-${suffix}-checkpoints`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: "127.0.0.1",
    NODE_ENV: "production",
    PUBLIC_URL: `http://localhost:${port}`,
    CHAIN_KEYS: TEST_CHAIN_KEYS,
    CHAIN_CHECKPOINT_DIR: checkpoints,
    ...extraEnv,
  };
  let cleanup = async () => {};
  if (serverUrl) {
    const name = runDatabaseName(`proc_${suffix}`);
    await adminQuery(`create database ${name}`);
    env.DATABASE_URL = databaseUrl(name);
    cleanup = () => adminQuery(`drop database if exists ${name} with (force)`);
  } else {
    const dir = path.join(runDir(), `proc-${suffix}`);
    delete env.DATABASE_URL;
    env.DATA_DIR = dir;
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  const child = spawn(process.execPath, [path.join(root, "scripts/start.mjs")], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));

  const platform: PlatformProcess = {
    url: `http://localhost:${port}`,
    child,
    output: () => out,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; output:\n${out}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      const code = await exited;
      await cleanup();
      rmSync(checkpoints, { recursive: true, force: true });
      return code;
    },
  };
  disposeAfterFile(`the platform process on port ${port}`, () => platform.stop());
  await platform.waitFor(/"msg":"listening"/);
  return platform;
}

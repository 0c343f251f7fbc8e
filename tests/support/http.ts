// The production build served in-process on a test database, and a small browser-like client
// (cookie jar, same-origin header, form posts) to talk to it.
import type { Server } from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { DatabaseHandle } from "../../db/connect.server";
import { createLogger } from "../../app/server/shared/log.server";
import { disposeAfterFile } from "./cleanup";
import { testDatabase } from "./db";
import { testConfig } from "./fixtures";

const root = path.resolve(import.meta.dirname, "../..");

export interface TestServer {
  url: string;
  database: DatabaseHandle;
  logs: string[];
  client(): TestClient;
}

export async function startTestServer(
  configOverrides: Record<string, string> = {},
  database?: DatabaseHandle,
): Promise<TestServer> {
  const build = await import(pathToFileURL(path.join(root, "build/server/index.js")).href);
  const handle = database ?? (await testDatabase());
  const logs: string[] = [];
  const config = testConfig(configOverrides);
  const log = createLogger("info", {}, (line) => logs.push(line));
  const app = build.entry.module.createAppContextFromDatabase(config, log, handle);
  const http = build.entry.module.createHttpApp(app, {
    getBuild: () => build,
    clientDir: path.join(root, "build/client"),
  });
  const server: Server = await new Promise((resolve) => {
    const s = http.listen(0, "127.0.0.1", () => resolve(s));
  });
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  disposeAfterFile(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url, database: handle, logs, client: () => new TestClient(url) };
}

export class TestClient {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  private cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private remember(response: Response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /max-age=0/i.test(a) || /expires=thu, 01 jan 1970/i.test(a));
      if (!value || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async get(pathname: string, headers: Record<string, string> = {}): Promise<Response> {
    const response = await fetch(this.base + pathname, {
      redirect: "manual",
      headers: { cookie: this.cookieHeader(), "accept-language": "en", ...headers },
    });
    this.remember(response);
    return response;
  }

  /** A form post as a browser without JavaScript would send it. */
  async post(
    pathname: string,
    fields: Record<string, string | string[]>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) body.append(k, one);
    const response = await fetch(this.base + pathname, {
      method: "POST",
      redirect: "manual",
      body,
      headers: {
        cookie: this.cookieHeader(),
        origin: this.base,
        "content-type": "application/x-www-form-urlencoded",
        "accept-language": "en",
        ...headers,
      },
    });
    this.remember(response);
    return response;
  }

  async signIn(email: string, password: string): Promise<Response> {
    return this.post("/sign-in", { email, password });
  }
}

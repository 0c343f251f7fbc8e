// The production build served in-process on a test database, and a small browser-like client
// (cookie jar, same-origin header, form posts) to talk to it.
import { createServer, request, type IncomingHttpHeaders } from "node:http";
import { connect, type Socket } from "node:net";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { DatabaseHandle } from "../../db/connect.server";
import type { AppContext } from "../../app/server/context.server";
import { createLogger } from "../../app/server/shared/log.server";
import { disposeAfterFile } from "./cleanup";
import { testDatabase } from "./db";
import { testConfig } from "./fixtures";

const root = path.resolve(import.meta.dirname, "../..");

export interface TestServer {
  url: string;
  database: DatabaseHandle;
  /** The server's services (mailer, background tasks, …), for tests that need to hold or replace one. */
  app: AppContext;
  logs: string[];
  client(): TestClient;
}

export async function startTestServer(
  configOverrides: Record<string, string> = {},
  database?: DatabaseHandle,
): Promise<TestServer> {
  const build = await import(pathToFileURL(path.join(root, "build/server/index.js")).href);
  const handle = database ?? (await testDatabase());
  // Listen first, so that the server's own address can be its PUBLIC_URL: the address the test
  // clients and browsers use, as people use the configured one.
  const server = createServer();
  // As the production server: with Node's 5 s default, a busy machine lets the server close an
  // idle kept-alive socket just as the client reuses it (ECONNRESET).
  server.keepAliveTimeout = build.entry.module.KEEP_ALIVE_TIMEOUT_MS;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const started: { app?: AppContext } = {};
  disposeAfterFile(`the test server at ${url}`, async () => {
    await new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
    // Work a request started after answering (a mail) must not outlive the database it writes to.
    await started.app?.tasks.settled();
  });
  const logs: string[] = [];
  const config = testConfig({ PUBLIC_URL: url, ...configOverrides });
  const log = createLogger("info", {}, (line) => logs.push(line));
  const app: AppContext = build.entry.module.createAppContextFromDatabase(config, log, handle);
  started.app = app;
  const http = build.entry.module.createHttpApp(app, {
    getBuild: () => build,
    clientDir: path.join(root, "build/client"),
  });
  server.on("request", http);
  return { url, database: handle, app, logs, client: () => new TestClient(url) };
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

  /** A post whose body is sent exactly as given (hostile encodings, other content types). */
  async postRaw(
    pathname: string,
    body: string | Uint8Array<ArrayBuffer>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
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

  /**
   * A form with a file, as a browser sends `enctype="multipart/form-data"` (fetch writes the
   * boundary into the content type).
   */
  async postFile(
    pathname: string,
    file: { field: string; name: string; type?: string; bytes: Uint8Array },
    fields: Record<string, string> = {},
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const body = new FormData();
    for (const [k, v] of Object.entries(fields)) body.append(k, v);
    body.append(file.field, new Blob([new Uint8Array(file.bytes)], { type: file.type ?? "text/csv" }), file.name);
    const response = await fetch(this.base + pathname, {
      method: "POST",
      redirect: "manual",
      body,
      headers: { cookie: this.cookieHeader(), origin: this.base, "accept-language": "en", ...headers },
    });
    this.remember(response);
    return response;
  }

  /** The Cookie header this client sends, for requests made without it. */
  get cookieHeaderValue(): string {
    return this.cookieHeader();
  }

  async signIn(email: string, password: string): Promise<Response> {
    return this.post("/sign-in", { email, password });
  }
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request through node:http, which, unlike fetch, sends any Host header and any method. */
export function rawRequest(
  base: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    // The path goes on the wire as given (a URL string would be normalised first).
    const req = request(
      {
        hostname: url.hostname,
        port: url.port,
        path: options.path,
        method: options.method ?? "GET",
        headers: options.headers,
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/**
 * Bytes written straight to a socket, and everything the server answers until it closes the
 * connection (or `timeoutMs` passes: `closed` tells which).
 */
export function socketExchange(
  base: string,
  write: (socket: Socket) => void,
  timeoutMs = 5_000,
): Promise<{ text: string; closed: boolean }> {
  const url = new URL(base);
  return new Promise((resolve) => {
    let text = "";
    const socket = connect(Number(url.port), url.hostname, () => write(socket));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, timeoutMs);
    socket.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
  });
}

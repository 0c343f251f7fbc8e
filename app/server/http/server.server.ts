// The production (and development) HTTP server: Express in front of Remix, with health checks,
// security headers, request logs, compression and a graceful shutdown.
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import path from "node:path";
import type { ServerBuild } from "@remix-run/node";
import compression from "compression";
import express, { type NextFunction, type Request, type Response } from "express";
import { issueSetupToken } from "../auth/first-admin.server";
import { sweepThrottles } from "../auth/throttle.server";
import { syncContentFrom } from "../catalog/content-sync.server";
import { chainAnchor } from "../chain/anchor.server";
import { createCheckpointer } from "../chain/checkpoints.server";
import { loadConfig, type Config } from "../config.server";
import { startAppWorkers } from "../jobs/workers.server";
import { createAppContext, type AppContext, type RequestContext } from "../context.server";
import { createLogger, type Logger } from "../shared/log.server";
import { identifyInScope, inSecurityScope, logResponseEvent, securityScope } from "../shared/security-events.server";
import { isConnectionError } from "../../../db/connect.server";
import { unavailablePage } from "./unavailable.server";
import { bodyLimitsFor, closeAfterAnswer, readBody } from "./body.server";
import { legacyLocaleCookieUpgrade, localeFromHeaders } from "./locale.server";
import { plainPage, type PlainPageKind } from "./plain-page.server";
import { createRemixHandler, type RemixHandler } from "./remix-adapter.server";
import { sameOriginOnly, securityHeaders } from "./security.server";

export interface ServerOptions {
  getBuild: () => Promise<ServerBuild> | ServerBuild;
  /** Vite's dev middleware, in development only. */
  devMiddleware?: express.RequestHandler;
  clientDir?: string;
}

/** How long an idle kept-alive connection stays open: longer than common load balancers' idle timeout. */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

const REQUEST_ID = /^[\w-]{8,64}$/;
/** The methods a browser sends; anything else never reaches Remix (which cannot represent some). */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

export function createHttpApp(app: AppContext, options: ServerOptions) {
  const { config, log } = app;
  const dev = config.env === "development";
  const http = express();
  http.disable("x-powered-by");
  // One hop: the client address is the one the load balancer appended to X-Forwarded-For, never an
  // entry the client sent itself (with `true`, Express takes the leftmost, which anyone can forge).
  if (config.trustProxy) http.set("trust proxy", 1);

  // The person's language when the session is known already, else this browser's.
  const sendPlain = (req: Request, res: Response, status: number, kind: PlainPageKind) => {
    const user = (res.locals.context as RequestContext | undefined)?.user;
    const locale = localeFromHeaders(req.get("cookie"), req.get("accept-language"), user?.locale);
    res.status(status).setHeader("Cache-Control", "no-store");
    res.type("html").send(plainPage(locale, kind, status));
  };

  http.use((req, res, next) => {
    const incoming = req.get("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader("X-Request-Id", requestId);
    // On every response, the health checks' included.
    res.setHeader("X-Content-Type-Options", "nosniff");
    const started = process.hrtime.bigint();
    const security = securityScope(log, requestId);
    res.on("finish", () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const fields = {
        requestId,
        method: req.method,
        path: req.originalUrl.split("?")[0],
        status: res.statusCode,
        durationMs: Math.round(durationMs * 10) / 10,
        ...(res.locals.userId ? { userId: res.locals.userId as string } : {}),
      };
      if (res.statusCode >= 500) log.error("request", fields);
      else log.info("request", fields);
      // A 403, a 429, a refused form or link is a security event of its own (docs/security/events.md).
      if (res.locals.userId) security.userId = res.locals.userId as string;
      const refusal = res.locals.refusal as { reason?: string } | undefined;
      logResponseEvent(
        security,
        { method: req.method, path: fields.path ?? "", status: res.statusCode, refusal },
        {
          method: req.method,
          path: fields.path,
          ...(refusal ?? { reason: res.statusCode === 403 ? "policy" : undefined }),
        },
      );
    });
    // Everything the request does runs in its scope: an event logged deep inside carries its id.
    inSecurityScope(security, next);
  });

  http.get("/healthz", (_req, res) => {
    res.setHeader("Cache-Control", "no-store");
    res.json({ status: "ok" });
  });
  http.get("/readyz", async (_req, res) => {
    res.setHeader("Cache-Control", "no-store");
    try {
      await app.database.ping();
      res.json({ status: "ready", database: app.database.engine });
    } catch {
      res.status(503).json({ status: "unavailable", database: app.database.engine });
    }
  });

  http.use(securityHeaders(dev));

  // The language cookie of its old, unprefixed name becomes the __Host- one on the next response.
  http.use((req, res, next) => {
    for (const cookie of legacyLocaleCookieUpgrade(req.get("cookie"), config.secureCookies))
      res.append("Set-Cookie", cookie);
    next();
  });

  // An address that cannot be decoded (a stray "%") is the sender's mistake: 400, not a crash in
  // the router. So is a method no browser sends.
  http.use((req, res, next) => {
    if (!req.url.startsWith("/") || !decodable(req.path)) {
      log.info("malformed request address", { requestId: res.locals.requestId });
      closeAfterAnswer(req, res);
      return sendPlain(req, res, 400, "badRequest");
    }
    if (!METHODS.has(req.method)) {
      closeAfterAnswer(req, res);
      res.setHeader("Allow", [...METHODS].join(", "));
      return sendPlain(req, res, 405, "methodNotAllowed");
    }
    next();
  });

  http.use(compression());

  if (options.devMiddleware) {
    http.use(options.devMiddleware);
  } else {
    const clientDir = options.clientDir ?? path.resolve("build/client");
    http.use("/assets", express.static(path.join(clientDir, "assets"), { immutable: true, maxAge: "1y" }));
    // Other public files all have an extension; pages never do, so they skip the file lookup.
    const publicFiles = express.static(clientDir, { maxAge: "1h" });
    http.use((req, res, next) => (path.extname(req.path) ? publicFiles(req, res, next) : next()));
  }

  http.use(sameOriginOnly({ publicUrl: config.publicUrl, trustProxy: config.trustProxy }));

  const sendUnavailable = (res: Response, error: unknown) => {
    log.warn("database unavailable", { requestId: res.locals.requestId, error });
    res.status(503).setHeader("Retry-After", "10");
    res.setHeader("Cache-Control", "no-store");
    res.type("html").send(unavailablePage());
  };

  // One request handler per build (the build changes only in development, on edits).
  let handler: { build: ServerBuild; handle: RemixHandler } | undefined;
  const handlerFor = (build: ServerBuild) => {
    if (handler?.build !== build) {
      handler = { build, handle: createRemixHandler(build, config.env, config.publicUrl) };
    }
    return handler.handle;
  };

  const remix = async (req: Request, res: Response) => {
    // After a connection failure, check before each request; the pool reconnects by itself, so
    // the first successful check brings the platform back.
    if (!app.database.healthy) {
      try {
        await app.database.ping();
      } catch (error) {
        closeAfterAnswer(req, res);
        return sendUnavailable(res, error);
      }
    }
    let context: RequestContext;
    try {
      const validated = await app.sessions.validate(req.get("cookie") ?? null);
      if (validated.refreshedCookie) res.append("Set-Cookie", validated.refreshedCookie);
      context = {
        app,
        requestId: res.locals.requestId as string,
        clientAddress: req.ip ?? req.socket.remoteAddress ?? "unknown",
        nonce: res.locals.nonce as string,
        user: validated.user,
        sessionToken: validated.sessionToken,
      };
    } catch (error) {
      closeAfterAnswer(req, res);
      if (isConnectionError(error)) return sendUnavailable(res, error);
      throw error;
    }
    res.locals.context = context;
    if (context.user) {
      res.locals.userId = context.user.id;
      identifyInScope(context.user.id);
    }

    // Every body is read here, whole and capped, before any route parses it (or ignores it).
    let body: Buffer | null = null;
    if (req.method !== "GET" && req.method !== "HEAD") {
      const read = await readBody(req, bodyLimitsFor(req.path));
      if (!read.ok) {
        if (read.reason === "aborted") return void res.destroy();
        log.warn("request body refused", { requestId: context.requestId, reason: read.reason });
        closeAfterAnswer(req, res);
        return sendPlain(req, res, 413, "tooLarge");
      }
      body = read.body;
    }
    return handlerFor(await options.getBuild())(req, res, context, body);
  };
  http.all("*", (req, res, next) => {
    remix(req, res).catch(next);
  });

  http.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    log.error("unhandled error", { requestId: res.locals.requestId, path: req.originalUrl, error });
    if (res.headersSent) return res.end();
    const status = isConnectionError(error) ? 503 : 500;
    res.status(status).setHeader("Cache-Control", "no-store");
    res.type("html").send(unavailablePage());
  });
  return http;
}

/** Whether every segment of a path percent-decodes (as the router will decode it). */
function decodable(pathname: string): boolean {
  try {
    for (const segment of pathname.split("/")) decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}

export interface RunningServer {
  server: Server;
  app: AppContext;
  url: string;
  stop(): Promise<void>;
}

/** Starts the platform: database, migrations, first-admin link, HTTP, and SIGTERM handling. */
export async function startServer(options: ServerOptions & { config?: Config; log?: Logger }): Promise<RunningServer> {
  const config = options.config ?? loadConfig();
  const log = options.log ?? createLogger(config.logLevel);
  const app = await createAppContext(config, log);

  await syncContentFrom(app.db, config.modulesDir, log);

  const setupToken = await issueSetupToken(app.db);
  if (setupToken) {
    const link = `${config.publicUrl}/setup/${setupToken}`;
    log.info("no users yet: open the first-admin link", { link });
    process.stdout.write(`\n  Create the first admin account: ${link}\n\n`);
  }

  const http = createHttpApp(app, options);
  const server = await new Promise<Server>((resolve) => {
    const s = http.listen(config.port, config.host, () => resolve(s));
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const url = `http://localhost:${port}`;
  log.info("listening", { url, engine: app.database.engine, env: config.env });

  const workers = config.workers ? await startAppWorkers(app) : undefined;
  // The chains' heads are checkpointed outside the database now and whenever they moved since.
  const checkpointer = createCheckpointer(app.db, chainAnchor);
  const checkpoint = () =>
    checkpointer.run().catch((error: unknown) => log.error("chain checkpoint failed", { error }));
  await checkpoint();
  const checkpoints = setInterval(() => void checkpoint(), config.checkpointIntervalMs);
  checkpoints.unref();

  // Sessions past their expiry are removed now and then; validation already refuses them. So are
  // throttle counts whose window has passed.
  const sweep = setInterval(() => {
    void app.sessions.deleteExpired().catch(() => {});
    void sweepThrottles(app.db).catch(() => {});
  }, 3_600_000);
  sweep.unref();

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.info("shutting down: finishing in-flight requests");
      clearInterval(sweep);
      clearInterval(checkpoints);
      const forced = setTimeout(() => server.closeAllConnections(), 10_000);
      forced.unref();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      clearTimeout(forced);
      await workers?.stop();
      await app.tasks.settled();
      await checkpoint();
      await app.database.close();
      log.info("stopped");
    })());
  return { server, app, url, stop };
}

/** For the process entry point: stop cleanly on SIGTERM/SIGINT. */
export function stopOnSignals(running: RunningServer) {
  const onSignal = (signal: string) => {
    running.app.log.info("signal received", { signal });
    running.stop().then(
      () => process.exit(0),
      (error) => {
        running.app.log.error("shutdown failed", { error });
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));
}

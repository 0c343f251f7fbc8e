// The production (and development) HTTP server: Express in front of Remix, with health checks,
// security headers, request logs, compression and a graceful shutdown.
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import path from "node:path";
import { createRequestHandler } from "@remix-run/express";
import type { AppLoadContext, ServerBuild } from "@remix-run/node";
import compression from "compression";
import express, { type NextFunction, type Request, type Response } from "express";
import { issueSetupToken } from "../auth/first-admin.server";
import { syncContentFrom } from "../catalog/content-sync.server";
import { loadConfig, type Config } from "../config.server";
import { createAppContext, type AppContext, type RequestContext } from "../context.server";
import { createLogger, type Logger } from "../shared/log.server";
import { isConnectionError } from "../../../db/connect.server";
import { unavailablePage } from "./unavailable.server";
import { sameOriginOnly, securityHeaders } from "./security.server";

export interface ServerOptions {
  getBuild: () => Promise<ServerBuild> | ServerBuild;
  /** Vite's dev middleware, in development only. */
  devMiddleware?: express.RequestHandler;
  clientDir?: string;
}

const REQUEST_ID = /^[\w-]{8,64}$/;

export function createHttpApp(app: AppContext, options: ServerOptions) {
  const { config, log } = app;
  const dev = config.env === "development";
  const http = express();
  http.disable("x-powered-by");
  if (config.trustProxy) http.set("trust proxy", true);

  http.use((req, res, next) => {
    const incoming = req.get("x-request-id");
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader("X-Request-Id", requestId);
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      log.info("request", {
        requestId,
        method: req.method,
        path: req.originalUrl.split("?")[0],
        status: res.statusCode,
        durationMs: Math.round(durationMs * 10) / 10,
      });
    });
    next();
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

  http.use(sameOriginOnly(config.publicUrl));

  const sendUnavailable = (res: Response, error: unknown) => {
    log.warn("database unavailable", { requestId: res.locals.requestId, error });
    res.status(503).setHeader("Retry-After", "10");
    res.type("html").send(unavailablePage());
  };

  // One request handler per build (the build changes only in development, on edits).
  let handler: { build: ServerBuild; handle: express.RequestHandler } | undefined;
  const handlerFor = (build: ServerBuild) => {
    if (handler?.build !== build) {
      handler = {
        build,
        handle: createRequestHandler({
          build,
          mode: config.env,
          getLoadContext: (_req, res) => res.locals.context as AppLoadContext,
        }),
      };
    }
    return handler.handle;
  };

  const remix = async (req: Request, res: Response, next: NextFunction) => {
    // After a connection failure, check before each request; the pool reconnects by itself, so
    // the first successful check brings the platform back.
    if (!app.database.healthy) {
      try {
        await app.database.ping();
      } catch (error) {
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
      if (isConnectionError(error)) return sendUnavailable(res, error);
      return next(error);
    }
    res.locals.context = context;
    return handlerFor(await options.getBuild())(req, res, next);
  };
  http.all("*", (req, res, next) => {
    remix(req, res, next).catch(next);
  });

  http.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    log.error("unhandled error", { requestId: res.locals.requestId, path: req.originalUrl, error });
    if (res.headersSent) return res.end();
    const status = isConnectionError(error) ? 503 : 500;
    res.status(status).type("html").send(unavailablePage());
  });
  return http;
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
  server.keepAliveTimeout = 65_000; // longer than common load balancers' idle timeout
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const url = `http://localhost:${port}`;
  log.info("listening", { url, engine: app.database.engine, env: config.env });

  // Sessions past their expiry are removed now and then; validation already refuses them.
  const sweep = setInterval(() => void app.sessions.deleteExpired().catch(() => {}), 3_600_000);
  sweep.unref();

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      log.info("shutting down: finishing in-flight requests");
      clearInterval(sweep);
      const forced = setTimeout(() => server.closeAllConnections(), 10_000);
      forced.unref();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      clearTimeout(forced);
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

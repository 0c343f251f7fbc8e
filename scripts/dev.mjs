// `npm run dev`: the same server with Vite's dev middleware (hot reload) in front of the routes.
import { createServer } from "vite";

process.env.NODE_ENV ??= "development";
// Without a mail server, invitation and reset links also go to the log: handy here, never in production.
process.env.LOG_MAIL_LINKS ??= "true";
const vite = await createServer({ server: { middlewareMode: true }, appType: "custom" });
const { startServer, stopOnSignals } = await vite.ssrLoadModule("/app/server/http/server.server.ts");
const running = await startServer({
  getBuild: () => vite.ssrLoadModule("virtual:remix/server-build"),
  devMiddleware: vite.middlewares,
});
stopOnSignals(running);

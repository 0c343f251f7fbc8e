import type { AppLoadContext, EntryContext } from "@remix-run/node";
import { isRouteErrorResponse, RemixServer } from "@remix-run/react";
import { renderToString } from "react-dom/server";
import { NonceContext } from "./components/nonce";

// The process entry (scripts/start.mjs) starts the server through the built bundle, so that the
// server and the routes share one copy of every module.
export { createHttpApp, startServer, stopOnSignals } from "./server/http/server.server";
export { createAppContextFromDatabase } from "./server/context.server";

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  // The pages defer nothing, so a whole document is rendered at once and sent as one body.
  // Not React 18's streaming renderer: it cuts its output into fixed-size buffers and can split a
  // multi-byte character at a buffer's edge, leaving NUL bytes inside Japanese words (react issue
  // 31134). A string has whole characters; Node encodes it once.
  const nonce = loadContext.nonce;
  const html = renderToString(
    <NonceContext.Provider value={nonce}>
      <RemixServer context={remixContext} url={request.url} nonce={nonce} />
    </NonceContext.Provider>,
  );
  responseHeaders.set("Content-Type", "text/html; charset=utf-8");
  return new Response(`<!DOCTYPE html>${html}`, { headers: responseHeaders, status: responseStatusCode });
}

export function handleError(error: unknown, { request, context }: { request: Request; context: AppLoadContext }) {
  if (request.signal.aborted) return;
  const fields = { requestId: context.requestId, path: new URL(request.url).pathname };
  // A page that does not exist is the sender's business, not an error of ours (a 403 is logged
  // as "forbidden" with the request).
  if (isRouteErrorResponse(error) && error.status < 500) {
    if (error.status !== 403) {
      context.app?.log.info(error.status === 404 ? "not found" : "request refused", {
        ...fields,
        status: error.status,
      });
    }
    return;
  }
  context.app?.log.error("route error", { ...fields, error });
}

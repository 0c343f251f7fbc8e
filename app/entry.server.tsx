import type { AppLoadContext, EntryContext } from "@remix-run/node";
import { isRouteErrorResponse, RemixServer } from "@remix-run/react";
import { renderToReadableStream } from "react-dom/server.browser";
import { NonceContext } from "./components/nonce";

// The process entry (scripts/start.mjs) starts the server through the built bundle, so that the
// server and the routes share one copy of every module.
export { createHttpApp, KEEP_ALIVE_TIMEOUT_MS, startServer, stopOnSignals } from "./server/http/server.server";
export { createAppContextFromDatabase } from "./server/context.server";

export default async function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  // The web-streams renderer, not Node's: React 18.3's Node renderer encodes into fixed 2 KiB
  // buffers and, when a multi-byte character does not fit, sends the buffer's unwritten bytes as
  // NULs inside Japanese words (react issue 31134); this one encodes whole strings. Not
  // renderToString either: the loader data the browser needs to hydrate comes in the <Scripts>'
  // suspended stream, which renderToString leaves out, and no page then hydrates.
  const nonce = loadContext.nonce;
  let status = responseStatusCode;
  // An error before the shell is drawn rejects the render, and Remix reports it (handleError).
  let shellReady = false;
  const body = await renderToReadableStream(
    <NonceContext.Provider value={nonce}>
      <RemixServer context={remixContext} url={request.url} nonce={nonce} />
    </NonceContext.Provider>,
    {
      nonce,
      signal: request.signal,
      onError(error) {
        status = 500;
        if (!shellReady || request.signal.aborted) return;
        const path = new URL(request.url).pathname;
        loadContext.app?.log.error("render error", { requestId: loadContext.requestId, path, error });
      },
    },
  );
  shellReady = true;
  // The pages defer nothing: the whole document is ready before its first byte, so a render error
  // still gets its status.
  await body.allReady;
  responseHeaders.set("Content-Type", "text/html; charset=utf-8");
  // Sent in one piece: the renderer hands out the document in 512-byte chunks, and the response
  // writer flushes each (exports must reach the client as they go), so gzip compressed each chunk
  // on its own: /courses went out as 10,478 bytes instead of 5,848.
  const html = await new Response(body).arrayBuffer();
  return new Response(html, { headers: responseHeaders, status });
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

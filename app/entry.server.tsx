import { Writable } from "node:stream";
import type { AppLoadContext, EntryContext } from "@remix-run/node";
import { isRouteErrorResponse, RemixServer } from "@remix-run/react";
import { renderToPipeableStream } from "react-dom/server";
import { NonceContext } from "./components/nonce";

// The process entry (scripts/start.mjs) starts the server through the built bundle, so that the
// server and the routes share one copy of every module.
export { createHttpApp, startServer, stopOnSignals } from "./server/http/server.server";
export { createAppContextFromDatabase } from "./server/context.server";

const ABORT_DELAY = 5_000;

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  // The pages defer nothing, so streaming gains nothing: the whole document is gathered and goes
  // out as one body, which measured markedly faster than React's many small chunks passed one by
  // one through web streams and compression.
  const nonce = loadContext.nonce;
  return new Promise((resolve, reject) => {
    let shellRendered = false;
    const chunks: Buffer[] = [];
    const document = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
      final(done) {
        clearTimeout(timer);
        responseHeaders.set("Content-Type", "text/html; charset=utf-8");
        resolve(new Response(Buffer.concat(chunks), { headers: responseHeaders, status: responseStatusCode }));
        done();
      },
    });
    const { pipe, abort } = renderToPipeableStream(
      <NonceContext.Provider value={nonce}>
        <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} nonce={nonce} />
      </NonceContext.Provider>,
      {
        nonce,
        onAllReady() {
          shellRendered = true;
          pipe(document);
        },
        onShellError(error: unknown) {
          reject(error);
        },
        onError(error: unknown) {
          responseStatusCode = 500;
          if (shellRendered) loadContext.app.log.error("render error", { requestId: loadContext.requestId, error });
        },
      },
    );
    const timer = setTimeout(abort, ABORT_DELAY);
  });
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

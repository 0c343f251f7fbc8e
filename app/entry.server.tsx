import type { AppLoadContext, EntryContext } from "@remix-run/node";
import { isRouteErrorResponse, RemixServer } from "@remix-run/react";
import { Writable } from "node:stream";
import { renderToPipeableStream } from "react-dom/server";
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
  const nonce = loadContext.nonce;
  let status = responseStatusCode;
  // An error before the shell is drawn rejects the render, and Remix reports it (handleError).
  let shellReady = false;
  const html = await new Promise<Uint8Array<ArrayBuffer>>((resolve, reject) => {
    const render = renderToPipeableStream(
      <NonceContext.Provider value={nonce}>
        <RemixServer context={remixContext} url={request.url} nonce={nonce} />
      </NonceContext.Provider>,
      {
        nonce,
        onShellReady() {
          shellReady = true;
        },
        onShellError: reject,
        // The pages defer nothing: the whole document is ready before its first byte, so a render
        // error still gets its status.
        onAllReady() {
          render.pipe(wholeDocument(resolve));
        },
        onError(error) {
          status = 500;
          if (!shellReady || request.signal.aborted) return;
          const path = new URL(request.url).pathname;
          loadContext.app?.log.error("render error", { requestId: loadContext.requestId, path, error });
        },
      },
    );
    request.signal.addEventListener("abort", () => render.abort(request.signal.reason), { once: true });
  });
  responseHeaders.set("Content-Type", "text/html; charset=utf-8");
  return new Response(html, { headers: responseHeaders, status });
}

// React 18.3's Node renderer encodes the page into 2 KiB views. When a multi-byte character does
// not fit at a view's end, it sends the whole view anyway, the bytes it did not write as NULs
// inside Japanese words (react issue 31134; fixed upstream after 18.3). Views start zeroed and are
// written front to back, so such a view is a full one that ends in zero bytes; a page never holds
// a NUL of its own (Postgres text cannot, and HTML forbids it), so the zeros at the end of a full
// view are cut off. tests/integration/page-bytes.test.ts renders every page in both languages and
// fails on a NUL or U+FFFD.
const VIEW_SIZE = 2048;

/**
 * A sink for the rendered page that hands it over whole: sent in one piece, it is compressed in
 * one piece (the response writer flushes each chunk it is given, as a streamed export needs).
 */
function wholeDocument(done: (html: Uint8Array<ArrayBuffer>) => void) {
  const chunks: Uint8Array[] = [];
  let size = 0;
  return new Writable({
    write(chunk: Uint8Array, _encoding, next) {
      let end = chunk.length;
      if (end === VIEW_SIZE) while (end > 0 && chunk[end - 1] === 0) end--;
      chunks.push(chunk.subarray(0, end));
      size += end;
      next();
    },
    final(next) {
      const html = new Uint8Array(size);
      let at = 0;
      for (const chunk of chunks) {
        html.set(chunk, at);
        at += chunk.length;
      }
      done(html);
      next();
    },
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

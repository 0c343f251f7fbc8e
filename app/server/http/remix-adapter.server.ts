// Express to Remix and back, in place of @remix-run/express: the body arrives already read (and
// capped, body.server.ts), the request's address is the public one, and a response that depends on
// a session is never stored by a cache.
import { createRequestHandler, type AppLoadContext, type ServerBuild } from "@remix-run/node";
import type { Request as ExpressRequest, Response as ExpressResponse } from "express";
import type { RequestContext } from "../context.server";
import { scopedRetryAt } from "../shared/security-events.server";
import { retryAfter } from "./guards.server";

export type RemixHandler = (
  req: ExpressRequest,
  res: ExpressResponse,
  context: RequestContext,
  body: Buffer | null,
) => Promise<void>;

export function createRemixHandler(build: ServerBuild, mode: string, publicUrl: string): RemixHandler {
  const handle = createRequestHandler(build, mode);
  const origin = new URL(publicUrl).origin;
  return async (req, res, context, body) => {
    const controller = new AbortController();
    // Loaders and actions stop when the answer can no longer be sent.
    res.on("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    const request = new Request(origin + req.originalUrl, {
      method: req.method,
      headers: remixHeaders(req.headers),
      body: body && req.method !== "GET" && req.method !== "HEAD" ? new Uint8Array(body) : null,
      signal: controller.signal,
    });
    const response = await handle(request, context as AppLoadContext);
    await send(res, response, context);
  };
}

function remixHeaders(incoming: ExpressRequest["headers"]): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    // The cross-site check (security.server.ts) has vetted Origin against the public address.
    // Remix would check it again against Host, which a proxy may rewrite, and fail every form.
    if (name === "origin" || value === undefined) continue;
    for (const one of [value].flat()) headers.append(name, one);
  }
  return headers;
}

async function send(res: ExpressResponse, response: Response, context: RequestContext) {
  res.statusMessage = response.statusText;
  res.status(response.status);
  for (const [name, value] of response.headers.entries()) res.append(name, value);
  // A 429 always says when to come back: the throttle that refused the request noted the moment.
  const retryAt = response.status === 429 && !res.hasHeader("retry-after") ? scopedRetryAt() : undefined;
  if (retryAt) res.setHeader("Retry-After", retryAfter(retryAt));
  // Whatever a signed-in person sees (the Outbox's live links among it), and every response that
  // sets or clears a session cookie, stays out of caches (ASVS 14.3.2).
  if (context.user || context.sessionToken || res.hasHeader("set-cookie")) {
    res.setHeader("Cache-Control", "no-store");
  } else {
    res.append("Vary", "Cookie");
  }
  if (response.body) await writeBody(response.body, res);
  else res.end();
}

/**
 * Writes a body as fast as the client takes it. Remix's own helper writes every chunk at once
 * whatever the socket holds, so a large streamed export from a slow client would pile up in
 * memory; here a full socket stops the reading until it drains, and a client that goes away
 * cancels the stream (which stops its queries).
 */
export async function writeBody(body: ReadableStream<Uint8Array>, res: ExpressResponse) {
  const reader = body.getReader();
  const flushable = res as unknown as { flush?: () => void };
  let closed = false;
  let wake: (() => void) | null = null;
  const resume = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  // One drain listener for the whole body, never one per wait: the compression layer hands 'drain'
  // listeners to its gzip stream, where `once` cannot remove them again (it removes from the
  // response), so a listener per wait piled up there for as long as the export ran.
  res.on("drain", resume);
  res.once("close", () => {
    closed = true;
    resume();
  });
  try {
    for (;;) {
      if (closed) {
        await reader.cancel();
        return;
      }
      const { done, value } = await reader.read();
      if (done) {
        res.end();
        return;
      }
      const roomForMore = res.write(value);
      // The compression layer holds bytes back until flushed: a stream should reach the client as it goes.
      flushable.flush?.();
      if (!roomForMore && !closed) await new Promise<void>((resolve) => (wake = resolve));
    }
  } catch (error) {
    res.destroy(error as Error);
    throw error;
  } finally {
    res.removeListener("drain", resume);
  }
}

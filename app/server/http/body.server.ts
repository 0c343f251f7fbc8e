// Request bodies, read here before any route sees them: at most FORM_LIMITS, refused before they
// are parsed, and always read to the end, so that an action that never looks at its body does not
// leave the rest of it in the connection.
import type { IncomingMessage, ServerResponse } from "node:http";

export interface BodyLimits {
  /** Bytes, as sent (before any parsing). */
  maxBytes: number;
  /** Fields of a urlencoded or multipart form. */
  maxFields: number;
}

/** The site's forms are small; the one file upload has a limit of its own (UPLOAD_LIMITS). */
export const FORM_LIMITS: BodyLimits = { maxBytes: 64 * 1024, maxFields: 200 };

/**
 * The CSV upload of bulk invitations (POST /training/invite): a file of at most 1 MiB
 * (IMPORT_MAX_BYTES, checked again on the file itself) and the multipart envelope around it.
 */
export const UPLOAD_LIMITS: BodyLimits = { maxBytes: 1024 * 1024 + 16 * 1024, maxFields: 4 };
const UPLOAD_PATHS: ReadonlySet<string> = new Set(["/training/invite"]);

/** The limits of a request's body: larger for the upload route only, the forms' everywhere else. */
export function bodyLimitsFor(path: string): BodyLimits {
  return UPLOAD_PATHS.has(path) ? UPLOAD_LIMITS : FORM_LIMITS;
}

export type BodyResult =
  | { ok: true; body: Buffer }
  | { ok: false; reason: "too_large" | "too_many_fields" }
  | { ok: false; reason: "aborted" };

/** Reads the whole body, or stops as soon as it is known to be over the limits. */
export function readBody(req: IncomingMessage, limits: BodyLimits): Promise<BodyResult> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    return Promise.resolve({ ok: false, reason: "too_large" });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: BodyResult) => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      resolve(result);
    };
    // Past the limit the rest is discarded as it arrives, never kept.
    req.on("data", (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > limits.maxBytes) return settle({ ok: false, reason: "too_large" });
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (settled) return;
      const body = Buffer.concat(chunks, size);
      if (countFields(req.headers["content-type"], body) > limits.maxFields) {
        return settle({ ok: false, reason: "too_many_fields" });
      }
      settle({ ok: true, body });
    });
    req.on("error", () => settle({ ok: false, reason: "aborted" }));
    req.on("close", () => {
      if (!req.complete) settle({ ok: false, reason: "aborted" });
    });
  });
}

/** How many fields a form body holds, counted without parsing it; 0 for other content. */
export function countFields(contentType: string | undefined, body: Buffer): number {
  const type = contentType?.split(";")[0]?.trim().toLowerCase();
  if (type === "application/x-www-form-urlencoded") {
    let fields = 0;
    let start = 0;
    for (let i = 0; i <= body.length; i++) {
      if (i === body.length || body[i] === 0x26 /* & */) {
        if (i > start) fields++;
        start = i + 1;
      }
    }
    return fields;
  }
  if (type === "multipart/form-data") {
    const boundary = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? "");
    const delimiter = boundary ? `--${boundary[1] ?? boundary[2]}` : null;
    if (!delimiter) return 0;
    let parts = -1; // the closing delimiter ends the last part
    for (let at = body.indexOf(delimiter); at !== -1; at = body.indexOf(delimiter, at + delimiter.length)) parts++;
    return Math.max(parts, 0);
  }
  return 0;
}

const LINGER_MS = 2_000;

/**
 * For an answer sent before the request's body was read (a refusal): the connection closes after
 * it, so that the unread rest is never taken for the next request. What the client is still
 * sending is discarded for a moment first, so that it can read the answer instead of a reset.
 */
export function closeAfterAnswer(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete) return;
  res.setHeader("Connection", "close");
  res.once("finish", () => {
    req.resume();
    const timer = setTimeout(() => req.socket.destroy(), LINGER_MS);
    timer.unref();
    req.socket.once("close", () => clearTimeout(timer));
  });
}

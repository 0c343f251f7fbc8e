// Security headers and the cross-site request check, applied to every response and request.
import { randomBytes } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import { closeAfterAnswer } from "./body.server";

export function newNonce(): string {
  return randomBytes(16).toString("base64");
}

export function contentSecurityPolicy(nonce: string, dev: boolean): string {
  const script = dev ? "'self' 'unsafe-inline'" : `'self' 'nonce-${nonce}'`;
  return [
    "default-src 'self'",
    `script-src ${script}`,
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self'${dev ? " ws:" : ""}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function securityHeaders(dev: boolean) {
  return (req: Request, res: Response, next: NextFunction) => {
    const nonce = newNonce();
    res.locals.nonce = nonce;
    res.setHeader("Content-Security-Policy", contentSecurityPolicy(nonce, dev));
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("X-Frame-Options", "DENY");
    res.setHeader("Referrer-Policy", "same-origin");
    res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
    res.setHeader("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()");
    if (req.secure) res.setHeader("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    next();
  };
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface CrossSiteOptions {
  publicUrl: string;
  /** Behind a proxy that sets X-Forwarded-Host and X-Forwarded-Proto (TRUST_PROXY). */
  trustProxy: boolean;
}

/**
 * Refuses state-changing requests whose Origin (or, failing that, Referer) is not this site.
 * Together with SameSite=Lax cookies this closes cross-site request forgery.
 *
 * "This site" is PUBLIC_URL's origin. The Host header alone never counts: a proxy may rewrite it,
 * and a name of an attacker's that resolves to this server (DNS rebinding) would match it. Behind a
 * trusted proxy the address the proxy was asked for (X-Forwarded-Proto and -Host) counts too.
 */
export function sameOriginOnly(options: CrossSiteOptions) {
  const configured = new URL(options.publicUrl).origin;
  return (req: Request, res: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const origin = req.get("origin");
    const claimed = origin !== undefined ? originOf(origin) : originOf(req.get("referer"));
    if (claimed && (claimed === configured || (options.trustProxy && claimed === forwardedOrigin(req)))) {
      return next();
    }
    // For the request log's "forbidden" line.
    res.locals.refusal = { reason: "cross-site", origin: (origin ?? req.get("referer") ?? "").slice(0, 200) };
    closeAfterAnswer(req, res);
    res.status(403).type("text/plain").send("Cross-site request refused / クロスサイトリクエストは拒否されました");
  };
}

/** The origin the client asked the proxy for: Express reads X-Forwarded-Proto into req.protocol. */
function forwardedOrigin(req: Request): string | undefined {
  const host = req.get("x-forwarded-host")?.split(",")[0]?.trim() || req.get("host");
  return host ? originOf(`${req.protocol}://${host}`) : undefined;
}

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const origin = new URL(url).origin;
    return origin === "null" ? undefined : origin;
  } catch {
    return undefined;
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The parts of an incoming request the strategy reads. Express's `Request` fits it,
 * as does any Node request with the same fields added by middleware.
 */
export interface OktaRequest extends IncomingMessage {
  /** Parsed query string (Express). */
  query?: unknown;
  /** Parsed body: needed for `responseMode: 'form_post'` (`express.urlencoded()`). */
  body?: unknown;
  /** The session (express-session), where the default store keeps pending logins. */
  session?: object | undefined;
  /** `http` or `https`, honouring Express's `trust proxy` setting. */
  protocol?: string;
  /** The response, which Express links to its request. */
  res?: ServerResponse | undefined;
}

/**
 * The request's protocol and host: `X-Forwarded-Proto`/`-Host` (first values) when
 * `trustProxy`, else `req.protocol` (Express's, which honours its `trust proxy`) or the
 * socket, and the `Host` header.
 */
export function requestOrigin(req: OktaRequest, trustProxy = false): { protocol: string; host: string | undefined } {
  const forwarded = (name: string): string | undefined => {
    const value = trustProxy ? req.headers[name] : undefined;
    const first = (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim();
    return first || undefined;
  };
  const protocol =
    forwarded('x-forwarded-proto') ??
    req.protocol ??
    ((req.socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http');
  return { protocol, host: forwarded('x-forwarded-host') ?? req.headers.host };
}

/** Resolves a path against the request's origin (see {@link requestOrigin}). */
export function absoluteURL(req: OktaRequest, pathOrURL: string, trustProxy = false): string {
  if (URL.canParse(pathOrURL)) return pathOrURL;
  const { protocol, host } = requestOrigin(req, trustProxy);
  return new URL(pathOrURL, `${protocol}://${host ?? 'localhost'}`).toString();
}

/** The path of the request as the app received it (before any router mount point was stripped). */
export function requestPath(req: OktaRequest): string {
  const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
  return new URL(url, 'http://x').pathname;
}

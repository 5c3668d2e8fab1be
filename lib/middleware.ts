import type { ServerResponse } from 'node:http';
import type { OktaClient } from './client.js';
import type { OktaRequest } from './request.js';

/** An Express-style middleware, typed without depending on Express's types. */
export type Middleware<Req extends OktaRequest = OktaRequest> = (
  req: Req,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

/** Something that has an Okta client: an `OktaClient`, or an `OktaStrategy` (its `client`). */
export type HasOktaClient = OktaClient | { client: OktaClient };

export function clientOf(source: HasOktaClient): OktaClient {
  return 'client' in source ? source.client : source;
}

/**
 * A request that may carry Passport's `logout` and a session that can be ended. `logout`
 * takes a callback (Passport 0.6+), returns a promise (@fastify/passport), or returns
 * nothing and is done (Passport 0.5).
 */
export interface SessionRequest extends OktaRequest {
  logout?: ((done: (err?: unknown) => void) => unknown) | (() => unknown) | undefined;
  user?: unknown;
}

/** A session that can end itself: express-session and @fastify/session (`destroy`), @fastify/secure-session (`delete`). */
interface EndableSession {
  destroy?: (done?: (err?: unknown) => void) => unknown;
  delete?: () => unknown;
}

/**
 * Signs the user out of Passport and ends the session, whichever of the two exist, in
 * any of the forms the frameworks give them (callback, promise, or synchronous).
 */
export async function endLocalSession(req: SessionRequest): Promise<void> {
  if (typeof req.logout === 'function') {
    await settle(req, req.logout as (done: (err?: unknown) => void) => unknown);
  }
  const session = req.session as EndableSession | undefined;
  if (session && typeof session.destroy === 'function') {
    await settle(session, session.destroy as (done: (err?: unknown) => void) => unknown);
  } else if (session && typeof session.delete === 'function') {
    await session.delete();
  }
  req.user = undefined;
}

/**
 * Calls `fn` with a callback and waits for whichever way it says it is done: the
 * callback, a returned promise, or (a function that declares no parameter and returns
 * no promise) its return.
 */
function settle(self: object, fn: (done: (err?: unknown) => void) => unknown): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err?: unknown): void => (err ? reject(err as Error) : resolve());
    let result: unknown;
    try {
      result = fn.call(self, done);
    } catch (err) {
      reject(err as Error);
      return;
    }
    if (isThenable(result)) {
      result.then(() => resolve(), reject);
    } else if (fn.length === 0) {
      resolve();
    }
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Runs the asynchronous part of a middleware and then calls `next` at most once:
 * `'next'` calls `next()`, a rejection calls `next(err)`, and `'answered'` (the body sent
 * the response itself) calls nothing. Should `next` throw, the response is ended (500,
 * or the socket destroyed if it had begun) instead of leaving an unhandled rejection,
 * which would end the process.
 */
export function runAsync(res: ServerResponse, next: (err?: unknown) => void, body: () => Promise<'next' | 'answered'>): void {
  body()
    .then(
      (outcome) => {
        if (outcome === 'next') next();
      },
      (err: unknown) => next(err),
    )
    .catch(() => endUnanswered(res));
}

/**
 * Ends a response that an exception left unanswered: 500 if nothing was sent yet, the
 * socket destroyed if the answer had begun; an answer already complete is left alone.
 */
export function endUnanswered(res: ServerResponse): void {
  try {
    if (res.writableEnded) return;
    if (res.headersSent) {
      res.destroy();
    } else {
      res.statusCode = 500;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('Internal Server Error');
    }
  } catch {
    // Nothing more can be done for this response.
  }
}

export function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 302;
  res.setHeader('Location', location);
  res.end();
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

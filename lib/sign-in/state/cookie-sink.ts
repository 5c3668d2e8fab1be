import { subscribe } from 'node:diagnostics_channel';
import { NODE_REQUEST_START } from '../../core/diagnostics.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ConfigurationError } from '../../core/errors.js';
import type { OktaRequest } from '../../passport/request.js';

// Where CookieStateStore writes its Set-Cookie lines, whatever the framework.

/**
 * What the store writes its cookies through: Node's response (Express sets `req.res`;
 * on Fastify, Node's response of `request.raw`, see {@link responseOf}), a Fastify reply
 * (`header()`, which appends Set-Cookie; linked as `request.res` by an app hook), or a
 * response without `appendHeader` (koa-passport's stand-in).
 */
interface CookieSink {
  appendHeader?: (name: string, value: string | readonly string[]) => unknown;
  header?: (name: string, value: string) => unknown;
  getHeader?: (name: string) => number | string | readonly string[] | undefined;
  setHeader?: (name: string, value: readonly string[]) => unknown;
}

/** The Set-Cookie lines written so far to a response that cannot tell them (no getHeader). */
const written = new WeakMap<object, string[]>();

/**
 * Node's response to each request node:http has started to answer, from its public
 * `http.server.request.start` diagnostics channel (one WeakMap entry per request, gone
 * with the request). Fastify links neither its request nor Node's to the reply, and
 * @fastify/passport keeps the reply to itself; this is how the store finds where to
 * write on Fastify without an app hook.
 */
const responses = new WeakMap<object, ServerResponse>();
let watching = false;

export function watchResponses(): void {
  if (watching) return;
  watching = true;
  subscribe(NODE_REQUEST_START, (message) => {
    const { request, response } = message as { request?: IncomingMessage; response?: ServerResponse };
    if (request && response) responses.set(request, response);
  });
}

function isSink(value: unknown): value is CookieSink {
  if (value === null || typeof value !== 'object') return false;
  const sink = value as CookieSink;
  return typeof sink.appendHeader === 'function' || typeof sink.header === 'function' || typeof sink.setHeader === 'function';
}

/**
 * Where the cookies go: `req.res` when the framework (Express, koa-passport) or the app
 * (a Fastify `onRequest` hook) links it; else Node's response to the request, or to
 * `req.raw` (Fastify's request wraps Node's there). Fastify sends what was written to
 * Node's response along with its reply's headers, and @fastify/cookie (used by
 * @fastify/session and @fastify/secure-session) adds its cookies to those already there.
 */
export function responseOf(req: OktaRequest): CookieSink {
  if (isSink(req.res)) return req.res;
  const raw: unknown = (req as { raw?: unknown }).raw;
  const res = (raw !== null && typeof raw === 'object' ? responses.get(raw) : undefined) ?? responses.get(req);
  if (!res) {
    throw new ConfigurationError(
      'CookieStateStore found no response to write its cookies to: it uses req.res (Express, koa-passport) or ' +
        "Node's response to the request (node:http, Fastify); elsewhere link one as req.res",
    );
  }
  return res;
}

export function appendCookie(res: CookieSink, cookie: string): void {
  if (typeof res.appendHeader === 'function') {
    res.appendHeader('Set-Cookie', cookie);
  } else if (typeof res.header === 'function') {
    res.header('Set-Cookie', cookie);
  } else {
    const existing = typeof res.getHeader === 'function' ? res.getHeader('Set-Cookie') : written.get(res);
    const lines = existing === undefined ? [] : Array.isArray(existing) ? [...(existing as string[])] : [String(existing)];
    lines.push(cookie);
    written.set(res, lines);
    // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- isSink lets in no sink without appendHeader, header or setHeader
    res.setHeader!('Set-Cookie', lines);
  }
}

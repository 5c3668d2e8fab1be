import http from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';
import zlib from 'node:zlib';
import { BoundedCache } from './cache.js';
import { events } from './diagnostics.js';
import { traceRequest } from './okta-events.js';
import { OktaError, RequestError, ResponseError } from './errors.js';
import type { AnswerHeaders } from './rate-limit.js';

export type { AnswerHeaders };

/** The subset of the WHATWG `fetch` this package uses; inject your own for proxies. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Answers larger than this are refused: no Okta endpoint sends anything near it. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpSettings {
  /** An injected `fetch`; when absent, requests go over node:http(s) with the global keep-alive agents. */
  fetch: FetchLike | undefined;
  /** Milliseconds for the whole exchange, body included. */
  timeout: number;
}

export interface HttpAnswer {
  status: number;
  headers: AnswerHeaders;
  text: string;
}

/** What the client sends: always a string body (a form) or none. */
export interface OutboundRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

/**
 * Sends one request and reads the whole answer under a deadline and a size cap.
 * `what` names the call in error messages ("token endpoint"); URLs are not put in
 * messages because query strings may carry tokens. `retry`: a second attempt (told on the
 * diagnostics channel).
 */
export function send(
  settings: HttpSettings,
  url: string,
  request: OutboundRequest,
  what: string,
  retry = false,
): Promise<HttpAnswer> {
  const go = (): Promise<HttpAnswer> =>
    settings.fetch
      ? sendWithFetch(settings.fetch, settings.timeout, url, request, what)
      : sendWithNode(settings.timeout, url, request, what);
  return events.oktaRequest.hasSubscribers ? traceRequest(go, url, request.method, what, retry) : go();
}

function timedOut(what: string, timeout: number, cause: unknown): RequestError {
  return new RequestError(`Okta's ${what} did not answer within ${timeout} ms`, { cause, timeout: true });
}

function failed(what: string, err: unknown): OktaError {
  if (err instanceof OktaError) return err;
  return new RequestError(`Request to Okta's ${what} failed: ${describe(err)}`, { cause: err });
}

/**
 * The default transport: node:http(s) over the global agents (keep-alive since Node 19),
 * without WHATWG Request/Response/stream objects or an AbortController per request,
 * which cost Node's fetch about 0.3 ms of CPU per call.
 */
function sendWithNode(timeout: number, url: string, request: OutboundRequest, what: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    let target: Target;
    try {
      target = targetOf(url);
    } catch (err) {
      reject(failed(what, err));
      return;
    }
    const headers = request.headers;
    headers['user-agent'] ??= 'passport-okta-oidc';
    if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
    let settled = false;
    let expired = false;
    const finish: Finish = (err, answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (answer) resolve(answer);
      else reject(expired ? timedOut(what, timeout, err) : failed(what, err));
    };
    const req = target.module.request({ ...target.options, method: request.method, headers });
    const timer = setTimeout(() => {
      expired = true;
      req.destroy(new Error('timed out'));
    }, timeout);
    req.on('error', finish);
    req.on('response', (res) => {
      readAnswer(req, res, what, finish);
    });
    req.end(request.body);
  });
}

/** Settles a request: with its answer, or with why there is none. */
type Finish = (err: unknown, answer?: HttpAnswer) => void;

/** Reads the answer to `req`, decoded and under the size cap, and hands it to `finish`. */
function readAnswer(req: http.ClientRequest, res: http.IncomingMessage, what: string, finish: Finish): void {
  const status = res.statusCode ?? 0;
  const chunks: Buffer[] = [];
  // Settle only once the connection is closed, so that nothing of the answer is still
  // buffered when the caller goes on.
  const abandon = (err: unknown): void => {
    chunks.length = 0;
    const settle = (): void => {
      finish(err);
    };
    if (req.closed) settle();
    else req.once('close', settle);
    req.destroy();
  };
  if (Number(res.headers['content-length']) > MAX_BODY_BYTES) {
    abandon(tooLarge(status, what));
    return;
  }
  // Like fetch, decode a compressed answer; the size cap applies to the decoded bytes.
  const decoder = decoderFor(res.headers['content-encoding']);
  if (decoder === null) {
    abandon(new ResponseError(`Okta's ${what} answered with an unknown content-encoding`, status));
    return;
  }
  const body = decoder ? res.pipe(decoder) : res;
  // pipe() does not forward the answer's own errors to the decoder.
  if (decoder) res.on('error', finish);
  let size = 0;
  body.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      decoder?.destroy();
      abandon(tooLarge(status, what));
      return;
    }
    chunks.push(chunk);
  });
  body.on('error', finish);
  body.on('end', () => {
    finish(undefined, { status, headers: new NodeHeaders(res.headers), text: Buffer.concat(chunks, size).toString('utf8') });
  });
}

/** A decoder for a content-encoding: undefined for none, null for one we do not know. */
function decoderFor(encoding: string | undefined): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | undefined | null {
  switch ((encoding ?? 'identity').trim().toLowerCase()) {
    case 'identity':
    case '':
      return undefined;
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip();
    case 'deflate':
      return zlib.createInflate();
    case 'br':
      return zlib.createBrotliDecompress();
    default:
      return null;
  }
}

interface Target {
  module: typeof http | typeof https;
  options: http.RequestOptions;
}

/** Request options per URL: the client sends to a handful of fixed endpoints. */
const targets = new BoundedCache<string, Target>({ maxEntries: 64 });

function targetOf(url: string): Target {
  let target = targets.get(url);
  if (target === undefined) {
    const parsed = new URL(url);
    target = { module: parsed.protocol === 'https:' ? https : http, options: urlToHttpOptions(parsed) };
    // Bounded, in case an app builds URLs per request (they carry no secrets: query strings are not used).
    targets.set(url, target);
  }
  return target;
}

class NodeHeaders implements AnswerHeaders {
  constructor(private readonly raw: http.IncomingHttpHeaders) {}
  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }
}

async function sendWithFetch(
  fetchImpl: FetchLike,
  timeout: number,
  url: string,
  request: OutboundRequest,
  what: string,
): Promise<HttpAnswer> {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort();
  }, timeout);
  try {
    const response = await fetchImpl(url, { ...request, redirect: 'manual', signal: controller.signal });
    const text = await readCapped(response, what);
    return { status: response.status, headers: response.headers, text };
  } catch (err) {
    if (err instanceof OktaError) throw err;
    if (controller.signal.aborted) throw timedOut(what, timeout, err);
    throw failed(what, err);
  } finally {
    clearTimeout(timer);
  }
}

async function readCapped(response: Response, what: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > MAX_BODY_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(response.status, what);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(response.status, what);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

function tooLarge(status: number, what: string): ResponseError {
  return new ResponseError(`Okta's ${what} sent an answer larger than ${MAX_BODY_BYTES} bytes`, status);
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}

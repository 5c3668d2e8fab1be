import type { Readable } from 'node:stream';
import {
  ConfigurationError,
  KeySetUnavailableError,
  RequestError,
  ResponseError,
  StoreUnavailableError,
} from '../core/errors.js';
import { check } from '../core/options.js';
import type { OktaRequest } from '../passport/request.js';
import { runAsync, type Middleware } from '../passport/response.js';
import { sendAnswer, type OktaAnswer } from './answers.js';
import { toldLogout } from './events.js';

/**
 * A receiver of sign-outs that Okta starts: Express-style middleware for its route, and the
 * same work as an answer ({@link OktaLogoutReceiver.handle}) for frameworks whose responses
 * are not Node's (Koa, Fastify).
 */
export interface OktaLogoutReceiver extends Middleware {
  /**
   * Checks the request, records the revocation, and returns the answer for the app to send.
   * Rejects only on a bug: refusals, an unavailable revocation store or key set are answers.
   */
  handle(req: OktaRequest): Promise<OktaAnswer>;
}

/** Options every receiver that reads a body has. */
export interface ReceiverBodyOptions {
  /** Most bytes of request body read; beyond it the answer is 413. Default 8192. */
  maxBodyBytes?: number | undefined;
  /** Milliseconds to wait for the whole body; beyond it the answer is 408. Default 10000. */
  bodyTimeout?: number | undefined;
  /**
   * Told why a request was answered 5xx (the revocation store or Okta's key set could not be
   * reached), for logs. Never a token or a claim.
   */
  onError?: ((err: unknown) => void) | undefined;
}

/** Options of the receivers that verify a JWT. */
export interface ReceiverJwtOptions extends ReceiverBodyOptions {
  /** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. Default 60. */
  clockTolerance?: number | undefined;
  /** Seconds after its `iat` that a token is still accepted (its `jti` is remembered that long). Default 300. */
  maxTokenAge?: number | undefined;
}

export interface BodySettings {
  maxBodyBytes: number;
  bodyTimeout: number;
  onError: ((err: unknown) => void) | undefined;
}

export interface JwtSettings extends BodySettings {
  clockTolerance: number;
  maxTokenAge: number;
}

export function bodySettings(options: ReceiverBodyOptions): BodySettings {
  const maxBodyBytes = options.maxBodyBytes ?? 8192;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1024) {
    throw new ConfigurationError('maxBodyBytes must be a whole number of bytes >= 1024');
  }
  return {
    maxBodyBytes,
    bodyTimeout: check.milliseconds('bodyTimeout', options.bodyTimeout, 10_000),
    onError: check.fn('onError', options.onError),
  };
}

export function jwtSettings(options: ReceiverJwtOptions): JwtSettings {
  return {
    ...bodySettings(options),
    clockTolerance: check.seconds('clockTolerance', options.clockTolerance, 60),
    maxTokenAge: check.seconds('maxTokenAge', options.maxTokenAge, 300, 'positive'),
  };
}

/** The receiver from its work: the middleware sends the answer on Node's response. */
export function receiver(
  answerTo: (req: OktaRequest) => Promise<OktaAnswer>,
  kind: 'back-channel' | 'front-channel' | 'universal-logout',
): OktaLogoutReceiver {
  const handle = toldLogout(kind, answerTo);
  const middleware: Middleware = (req, res, next) => {
    runAsync(res, next, async () => {
      sendAnswer(res, await handle(req));
      return 'answered';
    });
  };
  return Object.assign(middleware, { handle });
}

/** An answer with no cookies, never cached. */
export function answer(status: number, body = '', headers: Record<string, string> = {}): OktaAnswer {
  return { status, headers: { 'Set-Cookie': [], 'Cache-Control': 'no-store', ...headers }, body };
}

/** A JSON answer: `{"error": ..., "error_description": ...}` as OAuth errors are. */
export function jsonError(status: number, error: string, description: string, headers: Record<string, string> = {}): OktaAnswer {
  const body = JSON.stringify({ error, error_description: description });
  return answer(status, body, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
}

/**
 * Whether `err` says that something the receiver needs is unavailable for now (the revocation
 * store, Okta's key set): the answer is 503 and the sender retries. Anything else is a bug.
 */
export function isOutage(err: unknown): boolean {
  return (
    err instanceof StoreUnavailableError ||
    err instanceof KeySetUnavailableError ||
    err instanceof RequestError ||
    err instanceof ResponseError
  );
}

/** The 503 for an outage, after telling `onError`; `undefined` for anything else (rethrow it). */
export function outageAnswer(
  err: unknown,
  onError: ((err: unknown) => void) | undefined,
  answerWith: () => OktaAnswer,
): OktaAnswer | undefined {
  if (!isOutage(err)) return undefined;
  try {
    onError?.(err);
  } catch {
    // A failing logger must not change the answer.
  }
  return answerWith();
}

/** The JSON 503 of the receivers that take a JWT (the sender may retry); anything but an outage is rethrown. */
export function jsonOutageAnswer(err: unknown, onError: ((err: unknown) => void) | undefined): OktaAnswer {
  const outage = outageAnswer(err, onError, () =>
    jsonError(503, 'temporarily_unavailable', 'The logout could not be recorded now; try again.', { 'Retry-After': '5' }),
  );
  if (outage === undefined) throw err;
  return outage;
}

/** The media type of the request (`application/json`), lower case, without parameters. */
export function mediaType(req: OktaRequest): string {
  const [type = ''] = (req.headers['content-type'] ?? '').split(';');
  return type.trim().toLowerCase();
}

/** A request body: its text, or what a body parser already made of it. */
export type ReceivedBody =
  | { kind: 'text'; text: string }
  | { kind: 'parsed'; value: unknown }
  | { kind: 'too-large' }
  | { kind: 'timeout' }
  | { kind: 'failed' };

/**
 * The body of the request, at most `maxBodyBytes`: the value a body parser left on
 * `req.body` (Express's `express.json()` or `express.urlencoded()`, Fastify's), else read from
 * the request stream. A parser that skipped the request (Express 4 leaves `{}`) does not hide
 * the stream. Never rejects.
 */
export async function readBody(req: OktaRequest, settings: BodySettings): Promise<ReceivedBody> {
  const stream = req as OktaRequest & Readable;
  const unread = typeof stream.on === 'function' && !stream.readableEnded && stream.readable;
  const given: unknown = req.body;
  const skipped = isPlainObject(given) && Object.keys(given).length === 0 && unread;
  if (given !== undefined && given !== null && !skipped) {
    if (typeof given === 'string' || Buffer.isBuffer(given)) {
      const bytes = Buffer.byteLength(given);
      return bytes > settings.maxBodyBytes ? { kind: 'too-large' } : { kind: 'text', text: given.toString() };
    }
    const size = Buffer.byteLength(safeStringify(given));
    return size > settings.maxBodyBytes ? { kind: 'too-large' } : { kind: 'parsed', value: given };
  }
  if (!unread) return { kind: 'text', text: '' };
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > settings.maxBodyBytes) return { kind: 'too-large' };
  return readStream(stream, settings);
}

function readStream(stream: Readable, settings: BodySettings): Promise<ReceivedBody> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: ReceivedBody): void => {
      clearTimeout(timer);
      stream.off('data', onData).off('end', onEnd).off('error', onFailure).off('aborted', onFailure);
      // What is left of a refused body is read and dropped, so that the answer can be sent.
      if (result.kind !== 'text') stream.on('error', () => undefined).resume();
      resolve(result);
    };
    const onData = (chunk: Buffer | string): void => {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      size += bytes.length;
      if (size > settings.maxBodyBytes) {
        finish({ kind: 'too-large' });
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = (): void => {
      finish({ kind: 'text', text: Buffer.concat(chunks).toString('utf8') });
    };
    const onFailure = (): void => {
      finish({ kind: 'failed' });
    };
    const timer = setTimeout(() => {
      finish({ kind: 'timeout' });
    }, settings.bodyTimeout);
    timer.unref();
    stream.on('data', onData).on('end', onEnd).on('error', onFailure).on('aborted', onFailure);
  });
}

/** The answer to a body that could not be read, or undefined when it was. */
export function bodyFailure(body: ReceivedBody, refuse: (status: number, message: string) => OktaAnswer): OktaAnswer | undefined {
  switch (body.kind) {
    case 'too-large':
      return withHeader(refuse(413, 'The request body is too large.'), 'Connection', 'close');
    case 'timeout':
      return withHeader(refuse(408, 'The request body did not arrive in time.'), 'Connection', 'close');
    case 'failed':
      return refuse(400, 'The request body could not be read.');
    default:
      return undefined;
  }
}

function withHeader(answered: OktaAnswer, name: string, value: string): OktaAnswer {
  answered.headers[name] = value;
  return answered;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function safeStringify(value: unknown): string {
  try {
    // undefined for undefined, functions and symbols, whatever its type says.
    const text: unknown = JSON.stringify(value);
    return typeof text === 'string' ? text : '';
  } catch {
    return '';
  }
}

/** A string claim or member: non-empty and at most `max` characters, else undefined. */
export function shortString(value: unknown, max = 1024): string | undefined {
  return typeof value === 'string' && value !== '' && value.length <= max ? value : undefined;
}

/** Whether `url` is absolute https, or http on a loopback host. */
export function isHttpsOrLoopback(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

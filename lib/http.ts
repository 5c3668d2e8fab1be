import { OktaError, RateLimitError, RequestError, ResponseError, TokenError, type RateLimit } from './errors.js';

/** The subset of the WHATWG `fetch` this package uses; inject your own for proxies. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Answers larger than this are refused: no Okta endpoint sends anything near it. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpSettings {
  fetch: FetchLike;
  /** Milliseconds for the whole exchange, body included. */
  timeout: number;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * Sends one request and reads the whole answer under a deadline and a size cap.
 * `what` names the call in error messages ("token endpoint"); URLs are not put in
 * messages because query strings may carry tokens.
 */
export async function send(http: HttpSettings, url: string, init: RequestInit, what: string): Promise<HttpAnswer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), http.timeout);
  try {
    const response = await http.fetch(url, { ...init, redirect: 'manual', signal: controller.signal });
    const text = await readCapped(response, what);
    return { status: response.status, headers: response.headers, text };
  } catch (err) {
    if (err instanceof OktaError) throw err;
    if (controller.signal.aborted) {
      throw new RequestError(`Okta's ${what} did not answer within ${http.timeout} ms`, { cause: err, timeout: true });
    }
    throw new RequestError(`Request to Okta's ${what} failed: ${describe(err)}`, { cause: err });
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

/** Parses a JSON object answer; anything else (HTML, an array, garbage) is a ResponseError. */
export function parseJSONObject(answer: HttpAnswer, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(answer.text);
  } catch {
    throw new ResponseError(`Okta's ${what} answered ${answer.status} with a body that is not JSON`, answer.status);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ResponseError(`Okta's ${what} answered ${answer.status} with JSON that is not an object`, answer.status);
  }
  return value as Record<string, unknown>;
}

/**
 * Turns a non-2xx answer into the right error: 429 → RateLimitError, an OAuth error
 * body → TokenError, anything else → ResponseError. `secrets` are blanked out of the
 * provider's description in case it echoes what we sent.
 */
export function failureFrom(answer: HttpAnswer, what: string, secrets: readonly string[]): OktaError {
  if (answer.status === 429) {
    const rateLimit = readRateLimit(answer.headers);
    const reset = rateLimit.reset ? `; the limit resets at ${rateLimit.reset.toISOString()}` : '';
    return new RateLimitError(`Okta's ${what} is rate limiting this client (429)${reset}`, rateLimit);
  }
  let body: Record<string, unknown> | undefined;
  try {
    body = parseJSONObject(answer, what);
  } catch {
    body = undefined;
  }
  if (body && typeof body.error === 'string' && answer.status >= 400 && answer.status < 500) {
    return new TokenError({
      endpoint: what,
      status: answer.status,
      error: clip(redact(body.error, secrets), 100),
      description: typeof body.error_description === 'string' ? clip(redact(body.error_description, secrets), 500) : undefined,
      uri: typeof body.error_uri === 'string' ? clip(redact(body.error_uri, secrets), 500) : undefined,
    });
  }
  return new ResponseError(`Okta's ${what} answered with unexpected status ${answer.status}`, answer.status);
}

export function readRateLimit(headers: Headers): RateLimit {
  const num = (name: string): number | undefined => {
    const raw = headers.get(name);
    const value = raw === null ? NaN : Number(raw);
    return Number.isFinite(value) ? value : undefined;
  };
  const reset = num('x-rate-limit-reset');
  return {
    limit: num('x-rate-limit-limit'),
    remaining: num('x-rate-limit-remaining'),
    reset: reset === undefined ? undefined : new Date(reset * 1000),
  };
}

/**
 * Removes every occurrence of each secret from text that came from the network, as sent
 * and as a provider echoing a request would show it (URL- or form-encoded, base64).
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    const forms = [
      secret,
      encodeURIComponent(secret),
      new URLSearchParams({ v: secret }).toString().slice(2),
      Buffer.from(secret).toString('base64'),
    ];
    for (const form of forms) if (out.includes(form)) out = out.split(form).join('[redacted]');
  }
  return out;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

import { RateLimitError, ResponseError, TokenError, type OktaError, type OktaErrorBody } from './errors.js';
import type { HttpAnswer } from './http.js';
import { readRateLimit } from './rate-limit.js';

// Reading Okta's answers: a JSON object, or the error a failed answer means.

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
 * body → TokenError, anything else → ResponseError. Okta's own error fields (`errorCode`,
 * `errorSummary`, `errorId`) are kept on whichever it is. `secrets` are blanked out of the
 * provider's texts in case it echoes what we sent; the error classes then keep only their
 * printable characters, clipped. Redaction comes first, on the whole text, so that no
 * part of a secret survives a clip. `now` (epoch ms) is when the answer came, for a
 * `Retry-After` given in seconds.
 */
export function failureFrom(answer: HttpAnswer, what: string, secrets: readonly string[], now: number): OktaError {
  let body: Record<string, unknown> | undefined;
  try {
    body = parseJSONObject(answer, what);
  } catch {
    body = undefined;
  }
  const okta = body === undefined ? {} : oktaErrorBody(body, secrets);
  if (answer.status === 429) {
    const rateLimit = readRateLimit(answer.headers, now);
    const reset = rateLimit.reset ? `; the limit resets at ${rateLimit.reset.toISOString()}` : '';
    return new RateLimitError(`Okta's ${what} is rate limiting this client (429)${reset}`, rateLimit, okta);
  }
  if (body && typeof body.error === 'string' && answer.status >= 400 && answer.status < 500) {
    return new TokenError({
      endpoint: what,
      oktaStatus: answer.status,
      error: redact(body.error, secrets),
      description: typeof body.error_description === 'string' ? redact(body.error_description, secrets) : undefined,
      uri: typeof body.error_uri === 'string' ? redact(body.error_uri, secrets) : undefined,
      ...okta,
    });
  }
  // Okta answers 404 (E0000007 from Okta itself, or a bare 404) for an authorization server it
  // does not have: under another id, or in another org.
  const hint =
    answer.status === 404 ? ': the authServerId or oktaDomain is probably wrong (Okta has no such authorization server)' : '';
  return new ResponseError(`Okta's ${what} answered with unexpected status ${answer.status}${hint}`, answer.status, { okta });
}

/** Okta's own error fields of a body, redacted (their cleaning is the error classes' job). */
function oktaErrorBody(body: Record<string, unknown>, secrets: readonly string[]): OktaErrorBody {
  const okta: OktaErrorBody = {};
  for (const name of ['errorCode', 'errorSummary', 'errorId'] as const) {
    const value = body[name];
    if (typeof value === 'string') okta[name] = redact(value, secrets);
  }
  return okta;
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

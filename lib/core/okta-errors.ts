import { OktaError, type OktaErrorCode } from './error-base.js';

/** RFC 6749 §4.1.2.1 and §5.2: `error` and `error_description` use %x20-21 / %x23-5B / %x5D-7E only. */
const NOT_OAUTH_TEXT = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;
/** The same set without the space: what an `error_uri` may hold. */
const OAUTH_URI = /^https?:\/\/[\x21\x23-\x5B\x5D-\x7E]+$/i;
const MAX_ERROR_CODE = 100;
const MAX_DESCRIPTION = 300;
const MAX_URI = 300;

/**
 * Keeps RFC 6749's printable characters: line breaks and tabs become a space, anything else `?`; then clips.
 * `value` is printed first: from JavaScript, an error's fields may be given as anything.
 */
function oauthText(value: unknown, max: number): string {
  const clean = String(value)
    .replace(/[\r\n\t]+/g, ' ')
    .replace(NOT_OAUTH_TEXT, '?');
  return clean.length > max ? `${clean.slice(0, max - 3)}...` : clean;
}

/** An `error_uri` worth showing: an http(s) URL of RFC 6749 characters, not too long; otherwise none. */
function oauthURI(value: string | undefined): string | undefined {
  return value !== undefined && value.length <= MAX_URI && OAUTH_URI.test(value) ? value : undefined;
}

/**
 * Fields of an OAuth 2.0 error response (RFC 6749 §4.1.2.1 and §5.2). The error classes
 * that take them keep only RFC 6749's printable characters (a line break becomes a space,
 * any other character `?`) and clip them: `error` to 100 characters, `description` to 300;
 * a `uri` that is not such an http(s) URL of at most 300 characters is dropped.
 */
export interface OAuthErrorFields {
  /** The OAuth `error` code, e.g. `access_denied` or `invalid_grant`. */
  error: string;
  /** Okta's `error_description`, if any. */
  description?: string | undefined;
  /** The `error_uri`, if any. */
  uri?: string | undefined;
}

/**
 * The fields of Okta's own error body (`{ errorCode, errorSummary, errorLink, errorId,
 * errorCauses }`), which its OAuth endpoints send instead of an OAuth error for some
 * failures: 404 `E0000007` for an authorization server that does not exist, 401
 * `E0000011`, 429 `E0000047`, 500 `E0000009`. `errorId` is what Okta support asks for. The
 * error classes that take them keep only RFC 6749's printable characters and clip them
 * (`errorCode` and `errorId` to 100 characters, `errorSummary` to 300), like OAuth fields.
 */
export interface OktaErrorBody {
  /** Okta's error code, e.g. `E0000007`. */
  errorCode?: string | undefined;
  /** Okta's one-line explanation, e.g. `Not found: Resource not found: default (AuthorizationServer)`. */
  errorSummary?: string | undefined;
  /** The id of this failure in Okta's logs: give it to Okta support. */
  errorId?: string | undefined;
}

/**
 * Okta redirected back to the callback with an `error` (RFC 6749 §4.1.2.1), for
 * example `access_denied` when the user is not assigned to the application.
 * `status` is 503 for `temporarily_unavailable`, 502 otherwise.
 */
export class AuthorizationError extends OktaError {
  override readonly code = 'ERR_OKTA_AUTHORIZATION';
  override readonly status: number;
  readonly error: string;
  readonly description: string | undefined;
  readonly uri: string | undefined;

  constructor(fields: OAuthErrorFields) {
    const clean = cleanFields(fields);
    super(oauthMessage('Okta refused the authorization request', clean));
    this.error = clean.error;
    this.description = clean.description;
    this.uri = clean.uri;
    this.status = clean.error === 'temporarily_unavailable' ? 503 : 502;
  }
}

/**
 * Okta answered a token, refresh, revoke, PAR or userinfo call with an OAuth error
 * (RFC 6749 §5.2), for example `invalid_grant` (code used or expired) or
 * `invalid_client` (wrong client id or secret). `status` is 502: whatever Okta refused,
 * the browser is not to blame; `oktaStatus` is what Okta answered.
 */
export class TokenError extends OktaError {
  override readonly code = 'ERR_OKTA_TOKEN';
  override readonly status = 502;
  readonly error: string;
  readonly description: string | undefined;
  readonly uri: string | undefined;
  /** HTTP status of Okta's answer, e.g. 400 for `invalid_grant` or 401 for `invalid_client`. */
  readonly oktaStatus: number;
  /** Okta's `errorCode`, when its answer also had Okta's own error fields ({@link OktaErrorBody}). */
  readonly errorCode?: string | undefined;
  /** Okta's `errorSummary`, likewise. */
  readonly errorSummary?: string | undefined;
  /** Okta's `errorId`, likewise: what Okta support asks for. */
  readonly errorId?: string | undefined;

  /**
   * `endpoint` names the call, e.g. `token endpoint`. For `/v1/userinfo`, whose errors come
   * in `WWW-Authenticate` (RFC 6750 §3), the fields are that header's.
   */
  constructor(fields: OAuthErrorFields & OktaErrorBody & { oktaStatus: number; endpoint: string }) {
    const clean = cleanFields(fields);
    const okta = cleanOktaBody(fields);
    super(`${oauthMessage(`Okta's ${fields.endpoint} answered ${fields.oktaStatus}`, clean)}${oktaBodyText(okta)}`);
    this.error = clean.error;
    this.description = clean.description;
    this.uri = clean.uri;
    this.oktaStatus = fields.oktaStatus;
    Object.assign(this, okta);
  }
}

/** Okta's rate-limit headers, sent with every answer and on 429 in particular. */
export interface RateLimit {
  /** `X-Rate-Limit-Limit`: requests allowed in the current window. */
  limit: number | undefined;
  /** `X-Rate-Limit-Remaining`: requests left in the current window. */
  remaining: number | undefined;
  /** When the window resets: `X-Rate-Limit-Reset`, or else `Retry-After` (seconds or an HTTP date). */
  reset: Date | undefined;
}

/**
 * Okta gave an answer that is not what the protocol promises: an unexpected HTTP
 * status (5xx, an HTML error page), a body that is not JSON, a body over the size cap,
 * or JSON missing a required field. `status` is 502; `oktaStatus` is what Okta answered.
 */
export class ResponseError extends OktaError {
  override readonly code: OktaErrorCode = 'ERR_OKTA_RESPONSE';
  override readonly status: number = 502;
  /** HTTP status of Okta's answer. */
  readonly oktaStatus: number;
  /** Okta's `errorCode` when it answered with its own error body ({@link OktaErrorBody}), e.g. `E0000007`. */
  readonly errorCode?: string | undefined;
  /** Okta's `errorSummary`, likewise. */
  readonly errorSummary?: string | undefined;
  /** Okta's `errorId`, likewise: what Okta support asks for. */
  readonly errorId?: string | undefined;

  /**
   * `okta`: the fields of Okta's error body, if it sent one; they are cleaned and kept as
   * properties, and the message says them after `message`.
   */
  constructor(message: string, oktaStatus: number, options?: { cause?: unknown; okta?: OktaErrorBody | undefined }) {
    const okta = cleanOktaBody(options?.okta ?? {});
    super(`${message}${oktaBodyText(okta)}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.oktaStatus = oktaStatus;
    Object.assign(this, okta);
  }
}

/**
 * Okta answered 429 Too Many Requests (`oktaStatus`); `rateLimit.reset` says when to
 * try again. `status` is 503.
 */
export class RateLimitError extends ResponseError {
  override readonly code = 'ERR_OKTA_RATE_LIMITED';
  override readonly status = 503;
  readonly rateLimit: RateLimit;

  /** `okta`: the fields of Okta's `E0000047` body, if it sent one. */
  constructor(message: string, rateLimit: RateLimit, okta?: OktaErrorBody) {
    super(message, 429, { okta });
    this.rateLimit = rateLimit;
  }
}

function cleanFields(fields: OAuthErrorFields): { error: string; description: string | undefined; uri: string | undefined } {
  return {
    error: oauthText(fields.error, MAX_ERROR_CODE),
    description: fields.description === undefined ? undefined : oauthText(fields.description, MAX_DESCRIPTION),
    uri: oauthURI(fields.uri),
  };
}

/** Okta's error fields cleaned as OAuth text; only those present and not empty. */
function cleanOktaBody(body: OktaErrorBody): OktaErrorBody {
  const clean: OktaErrorBody = {};
  if (typeof body.errorCode === 'string' && body.errorCode !== '') clean.errorCode = oauthText(body.errorCode, MAX_ERROR_CODE);
  if (typeof body.errorSummary === 'string' && body.errorSummary !== '') {
    clean.errorSummary = oauthText(body.errorSummary, MAX_DESCRIPTION);
  }
  if (typeof body.errorId === 'string' && body.errorId !== '') clean.errorId = oauthText(body.errorId, MAX_ERROR_CODE);
  return clean;
}

/** ` (E0000007: Not found: ..., errorId oae...)`, or nothing without Okta's fields. */
function oktaBodyText(okta: OktaErrorBody): string {
  const said = [okta.errorCode, okta.errorSummary].filter((part) => part !== undefined).join(': ');
  const parts = [said, okta.errorId === undefined ? '' : `errorId ${okta.errorId}`].filter(Boolean);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

function oauthMessage(prefix: string, fields: OAuthErrorFields): string {
  return `${prefix}: ${fields.error}${fields.description ? ` (${fields.description})` : ''}`;
}

/**
 * Every error this package raises is an {@link OktaError} with a stable string `code`,
 * so callers can `switch (err.code)` instead of matching messages.
 *
 * No message or property ever holds a client secret, token, authorization code or
 * code verifier.
 */
export class OktaError extends Error {
  /** Stable, machine-readable identifier of the failure. */
  readonly code: string = 'ERR_OKTA';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An option given to the strategy or client is missing or invalid. */
export class ConfigurationError extends OktaError {
  override readonly code = 'ERR_OKTA_CONFIGURATION';
}

/** Fields of an OAuth 2.0 error response (RFC 6749 §4.1.2.1 and §5.2). */
export interface OAuthErrorFields {
  /** The OAuth `error` code, e.g. `access_denied` or `invalid_grant`. */
  error: string;
  /** Okta's `error_description`, if any. */
  description?: string | undefined;
  /** The `error_uri`, if any. */
  uri?: string | undefined;
}

/**
 * Okta redirected back to the callback with an `error` (RFC 6749 §4.1.2.1), for
 * example `access_denied` when the user is not assigned to the application.
 */
export class AuthorizationError extends OktaError {
  override readonly code = 'ERR_OKTA_AUTHORIZATION';
  readonly error: string;
  readonly description: string | undefined;
  readonly uri: string | undefined;

  constructor(fields: OAuthErrorFields) {
    super(oauthMessage('Okta refused the authorization request', fields));
    this.error = fields.error;
    this.description = fields.description;
    this.uri = fields.uri;
  }
}

/**
 * Okta answered a token, refresh, revoke or userinfo call with an OAuth error
 * (RFC 6749 §5.2), for example `invalid_grant` (code used or expired) or
 * `invalid_client` (wrong client id or secret).
 */
export class TokenError extends OktaError {
  override readonly code = 'ERR_OKTA_TOKEN';
  readonly error: string;
  readonly description: string | undefined;
  readonly uri: string | undefined;
  /** HTTP status of Okta's answer. */
  readonly status: number;

  constructor(fields: OAuthErrorFields & { status: number; endpoint: string }) {
    super(oauthMessage(`Okta's ${fields.endpoint} endpoint answered ${fields.status}`, fields));
    this.error = fields.error;
    this.description = fields.description;
    this.uri = fields.uri;
    this.status = fields.status;
  }
}

/** Okta's rate-limit headers, sent with every answer and on 429 in particular. */
export interface RateLimit {
  /** `X-Rate-Limit-Limit`: requests allowed in the current window. */
  limit: number | undefined;
  /** `X-Rate-Limit-Remaining`: requests left in the current window. */
  remaining: number | undefined;
  /** `X-Rate-Limit-Reset`: when the window resets. */
  reset: Date | undefined;
}

/**
 * Okta gave an answer that is not what the protocol promises: an unexpected HTTP
 * status (5xx, an HTML error page), a body that is not JSON, a body over the size cap,
 * or JSON missing a required field.
 */
export class ResponseError extends OktaError {
  override readonly code: string = 'ERR_OKTA_RESPONSE';
  /** HTTP status of the answer. */
  readonly status: number;

  constructor(message: string, status: number, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}

/** Okta answered 429 Too Many Requests; `rateLimit.reset` says when to try again. */
export class RateLimitError extends ResponseError {
  override readonly code = 'ERR_OKTA_RATE_LIMITED';
  readonly rateLimit: RateLimit;

  constructor(message: string, rateLimit: RateLimit) {
    super(message, 429);
    this.rateLimit = rateLimit;
  }
}

/**
 * A request to Okta did not complete: the network failed, or there was no answer
 * within the timeout (`timeout` is then `true`). `cause` holds the underlying error.
 */
export class RequestError extends OktaError {
  override readonly code = 'ERR_OKTA_REQUEST';
  readonly timeout: boolean;

  constructor(message: string, options: { cause?: unknown; timeout?: boolean }) {
    super(message, { cause: options.cause });
    this.timeout = options.timeout ?? false;
  }
}

/**
 * The ID token (or a signed answer such as userinfo) was rejected. `claim` names the
 * claim or part that failed (`signature`, `alg`, `iss`, `aud`, `azp`, `exp`, `iat`,
 * `nonce`, `auth_time`, `sub`, `kid`...) and `reason` says why.
 */
export class IdTokenError extends OktaError {
  override readonly code = 'ERR_OKTA_ID_TOKEN';
  readonly claim: string;
  readonly reason: string;

  constructor(claim: string, reason: string, options?: { cause?: unknown }) {
    super(`ID token rejected: ${claim} ${reason}`, options);
    this.claim = claim;
    this.reason = reason;
  }
}

/** The userinfo answer does not belong to the signed-in user (`sub` differs). */
export class UserInfoError extends OktaError {
  override readonly code = 'ERR_OKTA_USERINFO';
}

/**
 * The callback could not be matched to a sign-in that this browser started: missing,
 * unknown, expired, reused or foreign `state`. The strategy turns it into
 * `fail({ message }, 403)`; custom stores may throw it too.
 */
export class StateError extends OktaError {
  override readonly code = 'ERR_OKTA_STATE';
}

function oauthMessage(prefix: string, fields: OAuthErrorFields): string {
  return `${prefix}: ${fields.error}${fields.description ? ` (${fields.description})` : ''}`;
}

import { OktaError } from './error-base.js';

export * from './error-base.js';
export * from './okta-errors.js';

/**
 * Okta's key set (`/v1/keys`) could not be fetched a moment ago and no keys are cached.
 * Rather than ask Okta again for every sign-in, ID token checks fail at once with this
 * error until `retryAt`; the wait doubles with each failure in a row (from
 * `jwksCooldown`, up to 5 minutes), or lasts until Okta's rate limit resets. `cause` is
 * the last failure. `status` is 503.
 */
export class KeySetUnavailableError extends OktaError {
  override readonly code = 'ERR_OKTA_KEYS_UNAVAILABLE';
  override readonly status = 503;
  /** When the key set is asked for again. */
  readonly retryAt: Date;

  constructor(message: string, retryAt: Date, options?: { cause?: unknown }) {
    super(message, options);
    this.retryAt = retryAt;
  }
}

/**
 * {@link keepTokensFresh} did not refresh an expired access token because a refresh must
 * wait until `retryAt`: Okta rate limited this client (429), or the last refreshes of
 * this session failed (5xx, network failure, timeout). No request went to Okta; `cause`
 * is the failure that started the wait. The middleware sets `Retry-After` on the response.
 * `status` is 503.
 */
export class RefreshUnavailableError extends OktaError {
  override readonly code = 'ERR_OKTA_REFRESH_UNAVAILABLE';
  override readonly status = 503;
  /** When a refresh is tried again. */
  readonly retryAt: Date;

  constructor(message: string, retryAt: Date, options?: { cause?: unknown }) {
    super(message, options);
    this.retryAt = retryAt;
  }
}

/**
 * A request to Okta did not complete: the network failed, or there was no answer
 * within the timeout (`timeout` is then `true`). `cause` holds the underlying error.
 * `status` is 504 on a timeout, 502 otherwise.
 */
export class RequestError extends OktaError {
  override readonly code = 'ERR_OKTA_REQUEST';
  override readonly status: number;
  readonly timeout: boolean;

  constructor(message: string, options: { cause?: unknown; timeout?: boolean }) {
    super(message, { cause: options.cause });
    this.timeout = options.timeout ?? false;
    this.status = this.timeout ? 504 : 502;
  }
}

/**
 * The ID token (or a signed answer such as userinfo) was rejected. `claim` names the
 * claim or part that failed (`signature`, `alg`, `iss`, `aud`, `azp`, `exp`, `iat`,
 * `nbf`, `nonce`, `auth_time`, `sub`, `kid`, `key`...) and `reason` says why; for `iss`,
 * it names the issuer received and the one expected, and points at the `issuer` option.
 * Neither the token nor its other claims are kept: no `cause` holds them. `status` is 502.
 */
export class IdTokenError extends OktaError {
  override readonly code = 'ERR_OKTA_ID_TOKEN';
  override readonly status = 502;
  readonly claim: string;
  readonly reason: string;

  constructor(claim: string, reason: string, options?: { cause?: unknown }) {
    super(`ID token rejected: ${claim} ${reason}`, options);
    this.claim = claim;
    this.reason = reason;
  }
}

/**
 * A store the app shares between instances (the DPoP replay store, a revocation store) did
 * not answer in time or failed. Security decisions that need it fail closed: the request
 * is refused with this error rather than accepted unchecked. `cause` is the store's error,
 * if any. `status` is 503.
 */
export class StoreUnavailableError extends OktaError {
  override readonly code = 'ERR_OKTA_STORE_UNAVAILABLE';
  override readonly status = 503;
}

/** The userinfo answer does not belong to the signed-in user (`sub` differs). `status` is 502. */
export class UserInfoError extends OktaError {
  override readonly code = 'ERR_OKTA_USERINFO';
  override readonly status = 502;
}

/**
 * The callback could not be matched to a sign-in that this browser started: missing,
 * unknown, expired, reused or foreign `state`. The strategy turns it into
 * `fail({ message }, 403)`; custom stores may throw it too. `status` is 403.
 */
export class StateError extends OktaError {
  override readonly code = 'ERR_OKTA_STATE';
  override readonly status = 403;
}

/**
 * The Okta org (tenant) of a sign-in is not one the app knows: the strategy's `tenant`
 * resolver found none for the request that starts it (status 400), or no longer knows the
 * tenant a pending sign-in was started with, or returned another one for its callback
 * (status 403). No request went to any Okta org. `cause` is what the resolver threw, if it threw.
 */
export class UnknownTenantError extends OktaError {
  override readonly code = 'ERR_OKTA_UNKNOWN_TENANT';
  override readonly status: number;

  constructor(message: string, status: 400 | 403, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}

/**
 * The error codes of RFC 6750 §3.1 and RFC 9449 §7.1 that a protected resource answers
 * with in `WWW-Authenticate`.
 */
export type BearerErrorCode =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_dpop_proof'
  /** RFC 9470: the token's authentication (`acr`, `auth_time`) does not meet the resource's needs. */
  | 'insufficient_user_authentication';

const STATUS: Record<BearerErrorCode, number> = {
  invalid_request: 400,
  invalid_token: 401,
  invalid_dpop_proof: 401,
  insufficient_scope: 403,
  insufficient_user_authentication: 401,
};

/**
 * An access token, its presentation or its DPoP proof was refused. `error` is the OAuth
 * code sent in `WWW-Authenticate`, `description` its fixed, token-free explanation, and
 * `status` the HTTP status of the answer: 400 for `invalid_request`, 401 for
 * `invalid_token` and `invalid_dpop_proof`, 403 for `insufficient_scope`. Neither the
 * token nor its claims are kept, in the message or in a `cause`.
 */
export class AccessTokenError extends OktaError {
  override readonly code = 'ERR_OKTA_ACCESS_TOKEN';
  override readonly status: number;
  readonly error: BearerErrorCode;
  readonly description: string;

  constructor(error: BearerErrorCode, description: string) {
    super(`Access token refused: ${error} (${description})`);
    this.error = error;
    this.description = description;
    this.status = STATUS[error];
  }
}

/**
 * The in-memory DPoP replay store is full of proofs still inside their time window, so a
 * new proof cannot be recorded and is not accepted (failing closed). Size the store for
 * the request rate times the proof window, or use a shared store. `status` is 503.
 */
export class ReplayStoreFullError extends OktaError {
  override readonly code = 'ERR_OKTA_DPOP_REPLAY_STORE_FULL';
  override readonly status = 503;
}

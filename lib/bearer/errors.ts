import { OktaError } from '../core/errors.js';

/**
 * The error codes of RFC 6750 §3.1 and RFC 9449 §7.1 that a protected resource answers
 * with in `WWW-Authenticate`.
 */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof';

const STATUS: Record<BearerErrorCode, number> = {
  invalid_request: 400,
  invalid_token: 401,
  invalid_dpop_proof: 401,
  insufficient_scope: 403,
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

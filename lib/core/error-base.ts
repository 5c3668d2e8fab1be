/**
 * The `code` of every error this package raises: switch on it rather than on messages.
 * `ERR_OKTA` is the base class's own, for an error with no more precise code.
 */
export type OktaErrorCode =
  | 'ERR_OKTA'
  | 'ERR_OKTA_CONFIGURATION'
  | 'ERR_OKTA_AUTHORIZATION'
  | 'ERR_OKTA_TOKEN'
  | 'ERR_OKTA_RESPONSE'
  | 'ERR_OKTA_RATE_LIMITED'
  | 'ERR_OKTA_KEYS_UNAVAILABLE'
  | 'ERR_OKTA_REFRESH_UNAVAILABLE'
  | 'ERR_OKTA_REQUEST'
  | 'ERR_OKTA_ID_TOKEN'
  | 'ERR_OKTA_STORE_UNAVAILABLE'
  | 'ERR_OKTA_USERINFO'
  | 'ERR_OKTA_STATE'
  | 'ERR_OKTA_UNKNOWN_TENANT'
  | 'ERR_OKTA_ACCESS_TOKEN'
  | 'ERR_OKTA_DPOP_REPLAY_STORE_FULL';

/**
 * Every error this package raises is an {@link OktaError} with a stable string `code`,
 * so callers can `switch (err.code)` instead of matching messages.
 *
 * No message, property or cause ever holds a client secret, token, authorization code,
 * code verifier, or the claims of a token (personal data such as the user's email).
 * Text that comes from Okta or from the callback URL is reduced to RFC 6749's printable
 * characters and clipped, so it cannot forge lines in a log.
 */
export class OktaError extends Error {
  /** Stable, machine-readable identifier of the failure. */
  readonly code: OktaErrorCode = 'ERR_OKTA';
  /**
   * The HTTP status an app should answer the browser with when this error ends the
   * request; Express's default error handler uses it. It is never Okta's own status
   * (see `oktaStatus`): a refusal of the app by Okta is not the browser's fault.
   * 500 here and for {@link ConfigurationError}; 502 when Okta failed or answered
   * something unacceptable; 503 when Okta rate-limits or is unavailable; 504 on a timeout.
   */
  readonly status: number = 500;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An option given to the strategy or client is missing or invalid. */
export class ConfigurationError extends OktaError {
  override readonly code = 'ERR_OKTA_CONFIGURATION';
}

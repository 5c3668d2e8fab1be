import type { IdTokenExpectations } from './id-token.js';
import { ResponseError } from '../core/errors.js';

/**
 * Tokens from Okta's token endpoint, as `validateAuthorizationCode` returns them.
 * See https://developer.okta.com/docs/reference/api/oidc/#token
 */
export interface OktaTokens {
  accessToken: string;
  /** When the access token expires (from `expires_in`). */
  accessTokenExpiresAt: Date;
  /** Present when the `offline_access` scope was granted, otherwise `null`. */
  refreshToken: string | null;
  /** The raw, verified ID token. */
  idToken: string;
  /**
   * The verified ID token's `sub`: the Okta user these tokens belong to. Keep it with the
   * tokens: `keepTokensFresh` refuses a refresh that names another user.
   */
  subject: string;
  /** The verified ID token's `auth_time` (seconds since the epoch), or `null` when it had none. */
  authTime: number | null;
  /** `Bearer`, or `DPoP` for sender-constrained tokens. */
  tokenType: string;
  /** Granted scopes (Okta's `scope` field, or the requested ones when it is absent). */
  scopes: string[];
}

/**
 * Tokens from a refresh: Okta sends a new ID token only when `openid` was asked. Who they
 * belong to is known from the sign-in, not from the refresh: see {@link OktaTokens.subject}.
 */
export interface OktaRefreshedTokens extends Omit<OktaTokens, 'idToken' | 'subject' | 'authTime'> {
  idToken: string | null;
}

/**
 * Reads a successful token response (RFC 6749 §5.1) and checks its fields' types.
 * `idTokenRequired` is true for the authorization code grant with `openid`.
 */
export function readTokenResponse(
  body: Record<string, unknown>,
  options: { status: number; now: number; requestedScopes: readonly string[] },
): OktaRefreshedTokens {
  const bad = (what: string): ResponseError => new ResponseError(`Okta's token endpoint answered with ${what}`, options.status);
  const { access_token, token_type, expires_in, refresh_token, id_token, scope } = body;
  if (typeof access_token !== 'string' || access_token === '') throw bad('no access_token');
  if (typeof token_type !== 'string' || !/^(bearer|dpop)$/i.test(token_type)) {
    throw bad('a token_type other than Bearer or DPoP');
  }
  const seconds = typeof expires_in === 'string' ? Number(expires_in) : expires_in;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) throw bad('no valid expires_in');
  const refreshToken = optionalString(refresh_token, () => bad('a refresh_token that is not a string'));
  const idToken = optionalString(id_token, () => bad('an id_token that is not a string'));
  const scopes = optionalString(scope, () => bad('a scope that is not a string'));
  return {
    accessToken: access_token,
    accessTokenExpiresAt: new Date(options.now + seconds * 1000),
    refreshToken: refreshToken || null,
    idToken: idToken || null,
    tokenType: /^dpop$/i.test(token_type) ? 'DPoP' : 'Bearer',
    scopes: scopes !== undefined ? scopes.split(' ').filter(Boolean) : [...options.requestedScopes],
  };
}

/** A field that is a string when present; otherwise `refuse()` says what is wrong. */
function optionalString(value: unknown, refuse: () => Error): string | undefined {
  if (value !== undefined && typeof value !== 'string') throw refuse();
  return value;
}

/** What the code exchange must check beyond the fixed ID token checks. */
export interface ValidateCodeOptions extends Pick<IdTokenExpectations, 'nonce' | 'maxAge' | 'acrValues'> {
  /** The redirect URI used in the authorization request, if not the client's. */
  redirectURI?: string | undefined;
}

/** Options of `OktaClient.refreshAccessToken`. */
export interface RefreshOptions {
  /** Scopes to ask for (sent as `scope`); default: those of the original grant. */
  scopes?: readonly string[] | undefined;
  /** The `sub` a new ID token must name: the signed-in user's. */
  subject?: string | undefined;
  /** Seconds since the epoch: a new ID token's `auth_time` must be present and not earlier. */
  minAuthTime?: number | undefined;
}

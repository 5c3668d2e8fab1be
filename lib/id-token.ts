import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { IdTokenError, OktaError } from './errors.js';
import type { KeyStore } from './keys.js';

/** Verified claims of an Okta ID token. Okta adds `ver`, `idp`, `amr` and `auth_time`. */
export interface IdTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nbf?: number;
  jti?: string;
  nonce?: string;
  auth_time?: number;
  amr?: string[];
  acr?: string;
  azp?: string;
  name?: string;
  preferred_username?: string;
  email?: string;
  [claim: string]: unknown;
}

export interface IdTokenSettings {
  issuer: string;
  clientId: string;
  algorithms: string[];
  /** Seconds of clock skew tolerated on `exp`, `iat` and `auth_time`. */
  clockTolerance: number;
  now: () => number;
}

/** What one sign-in expects of its ID token, beyond the fixed checks. */
export interface IdTokenExpectations {
  /** The nonce sent in the authorization request; required to match when given. */
  nonce?: string | undefined;
  /** `max_age` sent in the authorization request, in seconds: `auth_time` must fit it. */
  maxAge?: number | undefined;
  /** `acr_values` sent (space-separated): the token's `acr` must be one of them. */
  acrValues?: string | undefined;
  /** The `sub` the token must carry (on refresh: the same user as before). */
  subject?: string | undefined;
}

/**
 * Verifies an ID token as OpenID Connect Core §3.1.3.7 asks: signature against Okta's
 * keys with an allowed algorithm, `iss`, `aud`, `azp`, `exp`, `iat`, then `nonce`,
 * `auth_time` and `sub` when expected.
 */
export async function verifyIdToken(
  idToken: string,
  keys: KeyStore,
  settings: IdTokenSettings,
  expect: IdTokenExpectations = {},
): Promise<IdTokenClaims> {
  const nowSeconds = settings.now() / 1000;
  let payload: JWTPayload;
  try {
    let header: ProtectedHeaderParameters;
    try {
      // Three parts: a JWS. An encrypted (JWE) token has five and cannot be checked.
      if (idToken.split('.').length !== 3) throw new TypeError('not a compact JWS');
      header = decodeProtectedHeader(idToken);
    } catch (err) {
      throw new IdTokenError('token', 'is not a well-formed signed JWT', { cause: err });
    }
    // Okta sends no critical header parameters; jose would report one as "not supported",
    // which reads like an algorithm problem.
    if (header.crit !== undefined) throw new IdTokenError('crit', 'names header parameters this client does not understand');
    if (typeof header.alg !== 'string' || !settings.algorithms.includes(header.alg)) {
      throw new IdTokenError('alg', 'is not an allowed algorithm');
    }
    // The key is resolved here, not by a jose key-set function, so that its import is cached.
    ({ payload } = await jwtVerify(idToken, await keys.getKey(header), {
      issuer: settings.issuer,
      audience: settings.clientId,
      algorithms: settings.algorithms,
      clockTolerance: settings.clockTolerance,
      currentDate: new Date(settings.now()),
      requiredClaims: ['sub', 'iat', 'exp'],
    }));
  } catch (err) {
    throw fromJose(err);
  }
  const claims = payload as IdTokenClaims;
  if (typeof claims.sub !== 'string' || claims.sub === '') throw new IdTokenError('sub', 'is not a non-empty string');
  if (claims.iat > nowSeconds + settings.clockTolerance) throw new IdTokenError('iat', 'is in the future');
  checkAuthorizedParty(claims, settings.clientId);
  if (expect.nonce !== undefined) {
    if (claims.nonce === undefined) throw new IdTokenError('nonce', 'is missing');
    if (claims.nonce !== expect.nonce) throw new IdTokenError('nonce', 'does not match the one sent');
  }
  if (expect.maxAge !== undefined) {
    if (typeof claims.auth_time !== 'number') throw new IdTokenError('auth_time', 'is missing but max_age was asked');
    if (nowSeconds - claims.auth_time > expect.maxAge + settings.clockTolerance) {
      throw new IdTokenError('auth_time', `is older than the max_age of ${expect.maxAge} s`);
    }
  }
  if (expect.acrValues !== undefined) {
    const allowed = expect.acrValues.split(' ').filter(Boolean);
    if (typeof claims.acr !== 'string') throw new IdTokenError('acr', 'is missing but acr_values was asked');
    if (!allowed.includes(claims.acr)) throw new IdTokenError('acr', 'is not one of the requested acr_values');
  }
  if (expect.subject !== undefined && claims.sub !== expect.subject) {
    throw new IdTokenError('sub', 'is not the user the tokens were issued to');
  }
  return claims;
}

function checkAuthorizedParty(claims: IdTokenClaims, clientId: string): void {
  const several = Array.isArray(claims.aud) && claims.aud.length > 1;
  if (claims.azp === undefined) {
    if (several) throw new IdTokenError('azp', 'is missing while the token has several audiences');
    return;
  }
  if (claims.azp !== clientId) throw new IdTokenError('azp', 'is not this client');
}

function fromJose(err: unknown): OktaError {
  if (err instanceof OktaError) return err;
  if (err instanceof joseErrors.JWTExpired) return new IdTokenError('exp', 'has passed: the token expired', { cause: err });
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    const reason = err.reason === 'missing' ? 'is missing' : err.reason === 'check_failed' ? 'does not match' : 'is invalid';
    return new IdTokenError(err.claim, reason, { cause: err });
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new IdTokenError('signature', 'does not verify with the provider key', { cause: err });
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return new IdTokenError('alg', 'is not an allowed algorithm', { cause: err });
  if (err instanceof joseErrors.JWKSNoMatchingKey) {
    return new IdTokenError('kid', 'matches no key in the key set', { cause: err });
  }
  if (err instanceof joseErrors.JOSENotSupported) return new IdTokenError('alg', 'is not supported', { cause: err });
  return new IdTokenError('token', 'is not a well-formed signed JWT', { cause: err });
}

import type { JWTPayload } from 'jose';
import { issuerMismatch } from '../core/endpoints.js';
import { IdTokenError } from '../core/errors.js';
import { JwtRefusal, verifyJwt, type JwtFailure } from '../core/jwt.js';
import type { HttpSettings } from '../core/http.js';
import { MIN_RSA_BITS, type KeyError, type KeyStore, type KeyStoreOptions } from '../core/keys.js';

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
  /** Audiences besides `clientId` that `aud` may name (OpenID Connect Core §3.1.3.7, step 3). */
  trustedAudiences: readonly string[];
  now: () => number;
}

/**
 * How a client checks Okta's JWTs, for the logout receivers of `app/`: its key cache and ID
 * token settings, and what another key set of the same Okta org is fetched with.
 *
 * @internal
 */
export interface ClientJwtContext {
  keys: KeyStore;
  keysURL: string;
  idToken: IdTokenSettings;
  http: HttpSettings;
  keyStore: KeyStoreOptions;
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
  /**
   * Seconds since the epoch: `auth_time` must be present and not earlier than this. On
   * refresh it is the sign-in's `auth_time`, which a refreshed ID token repeats
   * (OpenID Connect Core §12.2); an earlier one names another, older authentication.
   */
  minAuthTime?: number | undefined;
}

/**
 * Verifies an ID token as OpenID Connect Core §3.1.3.7 asks: signature against Okta's
 * keys with an allowed algorithm, `iss`, `aud` (this client, and no audience it does not
 * trust), `azp`, `exp`, `iat`, then `nonce`, `auth_time` and `sub` when expected.
 *
 * Errors name the claim and the reason only (and for `iss`, the issuer received and the one
 * expected, which are public): jose's errors, which hold the whole payload (the user's
 * email, name, nonce...), are never kept as a cause.
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
    ({ payload } = await verifyJwt(idToken, keys, {
      issuer: settings.issuer,
      audience: settings.clientId,
      algorithms: settings.algorithms,
      clockTolerance: settings.clockTolerance,
      now: settings.now,
      requiredClaims: ['sub', 'iat', 'exp'],
    }));
  } catch (err) {
    throw err instanceof JwtRefusal ? idTokenError(err.failure, settings) : err;
  }
  const claims = payload as IdTokenClaims;
  if (typeof claims.sub !== 'string' || claims.sub === '') throw new IdTokenError('sub', 'is not a non-empty string');
  checkAuthorizedParty(claims, settings.clientId);
  checkAudiences(claims, settings);
  checkExpectations(claims, expect, nowSeconds, settings.clockTolerance);
  return claims;
}

/** What this sign-in or refresh expects: its nonce, `max_age`, `acr_values`, user and sign-in time. */
function checkExpectations(claims: IdTokenClaims, expect: IdTokenExpectations, nowSeconds: number, clockTolerance: number): void {
  if (expect.nonce !== undefined) {
    if (claims.nonce === undefined) throw new IdTokenError('nonce', 'is missing');
    if (claims.nonce !== expect.nonce) throw new IdTokenError('nonce', 'does not match the one sent');
  }
  if (expect.maxAge !== undefined) {
    if (typeof claims.auth_time !== 'number') throw new IdTokenError('auth_time', 'is missing but max_age was asked');
    if (nowSeconds - claims.auth_time > expect.maxAge + clockTolerance) {
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
  if (expect.minAuthTime !== undefined) {
    if (typeof claims.auth_time !== 'number') throw new IdTokenError('auth_time', 'is missing but the sign-in had one');
    if (claims.auth_time < expect.minAuthTime) throw new IdTokenError('auth_time', 'is earlier than the sign-in it refreshes');
  }
}

function checkAuthorizedParty(claims: IdTokenClaims, clientId: string): void {
  const several = Array.isArray(claims.aud) && claims.aud.length > 1;
  if (claims.azp === undefined) {
    if (several) throw new IdTokenError('azp', 'is missing while the token has several audiences');
    return;
  }
  if (claims.azp !== clientId) throw new IdTokenError('azp', 'is not this client');
}

/**
 * OpenID Connect Core §3.1.3.7, step 3: the client must reject an ID token that lists an
 * audience it does not trust, even when `azp` names it.
 */
function checkAudiences(claims: IdTokenClaims, settings: IdTokenSettings): void {
  const audiences: unknown[] = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (audiences.some((aud) => aud !== settings.clientId && !settings.trustedAudiences.includes(aud as string))) {
    throw new IdTokenError('aud', 'names an audience this client does not trust (see the trustedAudiences option)');
  }
}

const inTheFuture = (seconds: number, tolerance: number): string =>
  `is ${Math.ceil(seconds)} s in the future, beyond the clockTolerance of ${tolerance} s`;

/**
 * A refusal of the JWT pipeline as an IdTokenError that names the claim and the reason. Time
 * claims say by how much they missed, in seconds; `iss` says which issuer came and which was
 * expected.
 */
function idTokenError(failure: JwtFailure, settings: IdTokenSettings): IdTokenError {
  const tolerance = settings.clockTolerance;
  switch (failure.kind) {
    case 'malformed':
      return new IdTokenError('token', 'is not a well-formed signed JWT');
    case 'crit':
      return new IdTokenError('crit', 'names header parameters this client does not understand');
    case 'alg':
    case 'typ':
      return new IdTokenError('alg', 'is not an allowed algorithm');
    case 'key':
      return keyError(failure.reason);
    case 'signature':
      return new IdTokenError('signature', 'does not verify with the provider key');
    case 'expired':
      return failure.secondsAgo === undefined
        ? new IdTokenError('exp', 'has passed')
        : new IdTokenError('exp', `passed ${failure.secondsAgo} s ago, beyond the clockTolerance of ${tolerance} s`);
    case 'not-yet-valid':
      return new IdTokenError(
        'nbf',
        failure.secondsAhead === undefined ? 'does not match' : inTheFuture(failure.secondsAhead, tolerance),
      );
    case 'issued-in-future':
      return new IdTokenError('iat', inTheFuture(failure.secondsAhead, tolerance));
    case 'issuer':
      return new IdTokenError('iss', issuerMismatch(failure.received, settings.issuer));
    case 'claim':
      return new IdTokenError(failure.claim, CLAIM_REASONS[failure.reason]);
  }
}

const CLAIM_REASONS = { missing: 'is missing', mismatch: 'does not match', invalid: 'is invalid' } as const;

function keyError(reason: KeyError['reason']): IdTokenError {
  switch (reason) {
    case 'unknown-kid':
      return new IdTokenError('kid', 'matches no key in the key set');
    case 'ambiguous-kid':
      return new IdTokenError('kid', 'names several keys of the key set');
    case 'no-kid':
      return new IdTokenError('kid', 'is missing and several keys could match');
    case 'too-small':
      return new IdTokenError('key', `is too small (RSA keys must be ${MIN_RSA_BITS} bits or more)`);
  }
}

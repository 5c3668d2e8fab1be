import {
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import { issuerMismatch } from '../core/endpoints.js';
import { IdTokenError } from '../core/errors.js';
import type { KeyStore } from '../core/keys.js';
import { AccessTokenError } from '../core/errors.js';

/**
 * Verified claims of an Okta access token. Okta names the client `cid` and lists the
 * granted scopes in `scp`; an RFC 9068 token's `client_id` and `scope` are read into them
 * too, so `cid` and `scp` are always set. `uid` is the user's id (absent for client
 * credentials tokens, whose `sub` is the client id). `cnf.jkt` binds a DPoP token to a key.
 */
export interface OktaAccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nbf?: number;
  jti?: string;
  /** The client the token was issued to. */
  cid: string;
  /** The Okta user id, for tokens issued to a user. */
  uid?: string;
  /** The granted scopes. */
  scp: string[];
  ver?: number;
  auth_time?: number;
  /** Confirmation: `jkt` is the RFC 7638 thumbprint of the DPoP key the token is bound to. */
  cnf?: { jkt?: string; [member: string]: unknown };
  [claim: string]: unknown;
}

export interface AccessTokenSettings {
  issuer: string;
  /** The strategy's own copy, never changed: handed to jose as it is. */
  audiences: string[];
  algorithms: string[];
  clockTolerance: number;
  clientIds: readonly string[] | undefined;
  now: () => number;
}

/**
 * `typ` values of an access token: Okta's own (`application/okta-internal-at+jwt`), RFC
 * 9068's (`at+jwt`), and `JWT` (older Okta tokens); none at all is accepted too. Media
 * types may drop `application/` (RFC 7515 §4.1.9) and compare case-insensitively.
 */
const ACCESS_TOKEN_TYPES = new Set(['okta-internal-at+jwt', 'at+jwt', 'jwt']);
/** Claims that only ID tokens carry (OpenID Connect Core §2, §3.1.3.6, §3.3.2.11). */
const ID_TOKEN_ONLY = ['nonce', 'at_hash', 'c_hash'] as const;

const refuse = (description: string): AccessTokenError => new AccessTokenError('invalid_token', description);

/** A token of another issuer: which one, which was expected, and the `issuer` option (both issuers are public). */
export function anotherIssuer(received: unknown, expected: string): AccessTokenError {
  return refuse(`The access token was issued by another authorization server (iss ${issuerMismatch(received, expected)})`);
}

/** Whether the token has the shape of a JWS (three base64url parts, none empty): it can then be verified locally. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

/** What an opaque Okta token (a reference, not a JWT) looks like: base64url characters, no dots. */
export function looksOpaque(token: string): boolean {
  return /^[A-Za-z0-9_-]{8,2048}$/.test(token);
}

/**
 * The local checks a JWT must pass before it is worth asking Okta about (the org
 * authorization server's tokens, or `introspect: 'always'`): a signed JWS (a signature
 * present: `alg: none` has none) with an allowed `alg`, whose payload names this issuer and
 * has not expired. Garbage never becomes a request to Okta.
 *
 * @throws {AccessTokenError} `invalid_token`.
 */
export function precheckJwt(token: string, settings: AccessTokenSettings): void {
  if (!looksLikeJwt(token)) throw refuse('The access token is not a well-formed JWT');
  let header: ProtectedHeaderParameters;
  let payload: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    payload = decodeJwt(token);
  } catch {
    throw refuse('The access token is not a well-formed JWT');
  }
  if (typeof header.alg !== 'string' || !settings.algorithms.includes(header.alg)) {
    throw refuse('The access token is signed with an algorithm that is not allowed');
  }
  if (payload.iss !== settings.issuer) throw anotherIssuer(payload.iss, settings.issuer);
  if (typeof payload.exp === 'number' && payload.exp <= settings.now() / 1000 - settings.clockTolerance) {
    throw refuse('The access token expired');
  }
}

/**
 * Verifies a JWT access token of an Okta custom authorization server: signature by the
 * server's keys with an allowed algorithm, `iss`, `aud` (one of the API's audiences),
 * `exp`, `nbf` and `iat` with the tolerance, then that it is an access token at all
 * ({@link checkAccessTokenProfile}) and, if asked, that `cid` is an allowed client.
 *
 * @throws {AccessTokenError} `invalid_token` for any failed check.
 * @throws {KeySetUnavailableError | ResponseError | RequestError} The key set could not be had.
 */
export async function verifyJwtAccessToken(
  token: string,
  keys: KeyStore,
  settings: AccessTokenSettings,
): Promise<{ claims: OktaAccessTokenClaims; kid: string | undefined }> {
  let header: ProtectedHeaderParameters;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw refuse('The access token is not a well-formed JWT');
  }
  if (header.crit !== undefined) throw refuse('The access token names critical header parameters');
  if (typeof header.alg !== 'string' || !settings.algorithms.includes(header.alg)) {
    throw refuse('The access token is signed with an algorithm that is not allowed');
  }
  if (header.typ !== undefined) {
    const typ = typeof header.typ === 'string' ? header.typ.toLowerCase().replace(/^application\//, '') : '';
    if (!ACCESS_TOKEN_TYPES.has(typ)) throw refuse('The token is not an access token (typ)');
  }
  let payload: JWTPayload;
  try {
    const key = keys.cachedKey(header) ?? (await keys.getKey(header));
    ({ payload } = await jwtVerify(token, key, {
      issuer: settings.issuer,
      audience: settings.audiences,
      algorithms: settings.algorithms,
      clockTolerance: settings.clockTolerance,
      currentDate: new Date(settings.now()),
      requiredClaims: ['iss', 'aud', 'exp', 'iat', 'sub'],
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'iss' && err.reason === 'check_failed') {
      throw anotherIssuer(err.payload.iss, settings.issuer);
    }
    throw fromJose(err);
  }
  if (typeof payload.iat === 'number' && payload.iat > settings.now() / 1000 + settings.clockTolerance) {
    throw refuse('The access token was issued in the future (iat)');
  }
  const claims = checkAccessTokenProfile(payload);
  checkClient(claims, settings.clientIds);
  return { claims, kid: header.kid };
}

/**
 * What makes a JWT an access token rather than an ID token or another JWT signed by the
 * same server (which would pass the signature, `iss` and, with a careless audience, `aud`
 * checks): it must name its client (`cid`, or RFC 9068's `client_id`) and its scopes
 * (`scp`, or RFC 9068's `scope`), and carry none of the ID-token-only claims `nonce`,
 * `at_hash`, `c_hash`. Okta's ID tokens have no `cid` and no `scp`. Returns the claims
 * with `cid` and `scp` filled in.
 */
export function checkAccessTokenProfile(payload: JWTPayload): OktaAccessTokenClaims {
  for (const claim of ID_TOKEN_ONLY) {
    if (payload[claim] !== undefined) throw refuse(`The token is not an access token (it has ${claim})`);
  }
  const cid =
    typeof payload.cid === 'string' ? payload.cid : typeof payload.client_id === 'string' ? payload.client_id : undefined;
  if (cid === undefined || cid === '') throw refuse('The token is not an access token (no cid)');
  const scp = scopesOf(payload);
  if (scp === undefined) throw refuse('The token is not an access token (no scp)');
  if (typeof payload.sub !== 'string' || payload.sub === '') throw refuse('The access token has no sub');
  if (payload.cnf !== undefined && (payload.cnf === null || typeof payload.cnf !== 'object' || Array.isArray(payload.cnf))) {
    throw refuse('The access token has a malformed cnf claim');
  }
  const jkt = (payload.cnf as { jkt?: unknown } | undefined)?.jkt;
  if (jkt !== undefined && (typeof jkt !== 'string' || jkt === ''))
    throw refuse('The access token has a malformed cnf.jkt claim');
  return { ...payload, cid, scp } as OktaAccessTokenClaims;
}

export function checkClient(claims: OktaAccessTokenClaims, clientIds: readonly string[] | undefined): void {
  if (clientIds !== undefined && !clientIds.includes(claims.cid)) {
    throw refuse('The access token was issued to a client this API does not accept (cid)');
  }
}

/** `scp` (Okta: an array; tolerated as a space-separated string) or `scope` (RFC 9068, RFC 7662). */
function scopesOf(payload: Record<string, unknown>): string[] | undefined {
  const value = payload.scp ?? payload.scope;
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (Array.isArray(value) && value.every((s) => typeof s === 'string')) return [...(value as string[])];
  return undefined;
}

/** jose's failure as a token-free `invalid_token`; key set failures (not the token's fault) go through. */
function fromJose(err: unknown): Error {
  if (err instanceof AccessTokenError) return err;
  if (err instanceof IdTokenError) {
    // From the key store: unknown kid, too small a key, ambiguous kid.
    return refuse(
      err.claim === 'key'
        ? 'The access token is signed with a key that is too small'
        : 'The access token is signed with an unknown key',
    );
  }
  if (err instanceof joseErrors.JWTExpired) return refuse('The access token expired');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case 'iss':
        return refuse('The access token was issued by another authorization server (iss)');
      case 'aud':
        return refuse('The access token is not meant for this API (aud)');
      case 'nbf':
        return refuse('The access token is not valid yet (nbf)');
      default:
        return refuse(
          err.reason === 'missing'
            ? `The access token has no ${err.claim} claim`
            : `The access token's ${err.claim} claim is invalid`,
        );
    }
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return refuse('The access token signature is invalid');
  if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported) {
    return refuse('The access token is signed with an algorithm that is not allowed');
  }
  if (err instanceof joseErrors.JOSEError) return refuse('The access token is not a well-formed JWT');
  return err instanceof Error ? err : new Error(String(err));
}

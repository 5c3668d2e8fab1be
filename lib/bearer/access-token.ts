import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { issuerMismatch } from '../core/endpoints.js';
import { AccessTokenError } from '../core/errors.js';
import { JwtRefusal, verifyJwt, type JwtFailure } from '../core/jwt.js';
import type { KeyStore } from '../core/keys.js';

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

/** What an opaque Okta token (a reference, not a JWT) looks like: base64url characters, no dots. */
export function looksOpaque(token: string): boolean {
  return /^[A-Za-z0-9_-]{8,2048}$/.test(token);
}

/**
 * The local checks a JWT must pass before it is worth asking Okta about (the org
 * authorization server's tokens, or `introspect: 'always'`): a signed JWS (three parts, none
 * empty, as the caller found it: `alg: none` has no signature) with an allowed `alg`, whose
 * payload names this issuer and has not expired. Garbage never becomes a request to Okta.
 *
 * @throws {AccessTokenError} `invalid_token`.
 */
export function precheckJwt(token: string, settings: AccessTokenSettings): void {
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
  let verified: Awaited<ReturnType<typeof verifyJwt>>;
  try {
    verified = await verifyJwt(token, keys, {
      issuer: settings.issuer,
      audience: settings.audiences,
      algorithms: settings.algorithms,
      clockTolerance: settings.clockTolerance,
      now: settings.now,
      requiredClaims: ['iss', 'aud', 'exp', 'iat', 'sub'],
      types: ACCESS_TOKEN_TYPES,
    });
  } catch (err) {
    throw err instanceof JwtRefusal ? accessTokenError(err.failure, settings.issuer) : err;
  }
  const claims = checkAccessTokenProfile(verified.payload);
  checkClient(claims, settings.clientIds);
  return { claims, kid: verified.header.kid };
}

/**
 * What makes a JWT an access token rather than an ID token or another JWT signed by the
 * same server (which would pass the signature, `iss` and, with a careless audience, `aud`
 * checks): it must name its client (`cid`, or RFC 9068's `client_id`) and its scopes
 * (`scp`, or RFC 9068's `scope`), and carry none of the ID-token-only claims `nonce`,
 * `at_hash`, `c_hash`. Okta's ID tokens have no `cid` and no `scp`. Fills in `cid` and
 * `scp` of `payload` itself (a payload just parsed, which nothing else holds: not copied) and
 * returns it.
 */
export function checkAccessTokenProfile(payload: Record<string, unknown>): OktaAccessTokenClaims {
  for (const claim of ID_TOKEN_ONLY) {
    if (payload[claim] !== undefined) throw refuse(`The token is not an access token (it has ${claim})`);
  }
  const cid =
    typeof payload.cid === 'string' ? payload.cid : typeof payload.client_id === 'string' ? payload.client_id : undefined;
  if (cid === undefined || cid === '') throw refuse('The token is not an access token (no cid)');
  const scp = scopesOf(payload);
  if (scp === undefined) throw refuse('The token is not an access token (no scp)');
  if (typeof payload.sub !== 'string' || payload.sub === '') throw refuse('The access token has no sub');
  checkConfirmation(payload.cnf);
  const claims = payload as OktaAccessTokenClaims;
  claims.cid = cid;
  claims.scp = scp;
  return claims;
}

/** `cnf` (RFC 7800), when there: an object, whose `jkt` (RFC 9449), when there, is a non-empty string. */
function checkConfirmation(cnf: unknown): void {
  if (cnf === undefined) return;
  if (cnf === null || typeof cnf !== 'object' || Array.isArray(cnf)) throw refuse('The access token has a malformed cnf claim');
  const jkt = (cnf as { jkt?: unknown }).jkt;
  if (jkt !== undefined && (typeof jkt !== 'string' || jkt === ''))
    throw refuse('The access token has a malformed cnf.jkt claim');
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
  if (Array.isArray(value) && value.every((s) => typeof s === 'string')) return value;
  return undefined;
}

/** A refusal of the JWT pipeline as a token-free `invalid_token`. */
function accessTokenError(failure: JwtFailure, issuer: string): AccessTokenError {
  switch (failure.kind) {
    case 'malformed':
      return refuse('The access token is not a well-formed JWT');
    case 'crit':
      return refuse('The access token names critical header parameters');
    case 'alg':
      return refuse('The access token is signed with an algorithm that is not allowed');
    case 'typ':
      return refuse('The token is not an access token (typ)');
    case 'key':
      return refuse(
        failure.reason === 'too-small'
          ? 'The access token is signed with a key that is too small'
          : 'The access token is signed with an unknown key',
      );
    case 'signature':
      return refuse('The access token signature is invalid');
    case 'expired':
      return refuse('The access token expired');
    case 'not-yet-valid':
      return refuse('The access token is not valid yet (nbf)');
    case 'issued-in-future':
      return refuse('The access token was issued in the future (iat)');
    case 'issuer':
      return anotherIssuer(failure.received, issuer);
    case 'claim':
      return claimError(failure.claim, failure.reason);
  }
}

function claimError(claim: string, reason: 'missing' | 'mismatch' | 'invalid'): AccessTokenError {
  switch (claim) {
    case 'iss':
      return refuse('The access token was issued by another authorization server (iss)');
    case 'aud':
      return refuse('The access token is not meant for this API (aud)');
    case 'nbf':
      return refuse('The access token is not valid yet (nbf)');
    default:
      return refuse(
        reason === 'missing' ? `The access token has no ${claim} claim` : `The access token's ${claim} claim is invalid`,
      );
  }
}

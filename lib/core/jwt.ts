import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { KeyError, type KeyStore } from './keys.js';

type VerificationKey = Awaited<ReturnType<KeyStore['getKey']>>;

/** What a JWT must be, beyond a signature by a key of the key set. */
export interface JwtPolicy {
  issuer: string;
  /** The audience, or the audiences of which `aud` must name one. */
  audience: string | string[];
  algorithms: readonly string[];
  /** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. */
  clockTolerance: number;
  now: () => number;
  /** Claims that must be present. */
  requiredClaims: string[];
  /** `typ` values accepted when there is one (lower case, `application/` dropped); undefined: any. */
  types?: ReadonlySet<string> | undefined;
}

/**
 * Why a JWT was refused, in terms of no caller: the ID token and the access token checks
 * each say it in their own words. Never holds the token or its claims, except the `iss`
 * received (public, and what a misconfigured issuer needs to be told).
 */
export type JwtFailure =
  | { kind: 'malformed' }
  | { kind: 'crit' }
  | { kind: 'alg' }
  | { kind: 'typ' }
  | { kind: 'key'; reason: KeyError['reason'] }
  | { kind: 'signature' }
  | { kind: 'expired'; secondsAgo: number | undefined }
  | { kind: 'not-yet-valid'; secondsAhead: number | undefined }
  | { kind: 'issued-in-future'; secondsAhead: number }
  | { kind: 'issuer'; received: unknown }
  | { kind: 'claim'; claim: string; reason: 'missing' | 'mismatch' | 'invalid' };

/** A JWT refused by {@link verifyJwt}: see {@link JwtFailure}. */
export class JwtRefusal extends Error {
  constructor(readonly failure: JwtFailure) {
    super(`JWT refused: ${failure.kind}`);
  }
}

/**
 * The package's one JWT verification: a compact JWS (three parts; a JWE has five) with no
 * critical header parameters, an allowed asymmetric `alg`, an accepted `typ`, signed by a
 * key of Okta's key set (picked and imported once by the key store), then jose's checks of
 * `iss`, `aud`, `exp`, `nbf` and the required claims with the tolerance, and an `iat` not in
 * the future. Refusals are {@link JwtRefusal}s; a key set that cannot be had throws the key
 * store's own errors (`KeySetUnavailableError`, `ResponseError`, `RequestError`).
 */
export async function verifyJwt(
  token: string,
  keys: KeyStore,
  policy: JwtPolicy,
): Promise<{ header: ProtectedHeaderParameters; payload: JWTPayload }> {
  // jose decodes the header once and hands it to this resolver, which checks it before any
  // key is looked up: the token is not decoded twice.
  const seen = { header: false };
  const keyFor = (header: ProtectedHeaderParameters): VerificationKey | Promise<VerificationKey> => {
    checkHeader(header, policy);
    seen.header = true;
    return keys.cachedKey(header) ?? keys.getKey(header);
  };
  let verified: { payload: JWTPayload; protectedHeader: ProtectedHeaderParameters };
  try {
    verified = await jwtVerify(token, keyFor, {
      issuer: policy.issuer,
      audience: policy.audience,
      algorithms: policy.algorithms as string[],
      clockTolerance: policy.clockTolerance,
      currentDate: new Date(policy.now()),
      requiredClaims: policy.requiredClaims,
    });
  } catch (err) {
    // jose refused before the resolver saw the header (shape, crit, alg): say why in the
    // package's own terms, from the header decoded here, on this failure path only.
    if (!seen.header && err instanceof joseErrors.JOSEError) checkHeader(protectedHeader(token), policy);
    throw refusalOf(err, policy);
  }
  const { payload, protectedHeader: header } = verified;
  const now = policy.now() / 1000;
  if (typeof payload.iat === 'number' && payload.iat > now + policy.clockTolerance) {
    throw new JwtRefusal({ kind: 'issued-in-future', secondsAhead: Math.ceil(payload.iat - now) });
  }
  return { header, payload };
}

/** The protected header of a compact JWS (three parts; a JWE has five), or a `malformed` refusal. */
function protectedHeader(token: string): ProtectedHeaderParameters {
  try {
    const second = token.indexOf('.', token.indexOf('.') + 1);
    if (second <= 0 || token.includes('.', second + 1)) throw new TypeError('not a compact JWS');
    return decodeProtectedHeader(token);
  } catch {
    throw new JwtRefusal({ kind: 'malformed' });
  }
}

/** The checks of the protected header, before any key is looked up. */
function checkHeader(header: ProtectedHeaderParameters, policy: JwtPolicy): void {
  // Okta sends no critical header parameters; jose would report one as "not supported",
  // which reads like an algorithm problem.
  if (header.crit !== undefined) throw new JwtRefusal({ kind: 'crit' });
  if (typeof header.alg !== 'string' || !policy.algorithms.includes(header.alg)) throw new JwtRefusal({ kind: 'alg' });
  if (policy.types !== undefined && header.typ !== undefined) {
    const typ = typeof header.typ === 'string' ? header.typ.toLowerCase().replace(/^application\//, '') : '';
    if (!policy.types.has(typ)) throw new JwtRefusal({ kind: 'typ' });
  }
}

/**
 * jose's failure (or the key store's) as a {@link JwtFailure}. jose's claim errors hold the
 * whole payload: only the `iss` received is kept. Times in whole seconds, as jose counts them.
 */
function refusalOf(err: unknown, policy: JwtPolicy): unknown {
  const now = Math.floor(policy.now() / 1000);
  if (err instanceof KeyError) return new JwtRefusal({ kind: 'key', reason: err.reason });
  if (err instanceof joseErrors.JWKSNoMatchingKey) return new JwtRefusal({ kind: 'key', reason: 'unknown-kid' });
  if (err instanceof joseErrors.JWTExpired) {
    const exp = err.payload.exp;
    return new JwtRefusal({ kind: 'expired', secondsAgo: typeof exp === 'number' ? Math.ceil(now - exp) : undefined });
  }
  if (err instanceof joseErrors.JWTClaimValidationFailed) return claimRefusal(err, now);
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new JwtRefusal({ kind: 'signature' });
  if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported) {
    return new JwtRefusal({ kind: 'alg' });
  }
  if (err instanceof joseErrors.JOSEError) return new JwtRefusal({ kind: 'malformed' });
  return err;
}

function claimRefusal(err: InstanceType<typeof joseErrors.JWTClaimValidationFailed>, now: number): JwtRefusal {
  const checkFailed = err.reason === 'check_failed';
  if (err.claim === 'nbf' && checkFailed) {
    const nbf = err.payload.nbf;
    return new JwtRefusal({ kind: 'not-yet-valid', secondsAhead: typeof nbf === 'number' ? Math.ceil(nbf - now) : undefined });
  }
  if (err.claim === 'iss' && checkFailed) return new JwtRefusal({ kind: 'issuer', received: err.payload.iss });
  const reason = err.reason === 'missing' ? 'missing' : checkFailed ? 'mismatch' : 'invalid';
  return new JwtRefusal({ kind: 'claim', claim: err.claim, reason });
}

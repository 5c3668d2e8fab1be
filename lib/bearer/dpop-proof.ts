import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { BoundedCache } from '../core/cache.js';
import { withDeadline } from '../core/deadline.js';
import { ReplayStoreFullError, StoreUnavailableError } from '../core/errors.js';
import { rsaModulusBits } from '../core/keys.js';
import { AccessTokenError } from '../core/errors.js';
import { tellReplay } from './events.js';
import type { DPoPReplayStore } from './replay.js';

export interface ProofSettings {
  algorithms: readonly string[];
  /** Seconds a proof is accepted after its `iat`. */
  maxAge: number;
  /** Seconds of clock skew tolerated on `iat`, both ways. */
  clockTolerance: number;
  replay: DPoPReplayStore;
  /** Milliseconds the replay store may take to answer; slower is a 503 (fail closed). */
  storeTimeout: number;
  now: () => number;
}

export interface ProofRequest {
  method: string;
  /** The request's URL without query and fragment, as the server sees it (origin + path). */
  url: string;
  /** The access token presented with the proof. */
  token: string;
  /** The token's `cnf.jkt`. */
  jkt: string;
  /** base64url(SHA-256(token)) when the caller has it already (the expected `ath`). */
  tokenHash?: string | undefined;
}

/** Proofs are small: an ES256 one is about 500 characters, an RSA one about 1 KiB. */
const MAX_PROOF_LENGTH = 8192;
const MAX_JTI_LENGTH = 256;
const MIN_RSA_BITS = 2048;
/** Bigger proof keys only cost CPU to check: no client needs one. */
const MAX_RSA_BITS = 8192;
/** The RSA public exponent, base64url: at most 32 bits (65537 is `AQAB`); a huge one costs ~7x the CPU to refuse. */
const RSA_EXPONENT = /^[A-Za-z0-9_-]{1,6}$/;
/** Members of a private or symmetric JWK: a proof's `jwk` must carry none (RFC 9449 §4.3, check 7). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
/** Imported proof keys, by algorithm and key: importing costs more than verifying. */
const MAX_CACHED_KEYS = 1000;

type ProofKey = Awaited<ReturnType<typeof importJWK>>;

/** A protected header that passed the header checks: its algorithm, key members and their thumbprint. */
interface CheckedHeader {
  alg: string;
  jwk: JWK;
  thumbprint: string;
}

/** Normalized `htu`s and request URLs: a client sends the same few on every request. */
const normalizedURLs = new BoundedCache<string, string | null>({ maxEntries: 1000 });

const bad = (description: string): AccessTokenError => new AccessTokenError('invalid_dpop_proof', description);

/**
 * Checks a DPoP proof at a protected resource (RFC 9449 §4.3 and §7.1): one well-formed
 * `dpop+jwt`, an allowed asymmetric `alg`, a public `jwk` whose RFC 7638 thumbprint is the
 * token's `cnf.jkt` (compared before any signature work, so a proof by another key costs a
 * hash), a signature by that key (verified by jose), `htm` and `htu` of this request, an
 * `iat` inside the window, `ath` = base64url(SHA-256(token)), and last a `jti` never seen
 * within the window: the replay store must answer in time, and the window must still be
 * open once it has.
 */
export class ProofVerifier {
  private readonly keys = new BoundedCache<string, Promise<ProofKey>>({ maxEntries: MAX_CACHED_KEYS });
  /** Checked protected headers, by their base64url segment. */
  private readonly headers = new BoundedCache<string, Promise<CheckedHeader>>({ maxEntries: MAX_CACHED_KEYS });

  constructor(private readonly settings: ProofSettings) {}

  /**
   * @throws {AccessTokenError} `invalid_dpop_proof` for a bad proof, `invalid_token` when the
   *   token is bound to another key.
   */
  async verify(proof: string, request: ProofRequest): Promise<void> {
    const { settings } = this;
    if (proof.length > MAX_PROOF_LENGTH || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(proof)) {
      throw bad('The DPoP proof is not a well-formed JWT');
    }
    // A client sends the same protected header (typ, alg, jwk) with every proof: the checks
    // of those exact bytes are done once per header.
    const segment = proof.slice(0, proof.indexOf('.'));
    let checked = this.headers.get(segment);
    if (checked === undefined) {
      checked = checkHeader(proof, settings.algorithms);
      this.headers.set(segment, checked);
      checked.catch(() => this.headers.delete(segment));
    }
    const { jwk, thumbprint, alg } = await checked;
    if (thumbprint !== request.jkt) {
      throw new AccessTokenError('invalid_token', 'The access token is bound to another DPoP key (cnf.jkt)');
    }
    const payload = await verifySignature(proof, await this.keyOf(jwk, alg), alg, settings);
    const { iat, jti } = checkClaims(payload, request, settings);
    await this.claim(jti, thumbprint, (iat + settings.maxAge + settings.clockTolerance) * 1000);
  }

  /**
   * Records the proof's `jti` in the replay store, in time. A store that fails or does not
   * answer within `storeTimeout` refuses the proof (503): an unrecorded proof could be
   * replayed. A proof whose window ended while the store was answering (a stalled Redis
   * says OK to a `SET NX` whose expiry has passed) is refused as too old.
   */
  private async claim(jti: string, thumbprint: string, expiresAt: number): Promise<void> {
    const { settings } = this;
    const id = createHash('sha256').update(`${thumbprint}.${jti}`).digest('base64url');
    let fresh: boolean;
    try {
      const answer = withDeadline(
        settings.replay.claim(id, expiresAt, thumbprint),
        settings.storeTimeout,
        () => new StoreUnavailableError(`The DPoP replay store did not answer within ${settings.storeTimeout} ms`),
      );
      fresh = typeof answer === 'boolean' ? answer : await answer;
    } catch (err) {
      tellReplay(err instanceof ReplayStoreFullError ? 'store-full' : 'store-unavailable');
      if (err instanceof StoreUnavailableError || (err as { status?: unknown }).status === 503) throw err;
      throw new StoreUnavailableError('The DPoP replay store failed; the proof cannot be recorded', { cause: err });
    }
    if (!fresh) tellReplay('replayed');
    if (!fresh) throw bad('The DPoP proof was already used (jti)');
    if (settings.now() >= expiresAt) throw bad('The DPoP proof is too old (iat): its window ended before it was recorded');
  }

  /** The proof's public key, imported once per algorithm and key. */
  private keyOf(jwk: JWK, alg: string): Promise<ProofKey> {
    const id = `${alg} ${JSON.stringify(jwk)}`;
    let entry = this.keys.get(id);
    if (entry === undefined) {
      entry = importProofKey(jwk, alg);
      this.keys.set(id, entry);
      entry.catch(() => this.keys.delete(id));
    }
    return entry;
  }
}

/** The proof's signature, by jose, with its claims: `iat` is there and a number (`requiredClaims`). */
async function verifySignature(
  proof: string,
  key: ProofKey,
  alg: string,
  settings: ProofSettings,
): Promise<JWTPayload & { iat: number }> {
  try {
    const { payload } = await jwtVerify<{ iat: number }>(proof, key, {
      typ: 'dpop+jwt',
      algorithms: [alg],
      currentDate: new Date(settings.now()),
      clockTolerance: settings.clockTolerance,
      requiredClaims: ['jti', 'htm', 'htu', 'iat'],
    });
    return payload;
  } catch {
    throw bad('The DPoP proof signature or claims are invalid');
  }
}

/** The proof's claims against the request (RFC 9449 §4.3 points 9 to 12): its `iat` and `jti` once they pass. */
function checkClaims(
  payload: JWTPayload & { iat: number },
  request: ProofRequest,
  settings: ProofSettings,
): { iat: number; jti: string } {
  const now = settings.now() / 1000;
  const iat = payload.iat;
  if (iat > now + settings.clockTolerance) throw bad('The DPoP proof was issued in the future (iat)');
  if (iat < now - settings.maxAge - settings.clockTolerance) throw bad('The DPoP proof is too old (iat)');
  if (payload.htm !== request.method) throw bad('The DPoP proof is for another HTTP method (htm)');
  if (typeof payload.htu !== 'string' || normalizeHtuCached(payload.htu) !== request.url) {
    throw bad('The DPoP proof is for another URL (htu)');
  }
  if (payload.ath !== (request.tokenHash ?? createHash('sha256').update(request.token).digest('base64url'))) {
    throw bad('The DPoP proof is not for this access token (ath)');
  }
  const jti = payload.jti;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) throw bad('The DPoP proof has a malformed jti');
  return { iat, jti };
}

/** The checks of the proof's protected header and its key's members (RFC 9449 §4.3 points 4 to 7), and the key's thumbprint. */
async function checkHeader(proof: string, algorithms: readonly string[]): Promise<CheckedHeader> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw bad('The DPoP proof is not a well-formed JWT');
  }
  if (header.typ !== 'dpop+jwt') throw bad('The DPoP proof is not a dpop+jwt');
  if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
    throw bad('The DPoP proof is signed with an algorithm that is not allowed');
  }
  if (header.crit !== undefined) throw bad('The DPoP proof names critical header parameters');
  const jwk = publicMembers(header.jwk);
  return { alg: header.alg, jwk, thumbprint: await calculateJwkThumbprint(jwk, 'sha256') };
}

async function importProofKey(jwk: JWK, alg: string): Promise<ProofKey> {
  let key: ProofKey;
  try {
    key = await importJWK(jwk, alg);
  } catch {
    throw bad('The DPoP proof key (jwk) does not fit its algorithm');
  }
  const bits = rsaModulusBits(key);
  if (bits !== undefined && (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS)) {
    throw bad(`The DPoP proof key's size is not allowed (RSA keys must be ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits)`);
  }
  return key;
}

/** The public members of the header's `jwk` (RFC 7638 §3.2); a private or symmetric key is refused. */
function publicMembers(jwk: unknown): JWK {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw bad('The DPoP proof has no jwk header');
  const k = jwk as Record<string, unknown>;
  if (PRIVATE_MEMBERS.some((member) => k[member] !== undefined)) throw bad('The DPoP proof jwk is not a public key');
  const pick = (...names: string[]): JWK => {
    const out: Record<string, string> = {};
    for (const name of names) {
      if (typeof k[name] !== 'string') throw bad('The DPoP proof jwk is malformed');
      out[name] = k[name];
    }
    return out;
  };
  switch (k.kty) {
    case 'EC':
      return pick('kty', 'crv', 'x', 'y');
    case 'RSA':
      if (typeof k.e !== 'string' || !RSA_EXPONENT.test(k.e))
        throw bad('The DPoP proof jwk has an RSA exponent that is not allowed');
      return pick('kty', 'e', 'n');
    case 'OKP':
      return pick('kty', 'crv', 'x');
    default:
      throw bad('The DPoP proof jwk is not a public key of a supported type');
  }
}

/** `htu` compared as RFC 9449 §4.3 asks: scheme, host and path, no query or fragment, normalized (RFC 3986 §6). */
export function normalizeHtu(htu: string): string | undefined {
  const url = URL.parse(htu);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return undefined;
  return url.origin + url.pathname;
}

/** {@link normalizeHtu}, remembered for the last thousand distinct strings. */
export function normalizeHtuCached(htu: string): string | undefined {
  let normalized = normalizedURLs.get(htu);
  if (normalized === undefined) {
    normalized = normalizeHtu(htu) ?? null;
    normalizedURLs.set(htu, normalized);
  }
  return normalized ?? undefined;
}

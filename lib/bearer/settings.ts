import { ConfigurationError } from '../core/errors.js';
import type { HttpSettings } from '../core/http.js';
import { check, checkOptionNames, isObject } from '../core/options.js';
import type { ReportErrorHandler } from '../passport/strategy-base.js';
import { isQuotable, type ChallengeSettings, type DPoPMode } from './challenge.js';
import { ProofVerifier } from './dpop-proof.js';
import { MemoryIntrospectionCache, type IntrospectionCache } from './introspection.js';
import { issuerParts, type IssuerParts, type SharedParts } from './issuer-parts.js';
import { ISSUER_OPTION_NAMES, Issuers } from './issuers.js';
import {
  BEARER_OPTION_NAMES,
  type OktaBearerIssuersOptions,
  type OktaBearerStrategyOptions,
  type OktaBearerStrategyOptionsWithRequest,
} from './options.js';
import { MemoryDPoPReplayStore, type DPoPReplayStore } from './replay.js';

type AnyBearerOptions = OktaBearerStrategyOptions | OktaBearerStrategyOptionsWithRequest | OktaBearerIssuersOptions;

const DEFAULT_DPOP_ALGS = ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'];
const ISSUERS_MODE_NAMES: readonly string[] = [
  ...BEARER_OPTION_NAMES.filter((name) => !ISSUER_OPTION_NAMES.includes(name)),
  'issuers',
  'maxIssuers',
  'resolverTimeout',
];

/** What {@link resolveBearerOptions} makes of an `OktaBearerStrategy`'s options: checked, with defaults. */
export interface BearerSettings {
  name: string;
  passReqToCallback: boolean;
  verifyTimeout: number;
  onReportError: ReportErrorHandler | undefined;
  /** The one authorization server's parts; or, with `issuers`, those of the issuer a token names. */
  issuer: IssuerParts | Issuers;
  introspectMode: 'auto' | 'always' | 'never';
  dpop: DPoPMode;
  proofs: ProofVerifier;
  trustProxy: boolean;
  origin: string | undefined;
  allowedHosts: readonly string[] | undefined;
  challenge: ChallengeSettings;
}

/** Checks an `OktaBearerStrategy`'s options and builds its parts; throws a {@link ConfigurationError} naming the bad one. */
export function resolveBearerOptions(options: AnyBearerOptions): BearerSettings {
  if (!isObject(options)) throw new ConfigurationError('OktaBearerStrategy needs an options object');
  const multi = 'issuers' in options;
  if (multi) {
    const owned = ISSUER_OPTION_NAMES.find((name) => name in options);
    if (owned !== undefined) throw new ConfigurationError(`${owned} is given per issuer in issuers, not beside it`);
  }
  checkOptionNames('OktaBearerStrategy', options, multi ? ISSUERS_MODE_NAMES : BEARER_OPTION_NAMES);
  const now = check.fn('now', options.now) ?? Date.now;
  const http: HttpSettings = {
    fetch: check.fn('fetch', options.fetch),
    timeout: check.milliseconds('timeout', options.timeout, 10_000),
  };
  const shared = sharedParts(options, http, now);
  const issuer = multi
    ? new Issuers(options.issuers, shared, {
        max: maxIssuers(options.maxIssuers),
        resolverTimeout: check.milliseconds('resolverTimeout', options.resolverTimeout, 5000),
      })
    : issuerParts(options, shared);
  const dpop = check.oneOf('dpop', options.dpop, ['allowed', 'required', 'disabled'], 'allowed');
  const dpopAlgs = check.algorithms('dpopSigningAlgorithms', options.dpopSigningAlgorithms, DEFAULT_DPOP_ALGS, 'ES256');
  if (options.realm !== undefined && (typeof options.realm !== 'string' || !isQuotable(options.realm))) {
    throw new ConfigurationError('realm must be printable ASCII without quotes or backslashes');
  }
  return {
    name: options.name ?? 'okta-bearer',
    passReqToCallback: options.passReqToCallback === true,
    verifyTimeout: check.milliseconds('verifyTimeout', options.verifyTimeout, 30_000),
    onReportError: check.fn('onReportError', options.onReportError),
    issuer,
    introspectMode: shared.introspectMode,
    dpop,
    proofs: new ProofVerifier({
      algorithms: dpopAlgs,
      maxAge: check.seconds('dpopProofMaxAge', options.dpopProofMaxAge, 60, 'positive'),
      clockTolerance: shared.clockTolerance,
      replay: replayStore(options.dpopReplayStore, now),
      storeTimeout: http.timeout,
      now,
    }),
    trustProxy: options.trustProxy === true,
    origin: options.origin === undefined ? undefined : apiOrigin(options.origin),
    allowedHosts: check
      .strings('allowedHosts', options.allowedHosts, '["api.example.com", "localhost:3000"]')
      ?.map((host) => host.toLowerCase()),
    challenge: { realm: options.realm, dpop, algs: dpopAlgs },
  };
}

/** What the parts of every issuer share. */
function sharedParts(options: AnyBearerOptions, http: HttpSettings, now: () => number): SharedParts {
  let cache: IntrospectionCache | undefined;
  return {
    http,
    now,
    introspectMode: check.oneOf('introspect', options.introspect, ['auto', 'always', 'never'], 'auto'),
    algorithms: check.algorithms('accessTokenSigningAlgorithms', options.accessTokenSigningAlgorithms, ['RS256']),
    clockTolerance: check.seconds('clockTolerance', options.clockTolerance, 60),
    jwksCooldown: check.milliseconds('jwksCooldown', options.jwksCooldown, 30_000, 0),
    jwksMaxAge: check.milliseconds('jwksMaxAge', options.jwksMaxAge, 3_600_000),
    prefetchKeys: check.oneOf('prefetchKeys', options.prefetchKeys, [true, false], true),
    verifiedTokenCacheSize: cacheSize(options.verifiedTokenCacheSize),
    // One cache for every issuer: its keys hash the issuer with the token.
    introspectionCache: () => (cache ??= introspectionCacheOf(options, now)),
    introspectionCacheMaxAge:
      options.introspectionCacheMaxAge === undefined
        ? Number.POSITIVE_INFINITY
        : check.milliseconds('introspectionCacheMaxAge', options.introspectionCacheMaxAge, 0),
  };
}

function maxIssuers(value: unknown): number {
  const max = value ?? 100;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1) {
    throw new ConfigurationError('maxIssuers must be a whole number >= 1');
  }
  return max;
}

function cacheSize(value: unknown): number {
  const size = value ?? 1000;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) {
    throw new ConfigurationError('verifiedTokenCacheSize must be a whole number >= 0');
  }
  return size;
}

function replayStore(store: DPoPReplayStore | undefined, now: () => number): DPoPReplayStore {
  const replay = store ?? new MemoryDPoPReplayStore({ now });
  if (typeof replay.claim !== 'function') throw new ConfigurationError('dpopReplayStore must implement claim(id, expiresAt)');
  return replay;
}

/** The API's public origin, checked: an http(s) URL with nothing after the host. */
function apiOrigin(value: unknown): string {
  const url = typeof value === 'string' ? URL.parse(value) : null;
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.href !== `${url.origin}/`) {
    throw new ConfigurationError(`origin must be the API's public origin, such as "https://api.example.com" (no path)`);
  }
  return url.origin;
}

/** The app's introspection cache, or one in memory. */
function introspectionCacheOf(options: AnyBearerOptions, now: () => number): IntrospectionCache {
  const cache = options.introspectionCache ?? new MemoryIntrospectionCache({ now });
  if (typeof cache.get !== 'function' || typeof cache.set !== 'function') {
    throw new ConfigurationError('introspectionCache must implement get(key) and set(key, claims, ttl)');
  }
  return cache;
}

import { ClientAuthenticator } from '../core/client-auth.js';
import { oktaEndpoints, parseOktaDomain, type OktaEndpoints } from '../core/endpoints.js';
import { ConfigurationError } from '../core/errors.js';
import type { HttpSettings } from '../core/http.js';
import { bearerKeyStore } from '../core/key-cache.js';
import type { KeyStore } from '../core/keys.js';
import { check, checkOptionNames, isObject } from '../core/options.js';
import type { ReportErrorHandler } from '../passport/strategy-base.js';
import type { AccessTokenSettings } from './access-token.js';
import { isQuotable, type ChallengeSettings, type DPoPMode } from './challenge.js';
import { ProofVerifier } from './dpop-proof.js';
import { Introspector, MemoryIntrospectionCache, type IntrospectionCache } from './introspection.js';
import { BEARER_OPTION_NAMES, type OktaBearerStrategyOptions, type OktaBearerStrategyOptionsWithRequest } from './options.js';
import { MemoryDPoPReplayStore, type DPoPReplayStore } from './replay.js';
import { VerifiedTokens } from './verified-tokens.js';

type AnyBearerOptions = OktaBearerStrategyOptions | OktaBearerStrategyOptionsWithRequest;

const DEFAULT_DPOP_ALGS = ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'];

/** What {@link resolveBearerOptions} makes of an `OktaBearerStrategy`'s options: checked, with defaults. */
export interface BearerSettings {
  name: string;
  passReqToCallback: boolean;
  verifyTimeout: number;
  onReportError: ReportErrorHandler | undefined;
  /** The key set, for a custom authorization server (the org server's tokens can only be introspected). */
  keys: (() => KeyStore) | undefined;
  tokenSettings: AccessTokenSettings;
  verified: VerifiedTokens;
  introspector: Introspector | undefined;
  introspectMode: 'auto' | 'always' | 'never';
  dpop: DPoPMode;
  proofs: ProofVerifier;
  trustProxy: boolean;
  origin: string | undefined;
  allowedHosts: readonly string[] | undefined;
  challenge: ChallengeSettings;
}

/** Checks an `OktaBearerStrategy`'s options and builds its parts; throws a {@link ConfigurationError} naming the bad one. */
export function resolveBearerOptions(options: OktaBearerStrategyOptions | OktaBearerStrategyOptionsWithRequest): BearerSettings {
  if (!isObject(options)) throw new ConfigurationError('OktaBearerStrategy needs an options object');
  checkOptionNames('OktaBearerStrategy', options, BEARER_OPTION_NAMES);
  const endpoints = oktaEndpoints(parseOktaDomain(options.oktaDomain, options.issuer), options.authServerId, options.issuer);
  const now = check.fn('now', options.now) ?? Date.now;
  const http: HttpSettings = {
    fetch: check.fn('fetch', options.fetch),
    timeout: check.milliseconds('timeout', options.timeout, 10_000),
  };
  const tokenSettings = accessTokenSettings(options, endpoints, now);
  const keys =
    // The org server's access tokens are for Okta's own APIs: Okta does not support checking them locally.
    options.authServerId === undefined
      ? undefined
      : bearerKeyStore(
          http,
          endpoints.keys,
          {
            cooldown: check.milliseconds('jwksCooldown', options.jwksCooldown, 30_000, 0),
            maxAge: check.milliseconds('jwksMaxAge', options.jwksMaxAge, 3_600_000),
            now,
          },
          // With introspection always, the key set is never used.
          check.oneOf('prefetchKeys', options.prefetchKeys, [true, false], true) && options.introspect !== 'always',
        );
  const introspectMode = check.oneOf('introspect', options.introspect, ['auto', 'always', 'never'], 'auto');
  const introspector = introspectorOf(options, introspectMode, keys !== undefined, { endpoints, http, tokenSettings, now });
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
    keys,
    tokenSettings,
    verified: new VerifiedTokens(cacheSize(options.verifiedTokenCacheSize), tokenSettings.clockTolerance, now),
    introspector,
    introspectMode,
    dpop,
    proofs: new ProofVerifier({
      algorithms: dpopAlgs,
      maxAge: check.seconds('dpopProofMaxAge', options.dpopProofMaxAge, 60, 'positive'),
      clockTolerance: tokenSettings.clockTolerance,
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

function accessTokenSettings(options: AnyBearerOptions, endpoints: OktaEndpoints, now: () => number): AccessTokenSettings {
  const audiences = typeof options.audience === 'string' ? [options.audience] : options.audience;
  if (!Array.isArray(audiences) || audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a === '')) {
    throw new ConfigurationError('audience is required: the API\'s audience, e.g. "api://default" (or a list of them)');
  }
  return {
    issuer: endpoints.issuer,
    audiences: [...(audiences as string[])],
    algorithms: check.algorithms('accessTokenSigningAlgorithms', options.accessTokenSigningAlgorithms, ['RS256']),
    clockTolerance: check.seconds('clockTolerance', options.clockTolerance, 60),
    clientIds: check.strings('clientIds', options.clientIds, '["0oa1a2b3c4"]'),
    now,
  };
}

/** The introspection client, when one is configured and wanted. */
function introspectorOf(
  options: AnyBearerOptions,
  mode: 'auto' | 'always' | 'never',
  verifiesLocally: boolean,
  parts: { endpoints: OktaEndpoints; http: HttpSettings; tokenSettings: AccessTokenSettings; now: () => number },
): Introspector | undefined {
  const canIntrospect = options.clientID !== undefined && mode !== 'never';
  if (mode === 'always' && options.clientID === undefined) {
    throw new ConfigurationError('introspect: "always" needs clientID (and its credentials)');
  }
  if (!verifiesLocally && !canIntrospect) {
    throw new ConfigurationError(
      "the org authorization server's access tokens can only be introspected: give clientID and clientSecret, or an authServerId",
    );
  }
  if (!canIntrospect) return undefined;
  if (typeof options.clientID !== 'string' || options.clientID === '')
    throw new ConfigurationError('clientID must be a client id');
  const method = options.tokenEndpointAuthMethod ?? 'client_secret_basic';
  if ((method as string) === 'none') throw new ConfigurationError('introspection needs an authenticated client, not "none"');
  const cache = introspectionCacheOf(options, parts.now);
  const { tokenSettings } = parts;
  return new Introspector({
    http: parts.http,
    endpoint: parts.endpoints.introspect,
    auth: new ClientAuthenticator({
      method,
      clientId: options.clientID,
      clientSecret: options.clientSecret || undefined,
      privateKey: options.privateKey,
      privateKeyId: options.privateKeyId,
      now: parts.now,
    }),
    clientSecret: options.clientSecret || undefined,
    issuer: tokenSettings.issuer,
    audiences: tokenSettings.audiences,
    clientIds: tokenSettings.clientIds,
    clockTolerance: tokenSettings.clockTolerance,
    cache,
    cacheMaxAge:
      options.introspectionCacheMaxAge === undefined
        ? Number.POSITIVE_INFINITY
        : check.milliseconds('introspectionCacheMaxAge', options.introspectionCacheMaxAge, 0),
    now: parts.now,
  });
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

import { ClientAuthenticator } from '../core/client-auth.js';
import { oktaEndpoints, parseOktaDomain, type OktaEndpoints } from '../core/endpoints.js';
import { ConfigurationError } from '../core/errors.js';
import type { HttpSettings } from '../core/http.js';
import { bearerKeyStore } from '../core/key-cache.js';
import type { KeyStore } from '../core/keys.js';
import { check } from '../core/options.js';
import type { AccessTokenSettings } from './access-token.js';
import { Introspector, type IntrospectionCache } from './introspection.js';
import type { OktaBearerIssuer } from './options.js';
import { VerifiedTokens } from './verified-tokens.js';

/** What verifies the tokens of one authorization server: its keys, its rules, its caches. */
export interface IssuerParts {
  /** The key set, for a custom authorization server (the org server's tokens can only be introspected). */
  keys: (() => KeyStore) | undefined;
  tokenSettings: AccessTokenSettings;
  verified: VerifiedTokens;
  introspector: Introspector | undefined;
}

/** What every issuer's parts share: the strategy's options. */
export interface SharedParts {
  http: HttpSettings;
  now: () => number;
  introspectMode: 'auto' | 'always' | 'never';
  algorithms: string[];
  clockTolerance: number;
  jwksCooldown: number;
  jwksMaxAge: number;
  /** Fetch each key set in the background as soon as its issuer's parts are made. */
  prefetchKeys: boolean;
  verifiedTokenCacheSize: number;
  /** The app's introspection cache (keys name the issuer), or a maker of one per issuer. */
  introspectionCache: () => IntrospectionCache;
  introspectionCacheMaxAge: number;
}

/** Gives the key cache of a key set URL (`prefetch`: fetch it in the background once chosen). */
export type KeyStoreSource = (url: string, prefetch: boolean) => () => KeyStore;

/** A new key cache per call: the bearer strategy's rule of core/key-cache.ts. */
export function bearerKeyStores(shared: SharedParts): KeyStoreSource {
  return (url, prefetch) =>
    bearerKeyStore(shared.http, url, { cooldown: shared.jwksCooldown, maxAge: shared.jwksMaxAge, now: shared.now }, prefetch);
}

/** An authorization server's endpoints and the `iss` of its tokens, its `oktaDomain`, `authServerId` and `issuer` checked. */
export function issuerEndpoints(options: OktaBearerIssuer): OktaEndpoints {
  return oktaEndpoints(parseOktaDomain(options.oktaDomain, options.issuer), options.authServerId, options.issuer);
}

/** The parts of one authorization server, its options checked; its key cache from `keyStores`. */
export function issuerParts(
  options: OktaBearerIssuer,
  shared: SharedParts,
  keyStores: KeyStoreSource = bearerKeyStores(shared),
  endpoints: OktaEndpoints = issuerEndpoints(options),
): IssuerParts {
  const tokenSettings = accessTokenSettings(options, endpoints.issuer, shared);
  const keys =
    // The org server's access tokens are for Okta's own APIs: Okta does not support checking them locally.
    options.authServerId === undefined
      ? undefined
      : // With introspection always, the key set is never used.
        keyStores(endpoints.keys, shared.prefetchKeys && shared.introspectMode !== 'always');
  return {
    keys,
    tokenSettings,
    verified: new VerifiedTokens(shared.verifiedTokenCacheSize, tokenSettings.clockTolerance, shared.now),
    introspector: introspectorOf(options, keys !== undefined, { endpoints, tokenSettings, shared }),
  };
}

function accessTokenSettings(options: OktaBearerIssuer, issuer: string, shared: SharedParts): AccessTokenSettings {
  const audiences = typeof options.audience === 'string' ? [options.audience] : options.audience;
  if (!Array.isArray(audiences) || audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a === '')) {
    throw new ConfigurationError('audience is required: the API\'s audience, e.g. "api://default" (or a list of them)');
  }
  return {
    issuer,
    audiences: [...(audiences as string[])],
    algorithms: shared.algorithms,
    clockTolerance: shared.clockTolerance,
    clientIds: check.strings('clientIds', options.clientIds, '["0oa1a2b3c4"]'),
    now: shared.now,
  };
}

/** The introspection client, when one is configured and wanted. */
function introspectorOf(
  options: OktaBearerIssuer,
  verifiesLocally: boolean,
  parts: { endpoints: OktaEndpoints; tokenSettings: AccessTokenSettings; shared: SharedParts },
): Introspector | undefined {
  const { shared, tokenSettings } = parts;
  const mode = shared.introspectMode;
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
  return new Introspector({
    http: shared.http,
    endpoint: parts.endpoints.introspect,
    auth: new ClientAuthenticator({
      method,
      clientId: options.clientID,
      clientSecret: options.clientSecret || undefined,
      privateKey: options.privateKey,
      privateKeyId: options.privateKeyId,
      now: shared.now,
    }),
    clientSecret: options.clientSecret || undefined,
    issuer: tokenSettings.issuer,
    audiences: tokenSettings.audiences,
    clientIds: tokenSettings.clientIds,
    clockTolerance: tokenSettings.clockTolerance,
    cache: shared.introspectionCache(),
    cacheMaxAge: shared.introspectionCacheMaxAge,
    now: shared.now,
  });
}

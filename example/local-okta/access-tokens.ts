/**
 * Access tokens as Okta issues them. A custom server issues a JWT access token for its API
 * (audience `api://{id}`) to a request that asks for one of the API's scopes; other access
 * tokens (the org server's, or without API scopes) are opaque, for userinfo.
 */
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { TTL } from './grants.js';
import { oidc } from './oidc.js';

type ResourceIndicators = NonNullable<NonNullable<Configuration['features']>['resourceIndicators']>;

/** The scopes of each custom server's API (audience `api://{id}`). */
export const API_SCOPES = ['orders:read', 'orders:write'];

/** The issuer's API, if it has one (custom servers do, the org server does not). */
export function apiResourceFeature(audience: string | undefined): ResourceIndicators {
  return audience === undefined ? { enabled: false } : apiResource(audience);
}

/**
 * The custom server's API as a resource server: asked for by its scopes (clients do not
 * send RFC 8707 `resource` to Okta), with JWT access tokens signed like ID tokens.
 */
function apiResource(audience: string): ResourceIndicators {
  const asksForApi = (ctx: KoaContextWithOIDC): boolean => {
    const scope = ctx.oidc.params?.scope;
    return typeof scope === 'string' && scope.split(' ').some((s) => API_SCOPES.includes(s));
  };
  return {
    enabled: true,
    defaultResource: (ctx) => (asksForApi(ctx) ? audience : undefined) as string,
    useGrantedResource: () => true,
    getResourceServerInfo: (_ctx, resource) => {
      if (resource !== audience) throw new (oidc().errors.InvalidTarget)();
      return {
        scope: API_SCOPES.join(' '),
        audience,
        accessTokenFormat: 'jwt',
        accessTokenTTL: TTL.AccessToken,
        jwt: { sign: { alg: 'RS256' } },
      };
    },
  };
}

/** Okta's own access token claims: `ver`, `cid`, `uid` (tokens of a user) and `scp` (an array). */
export function oktaAccessTokenClaims(
  _ctx: KoaContextWithOIDC,
  token: { kind: string; clientId?: string; accountId?: string; scope?: string },
) {
  if (token.kind !== 'AccessToken' && token.kind !== 'ClientCredentials') return undefined;
  return {
    ver: 1,
    cid: token.clientId,
    ...(token.accountId === undefined ? {} : { uid: token.accountId }),
    scp: (token.scope ?? '').split(' ').filter(Boolean),
  };
}

/**
 * Access tokens as Okta issues them. A custom server issues a JWT access token for its API
 * (audience `api://{id}`) to a request that asks for one of the API's scopes; other access
 * tokens (the org server's, or without API scopes) are opaque, for userinfo.
 */
import type { Configuration, KoaContextWithOIDC, ResourceServer, ResourceServerInstance } from 'oidc-provider';
import { TTL } from './ttl.js';
import { oidc } from './oidc.js';
import type { Settings } from './settings.js';

type ResourceIndicators = NonNullable<NonNullable<Configuration['features']>['resourceIndicators']>;

/** The scopes of each custom server's API (audience `api://{id}`). */
export const API_SCOPES = ['orders:read', 'orders:write'];
/** The OpenID Connect scopes, which no grant without a user may ask for. */
export const OIDC_SCOPES: ReadonlySet<string> = new Set([
  'openid',
  'profile',
  'email',
  'address',
  'phone',
  'offline_access',
  'groups',
]);

/** The issuer's API, if it has one (custom servers do, the org server does not). */
export function apiResourceFeature(audience: string | undefined): ResourceIndicators {
  return audience === undefined ? { enabled: false } : apiResource(audience);
}

/** The custom server's API: JWT access tokens signed like ID tokens. */
function apiResourceInfo(audience: string): ResourceServer {
  return {
    scope: API_SCOPES.join(' '),
    audience,
    accessTokenFormat: 'jwt',
    accessTokenTTL: TTL.AccessToken,
    jwt: { sign: { alg: 'RS256' } },
  };
}

/** The custom server's API as oidc-provider's resource server, for a token it makes itself. */
export function apiResourceServer(audience: string): ResourceServerInstance {
  return { ...apiResourceInfo(audience), scopes: new Set(API_SCOPES), identifier: () => audience };
}

/**
 * The custom server's API as a resource server: asked for by its scopes (clients do not
 * send RFC 8707 `resource` to Okta).
 */
function apiResource(audience: string): ResourceIndicators {
  const asksForApi = (ctx: KoaContextWithOIDC): boolean => {
    const scope = ctx.oidc.params?.scope;
    return typeof scope === 'string' && scope.split(' ').some((s) => API_SCOPES.includes(s));
  };
  return {
    enabled: true,
    defaultResource: (ctx) => {
      if (ctx.oidc.params?.grant_type === 'client_credentials') checkServiceScopes(ctx.oidc.params.scope);
      return (asksForApi(ctx) ? audience : undefined) as string;
    },
    useGrantedResource: () => true,
    getResourceServerInfo: (_ctx, resource) => {
      if (resource !== audience) throw new (oidc().errors.InvalidTarget)();
      return apiResourceInfo(audience);
    },
  };
}

/**
 * Okta's answers to a client credentials request whose scopes are not the API's: none, an
 * OpenID Connect scope, or one the server does not have (its "no_default_scopes",
 * "openid_not_allowed_client_creds" and "no_matching_scope" errors).
 */
function checkServiceScopes(scope: unknown): void {
  const { InvalidScope } = oidc().errors;
  const scopes = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [];
  if (scopes.length === 0) {
    throw new InvalidScope(
      "The authorization server resource does not have any configured default scopes, 'scope' must be provided.",
      '',
    );
  }
  const openid = scopes.find((s) => OIDC_SCOPES.has(s));
  if (openid) throw new InvalidScope("Cannot request 'openid' scopes using client credentials.", openid);
  const unknown = scopes.find((s) => !API_SCOPES.includes(s));
  if (unknown) throw new InvalidScope('One or more scopes are not configured for the authorization server resource.', unknown);
}

/** How the user signed in, for a token exchange: set by token-exchange.ts as an entity. */
export interface SubjectSignIn {
  authTime?: number;
  acr?: string;
}

/**
 * Okta's own access token claims: `ver`, `cid`, `scp` (an array), and for a user's tokens
 * `uid`, `auth_time`, `acr` (when the sign-in asked for one) and, with `groupsClaim`, the
 * `groups` of a custom server's JWT access token (a claim Okta adds for any scope).
 */
export function accessTokenClaims(settings: Settings) {
  return (
    ctx: KoaContextWithOIDC,
    token: { kind: string; clientId?: string; accountId?: string; scope?: string; aud?: unknown },
  ) => {
    if (token.kind !== 'AccessToken' && token.kind !== 'ClientCredentials') return undefined;
    const claims = { ver: 1, cid: token.clientId, scp: (token.scope ?? '').split(' ').filter(Boolean) };
    if (token.accountId === undefined) return claims;
    const { entities } = ctx.oidc;
    const signIn = entities.AuthorizationCode ?? entities.RefreshToken ?? (entities.SubjectSignIn as SubjectSignIn | undefined);
    const user = settings.users.find((candidate) => candidate.sub === token.accountId);
    return {
      ...claims,
      uid: token.accountId,
      ...(signIn?.authTime === undefined ? {} : { auth_time: signIn.authTime }),
      ...(signIn?.acr === undefined ? {} : { acr: signIn.acr }),
      ...(settings.groupsClaim && token.aud !== undefined && user ? { groups: user.groups } : {}),
    };
  };
}

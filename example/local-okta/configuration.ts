/**
 * One issuer's oidc-provider configuration, assembled from the modules that own each part:
 * the authorize rules (authorize.ts), the grants (grants.ts), access tokens
 * (access-tokens.ts), DPoP (dpop.ts), userinfo/introspection/revocation (issued-tokens.ts),
 * logout (logout.ts), claims (claims.ts), clients (clients.ts) and lifetimes (ttl.ts).
 */
import { randomBytes } from 'node:crypto';
import type { AdapterFactory, Configuration, JWK } from 'oidc-provider';
import { accessTokenClaims, apiResourceFeature } from './access-tokens.js';
import { authorizeParams, grantRequestedScopes, interactionPolicy } from './authorize.js';
import { OKTA_CLAIMS, accountFinder } from './claims.js';
import { allowedOrigin, clientMetadata } from './clients.js';
import { dpopFeature } from './dpop.js';
import { grantFeatures, rotateRefreshToken } from './grants.js';
import { errorPage } from './html.js';
import { issuedTokenFeatures } from './issued-tokens.js';
import { logoutFeatures } from './logout.js';
import type { Settings } from './settings.js';
import { TTL } from './ttl.js';

/** What differs between the issuers of one local Okta. */
export interface ConfigurationInput {
  settings: Settings;
  origin: string;
  /** `/oauth2/v1` for the org server, `/v1` (under the mount path) for a custom one. */
  routePrefix: string;
  cookiePrefix: string;
  signingKey: JWK;
  /** The custom server's API audience; none for the org server. */
  apiAudience: string | undefined;
  /** Where oidc-provider keeps its models (storage.ts). */
  adapter: AdapterFactory;
}

/** The oidc-provider configuration of one issuer. */
export function providerConfiguration(input: ConfigurationInput): Configuration {
  const { settings, origin, routePrefix, cookiePrefix, signingKey, apiAudience, adapter } = input;
  return {
    adapter,
    clients: settings.clients.map(clientMetadata),
    jwks: { keys: [signingKey] },
    routes: oktaRoutes(routePrefix),
    cookies: {
      names: {
        session: `${cookiePrefix}_session`,
        interaction: `${cookiePrefix}_interaction`,
        resume: `${cookiePrefix}_resume`,
      },
      keys: [randomBytes(32).toString('base64url')],
    },
    claims: OKTA_CLAIMS,
    scopes: ['openid', 'offline_access'],
    responseTypes: ['code'],
    // Okta puts name, preferred_username and email in the ID token; oidc-provider would
    // otherwise keep profile and email claims for userinfo only. findAccount thins it.
    conformIdTokenClaims: false,
    findAccount: accountFinder(settings.users, settings.groupsClaim),
    loadExistingGrant: grantRequestedScopes,
    extraTokenClaims: accessTokenClaims(settings),
    extraParams: authorizeParams(),
    pkce: { required: () => true },
    expiresWithSession: () => false,
    rotateRefreshToken,
    ttl: TTL,
    interactions: {
      url: (_ctx, interaction) => `${origin}/login/${interaction.uid}`,
      policy: interactionPolicy(settings.users),
    },
    clientBasedCORS: (_ctx, requestOrigin, client) => allowedOrigin(requestOrigin, client.redirectUris ?? []),
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = errorPage(out);
    },
    features: {
      devInteractions: { enabled: false },
      ...grantFeatures(),
      resourceIndicators: apiResourceFeature(apiAudience),
      ...issuedTokenFeatures(),
      pushedAuthorizationRequests: { enabled: true },
      dPoP: dpopFeature(settings),
      ...logoutFeatures({ settings, signingKey }),
    },
  };
}

/** Okta's endpoint paths, under `/oauth2/v1` (org server) or `/oauth2/{id}/v1` (custom). */
function oktaRoutes(prefix: string): Configuration['routes'] {
  return {
    authorization: `${prefix}/authorize`,
    token: `${prefix}/token`,
    jwks: `${prefix}/keys`,
    userinfo: `${prefix}/userinfo`,
    revocation: `${prefix}/revoke`,
    end_session: `${prefix}/logout`,
    pushed_authorization_request: `${prefix}/par`,
    introspection: `${prefix}/introspect`,
  };
}

/**
 * The token endpoint: its grants, which clients may use each, and refresh token rotation.
 * Lifetimes are in ttl.ts; what goes into the access tokens is in access-tokens.ts, DPoP
 * binding in dpop.ts, the token exchange grant in token-exchange.ts.
 */
import type { Configuration, KoaContextWithOIDC, Provider } from 'oidc-provider';
import { TOKEN_EXCHANGE, tokenExchangeHandler, type ExchangeContext } from './token-exchange.js';
import type { LocalOktaClient } from './types.js';

/** A `grant_type` of the token endpoint. */
interface Grant {
  type: string;
  /** Whether a client's metadata lists it; oidc-provider refuses it to the others. */
  allowedFor(client: LocalOktaClient): boolean;
  /**
   * For a grant that oidc-provider does not implement: its handler for one issuer and the
   * token request parameters it reads, registered at every issuer by `registerGrants`.
   */
  handler?: { create: (exchange: ExchangeContext) => Parameters<Provider['registerGrantType']>[1]; params: readonly string[] };
}

/**
 * The grants, in the order a client's `grant_types` lists them. oidc-provider implements
 * the first three (client_credentials once `grantFeatures` enables it); a new grant is one
 * more entry here, with a `handler` when oidc-provider has none. A client without redirect
 * URIs is a service app (Okta's "API Services"): it signs no user in.
 */
const GRANTS: readonly Grant[] = [
  { type: 'authorization_code', allowedFor: signsUsersIn },
  { type: 'refresh_token', allowedFor: signsUsersIn },
  { type: 'client_credentials', allowedFor: (client) => client.clientCredentials === true },
  {
    type: TOKEN_EXCHANGE,
    allowedFor: (client) => client.tokenExchange === true,
    handler: { create: tokenExchangeHandler, params: ['subject_token', 'subject_token_type', 'audience', 'scope'] },
  },
];

function signsUsersIn(client: LocalOktaClient): boolean {
  return client.redirectUris.length > 0;
}

/** The `grant_types` of a client's metadata. */
export function grantTypesFor(client: LocalOktaClient): string[] {
  return GRANTS.filter((grant) => grant.allowedFor(client)).map((grant) => grant.type);
}

/** Registers, at one issuer, the grants of `GRANTS` that carry their own handler. */
export function registerGrants(provider: Provider, exchange: ExchangeContext): void {
  for (const { type, handler } of GRANTS) {
    if (handler) provider.registerGrantType(type, handler.create(exchange), handler.params);
  }
}

/** The oidc-provider features that grants of `GRANTS` need. */
export function grantFeatures() {
  return { clientCredentials: { enabled: true } } satisfies NonNullable<Configuration['features']>;
}

/** Like Okta's defaults: rotation for public clients (SPAs), none for confidential ones. */
export function rotateRefreshToken(ctx: KoaContextWithOIDC): boolean {
  return ctx.oidc.client?.clientAuthMethod === 'none';
}

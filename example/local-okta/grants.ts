/**
 * The token endpoint: its grants, which clients may use each, and the lifetimes of what it
 * issues. What goes into the access tokens is in access-tokens.ts, DPoP binding in dpop.ts.
 */
import type { Configuration, KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { LocalOktaClient } from './types.js';

/** A `grant_type` of the token endpoint. */
interface Grant {
  type: string;
  /** Whether a client's metadata lists it; oidc-provider refuses it to the others. */
  allowedFor(client: LocalOktaClient): boolean;
  /**
   * For a grant that oidc-provider does not implement: its handler and the token request
   * parameters it reads, registered at every issuer by `registerGrants`.
   */
  handler?: { handle: Parameters<Provider['registerGrantType']>[1]; params: readonly string[] };
}

/**
 * The grants, in the order a client's `grant_types` lists them. oidc-provider implements
 * these three (client_credentials once `grantFeatures` enables it); a new grant is one more
 * entry here, with a `handler` when oidc-provider has none.
 */
const GRANTS: readonly Grant[] = [
  { type: 'authorization_code', allowedFor: () => true },
  { type: 'refresh_token', allowedFor: () => true },
  { type: 'client_credentials', allowedFor: (client) => client.clientCredentials === true },
];

/** The `grant_types` of a client's metadata. */
export function grantTypesFor(client: LocalOktaClient): string[] {
  return GRANTS.filter((grant) => grant.allowedFor(client)).map((grant) => grant.type);
}

/** Registers, at one issuer, the grants of `GRANTS` that carry their own handler. */
export function registerGrants(provider: Provider): void {
  for (const { type, handler } of GRANTS) {
    if (handler) provider.registerGrantType(type, handler.handle, handler.params);
  }
}

/** The oidc-provider features that grants of `GRANTS` need. */
export function grantFeatures() {
  return { clientCredentials: { enabled: true } } satisfies NonNullable<Configuration['features']>;
}

/** Lifetimes, in seconds, of what the provider issues and keeps (oidc-provider's `ttl`). */
export const TTL = {
  AccessToken: 60 * 60,
  ClientCredentials: 60 * 60,
  AuthorizationCode: 5 * 60,
  IdToken: 60 * 60,
  RefreshToken: 7 * 24 * 60 * 60,
  Grant: 14 * 24 * 60 * 60,
  Interaction: 60 * 60,
  Session: 2 * 60 * 60,
};

/** Like Okta's defaults: rotation for public clients (SPAs), none for confidential ones. */
export function rotateRefreshToken(ctx: KoaContextWithOIDC): boolean {
  return ctx.oidc.client?.clientAuthMethod === 'none';
}

/**
 * Clients (Okta's "app integrations"): their oidc-provider metadata, the check made at start,
 * and the origins allowed to call the provider from a browser.
 */
import type { ClientMetadata, Provider } from 'oidc-provider';
import { grantTypesFor } from './grants.js';
import type { LocalOktaClient } from './types.js';

/** oidc-provider's metadata for a client, with Okta's defaults. */
export function clientMetadata(client: LocalOktaClient): ClientMetadata {
  return {
    client_id: client.clientId,
    ...(client.clientSecret === undefined ? {} : { client_secret: client.clientSecret }),
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris ?? [],
    token_endpoint_auth_method: client.tokenEndpointAuthMethod ?? 'client_secret_basic',
    grant_types: grantTypesFor(client),
    response_types: client.redirectUris.length > 0 ? ['code'] : [],
    ...(client.jwks === undefined ? {} : { jwks: client.jwks as ClientMetadata['jwks'] }),
    dpop_bound_access_tokens: client.dpopBoundAccessTokens ?? false,
  };
}

/** oidc-provider checks client metadata on first use; check it at start instead. */
export async function checkClients(provider: Provider, clients: LocalOktaClient[]): Promise<void> {
  for (const { clientId } of clients) {
    try {
      await provider.Client.find(clientId);
    } catch (err) {
      const reason = (err as { error_description?: string }).error_description ?? String(err);
      throw new TypeError(`local Okta: client '${clientId}' is invalid: ${reason}`, { cause: err });
    }
  }
}

/** CORS: a browser app may call the provider from the origin of one of its redirect URIs. */
export function allowedOrigin(origin: string, redirectUris: readonly string[]): boolean {
  return redirectUris.some((uri) => URL.parse(uri)?.origin === origin);
}

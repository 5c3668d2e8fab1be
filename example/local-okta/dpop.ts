/** DPoP (RFC 9449): proofs, and the server nonce that Okta asks for at the token endpoint. */
import { randomBytes } from 'node:crypto';
import type { Configuration } from 'oidc-provider';
import type { Settings } from './settings.js';

type DPoPFeature = NonNullable<NonNullable<Configuration['features']>['dPoP']>;

/**
 * oidc-provider's DPoP feature for one issuer. Which clients must bind their tokens is client
 * metadata (`dpop_bound_access_tokens`, see clients.ts).
 */
export function dpopFeature(settings: Settings): DPoPFeature {
  return {
    enabled: true,
    nonceSecret: randomBytes(32),
    requireNonce: (ctx) => settings.dpopNonce && ctx.oidc.route === 'token',
  };
}

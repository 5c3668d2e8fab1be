/** The endpoints that take an issued token: userinfo, introspection and revocation. */
import type { Configuration } from 'oidc-provider';

type Features = NonNullable<Configuration['features']>;

/** oidc-provider's features for them: a client may introspect or revoke only the tokens issued to it. */
export function issuedTokenFeatures() {
  return {
    userinfo: { enabled: true },
    revocation: { enabled: true, allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId },
    introspection: { enabled: true, allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId },
  } satisfies Pick<Features, 'userinfo' | 'revocation' | 'introspection'>;
}

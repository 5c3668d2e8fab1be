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

// "passport-okta-oidc/client": the Okta protocol client alone (the API of Arctic's Okta provider).
export { OktaClient } from './client/client.js';
export * as errors from './core/errors.js';

export type { OktaErrorCode } from './core/errors.js';
export type { OktaClientOptions } from './client/options.js';
export type { AuthorizationURLOptions, ValidateCodeOptions, RefreshOptions, UserInfo } from './client/client.js';
export type { TokenEndpointAuthMethod } from './core/client-auth.js';
export type { OktaTokens, OktaRefreshedTokens } from './client/tokens.js';
export type { IdTokenClaims, IdTokenExpectations } from './client/id-token.js';
export type { OktaEndpoints } from './core/endpoints.js';
export type { DPoPKeyPair } from './client/dpop.js';
export type { PrivateJWK } from './core/jwk.js';
export type { FetchLike } from './core/http.js';

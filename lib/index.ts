export { OktaStrategy } from './strategy.js';
export { OktaClient } from './client.js';
export { SessionStateStore } from './state/session.js';
export { CookieStateStore } from './state/cookie.js';
export { safeRedirectPath } from './redirect.js';
export { keepTokensFresh } from './refresh.js';
export { oktaLogout, oktaLogoutCallback, oktaLogoutCallbackHandler, oktaLogoutHandler } from './logout.js';
export { oktaAuthenticate } from './authenticate.js';
export { OktaBearerStrategy, requireScopes } from './bearer/strategy.js';
export { MemoryDPoPReplayStore } from './bearer/replay.js';
export { MemoryIntrospectionCache } from './bearer/introspection.js';
export { AccessTokenError, ReplayStoreFullError } from './bearer/errors.js';
export {
  OktaError,
  ConfigurationError,
  AuthorizationError,
  TokenError,
  ResponseError,
  RateLimitError,
  KeySetUnavailableError,
  RefreshUnavailableError,
  RequestError,
  IdTokenError,
  UserInfoError,
  StateError,
  StoreUnavailableError,
} from './errors.js';

export type {
  OktaStrategyOptions,
  OktaStrategyOptionsWithRequest,
  OktaAuthenticateOptions,
  OktaSuccessInfo,
  VerifyCallback,
  VerifyFunction,
  VerifyFunctionWithRequest,
  VerifyResult,
} from './strategy.js';
export type {
  OktaClientOptions,
  AuthorizationURLOptions,
  ValidateCodeOptions,
  RefreshOptions,
  TokenEndpointAuthMethod,
  UserInfo,
} from './client.js';
export type { OktaTokens, OktaRefreshedTokens } from './tokens.js';
export type { OktaProfile } from './profile.js';
export type { IdTokenClaims, IdTokenExpectations } from './id-token.js';
export type { OktaEndpoints } from './endpoints.js';
export type { OktaRequest } from './request.js';
export type { PendingLogin, StateStore, StateStoreContext } from './state/store.js';
export type { SessionStateStoreOptions } from './state/session.js';
export type { CookieStateStoreOptions } from './state/cookie.js';
export type { OAuthErrorFields, OktaErrorBody, RateLimit } from './errors.js';
export type { FetchLike } from './http.js';
export type { FailureChallenge } from './passport.js';
export type { KeepTokensFreshOptions, RefreshRefusal, StoredTokens } from './refresh.js';
export type {
  OktaLogoutOptions,
  OktaLogoutCallbackOptions,
  OktaLogoutHandlerOptions,
  OktaLogoutAnswer,
  LogoutTokens,
} from './logout.js';
export type { Middleware, HasOktaClient, SessionRequest } from './middleware.js';
export type { DPoPKeyPair } from './dpop.js';
export type { PrivateJWK } from './jwk.js';
export type { OktaPassportOptions, PassportAuthenticateOptions, PassportLike } from './authenticate.js';
export type {
  OktaBearerStrategyOptions,
  OktaBearerStrategyOptionsWithRequest,
  OktaBearerAuthInfo,
  BearerVerifyFunction,
  BearerVerifyFunctionWithRequest,
  DPoPMode,
  ScopeMiddleware,
} from './bearer/strategy.js';
export type { OktaAccessTokenClaims } from './bearer/access-token.js';
export type { DPoPReplayStore, MemoryDPoPReplayStoreOptions } from './bearer/replay.js';
export type { IntrospectionCache, MemoryIntrospectionCacheOptions } from './bearer/introspection.js';
export type { BearerErrorCode } from './bearer/errors.js';

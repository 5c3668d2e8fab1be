export { OktaStrategy } from './sign-in/strategy.js';
export { OktaClient } from './client/client.js';
export { SessionStateStore } from './sign-in/state/session.js';
export { CookieStateStore } from './sign-in/state/cookie.js';
export { safeRedirectPath } from './app/redirect.js';
export { keepTokensFresh } from './app/refresh.js';
export { oktaLogout, oktaLogoutCallback, oktaLogoutCallbackHandler, oktaLogoutHandler } from './app/logout.js';
export { oktaAuthenticate } from './app/authenticate.js';
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
} from './core/errors.js';

export type {
  OktaStrategyOptions,
  OktaStrategyOptionsWithRequest,
  OktaAuthenticateOptions,
  OktaSuccessInfo,
  VerifyCallback,
  VerifyFunction,
  VerifyFunctionWithRequest,
  VerifyResult,
} from './sign-in/strategy.js';
export type {
  OktaClientOptions,
  AuthorizationURLOptions,
  ValidateCodeOptions,
  RefreshOptions,
  TokenEndpointAuthMethod,
  UserInfo,
} from './client/client.js';
export type { OktaTokens, OktaRefreshedTokens } from './client/tokens.js';
export type { OktaProfile } from './sign-in/profile.js';
export type { IdTokenClaims, IdTokenExpectations } from './client/id-token.js';
export type { OktaEndpoints } from './core/endpoints.js';
export type { OktaRequest } from './passport/request.js';
export type { PendingLogin, StateStore, StateStoreContext } from './sign-in/state/store.js';
export type { SessionStateStoreOptions } from './sign-in/state/session.js';
export type { CookieStateStoreOptions } from './sign-in/state/cookie.js';
export type { OAuthErrorFields, OktaErrorBody, RateLimit } from './core/errors.js';
export type { FetchLike } from './core/http.js';
export type { FailureChallenge } from './passport/strategy-base.js';
export type { KeepTokensFreshOptions, RefreshRefusal, StoredTokens } from './app/refresh.js';
export type {
  OktaLogoutOptions,
  OktaLogoutCallbackOptions,
  OktaLogoutHandlerOptions,
  OktaLogoutAnswer,
  LogoutTokens,
} from './app/logout.js';
export type { Middleware } from './passport/response.js';
export type { HasOktaClient, SessionRequest } from './app/session.js';
export type { DPoPKeyPair } from './client/dpop.js';
export type { PrivateJWK } from './core/jwk.js';
export type { OktaPassportOptions, PassportAuthenticateOptions, PassportLike } from './app/authenticate.js';
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

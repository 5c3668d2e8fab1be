// "passport-okta-oidc/bearer": protecting an API with Okta access tokens.
export { OktaBearerStrategy } from './bearer/strategy.js';
export { oktaBearer } from './bearer/middleware.js';
export { requireScopes } from './bearer/scopes.js';
export { requireGroups, requireClaims, requireAcr } from './bearer/claim-guards.js';
export { MemoryDPoPReplayStore } from './bearer/replay.js';
export { MemoryIntrospectionCache } from './bearer/introspection.js';
export * as errors from './core/errors.js';

export type { OktaErrorCode, BearerErrorCode } from './core/errors.js';
export type {
  OktaBearerStrategyOptions,
  OktaBearerStrategyOptionsWithRequest,
  OktaBearerIssuersOptions,
  OktaBearerIssuer,
  OktaBearerIssuerResolver,
  OktaBearerAuthInfo,
  BearerVerifyFunction,
  BearerVerifyFunctionWithRequest,
  DPoPMode,
} from './bearer/options.js';
export type { ScopeMiddleware } from './bearer/scopes.js';
export type { OktaBearerMiddleware, OktaBearerDecision, OktaBearerRequest } from './bearer/middleware.js';
export type { ClaimRule, RequireGroupsOptions } from './core/claims.js';
export type { OktaAccessTokenClaims } from './bearer/access-token.js';
export type { DPoPReplayStore, MemoryDPoPReplayStoreOptions } from './bearer/replay.js';
export type { IntrospectionCache, MemoryIntrospectionCacheOptions } from './bearer/introspection.js';
export type { VerifyCallback } from './passport/verify.js';

// The package's root: signing users in with Okta. APIs: "passport-okta-oidc/bearer";
// the protocol client alone: "passport-okta-oidc/client". Every error class is in `errors`,
// from each entry point.
export { OktaStrategy } from './sign-in/strategy.js';
export { SessionStateStore } from './sign-in/state/session.js';
export { CookieStateStore } from './sign-in/state/cookie.js';
export { safeRedirectPath } from './app/redirect.js';
export { keepTokensFresh } from './app/refresh.js';
export { oktaLogout } from './app/logout.js';
export { oktaAuthenticate } from './app/authenticate.js';
export { oktaSession } from './app/okta-session.js';
export { MemoryRevocationStore } from './app/revocation.js';
export * as errors from './core/errors.js';
export { diagnosticsChannels } from './core/diagnostics.js';
export type { DiagnosticsMessages } from './core/diagnostics.js';

export type { OktaErrorCode } from './core/errors.js';
export type {
  OktaStrategyOptions,
  OktaStrategyOptionsWithRequest,
  OktaTenantStrategyOptions,
  OktaAuthenticateOptions,
  OktaSuccessInfo,
  VerifyCallback,
  VerifyFunction,
  VerifyFunctionWithRequest,
} from './sign-in/options.js';
export type { OktaProfile } from './sign-in/profile.js';
export type { OktaTokens } from './client/tokens.js';
export type { IdTokenClaims } from './client/id-token.js';
export type { PendingLogin, StateStore, StateStoreContext, TenantKey } from './sign-in/state/store.js';
export type { TenantConfig, TenantResolver } from './sign-in/tenant-types.js';
export type { SessionStateStoreOptions } from './sign-in/state/session.js';
export type { CookieStateStoreOptions } from './sign-in/state/cookie.js';
export type { KeepTokensFreshOptions, StoredTokens } from './app/refresh.js';
export type { OktaLogout, OktaLogoutOptions, OktaLogoutAnswer } from './app/logout.js';
export type { OktaPassportOptions } from './app/authenticate.js';
export type {
  OktaSession,
  OktaSessionOptions,
  OktaSessionPassport,
  OktaGuard,
  OktaSessionCheck,
} from './app/okta-session-types.js';
export type { OktaGuardDecision, OktaSignInOptions, OktaSignInState } from './app/guards.js';
export type { OktaAnswer, OktaRefusal, OktaRefusalReason } from './app/answers.js';
export type { OktaSignInSettlement } from './app/sign-in-result.js';
export type { LifetimeDecision, SessionEndReason } from './app/lifetime.js';
export type { ClaimRule, RequireGroupsOptions } from './core/claims.js';
export type { RevocationStore, MemoryRevocationStoreOptions, Revocation } from './app/revocation.js';
export type { OktaLogoutReceiver, ReceiverBodyOptions, ReceiverJwtOptions } from './app/logout-receiver.js';
export type { UniversalLogoutOptions } from './app/universal-logout.js';
export type { BackChannelLogoutOptions } from './app/backchannel-logout.js';
export type { FrontChannelLogoutOptions } from './app/frontchannel-logout.js';

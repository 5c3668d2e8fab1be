import type { OktaRequest } from '../../passport/request.js';

/**
 * A sign-in between its start (the redirect to Okta) and its callback. It holds
 * secrets (the PKCE verifier) and must only be readable by the server.
 */
export interface PendingLogin {
  /** The `state` sent to Okta: at least 128 random bits, the key of this entry. */
  state: string;
  /** PKCE code verifier (RFC 7636). */
  codeVerifier: string;
  /** OpenID Connect nonce the ID token must echo. */
  nonce: string;
  /** The redirect URI sent to Okta, sent again with the code. */
  redirectURI: string;
  /** Name of the strategy that started the sign-in. */
  strategy: string;
  /** Issuer of the Okta authorization server the sign-in was sent to. */
  issuer: string;
  /** Epoch milliseconds after which the callback is refused. */
  expiresAt: number;
  /** `max_age` asked for, in seconds, if any. */
  maxAge?: number | undefined;
  /** `acr_values` asked for, if any. */
  acrValues?: string | undefined;
  /** How Okta returns to the callback: `query` (a GET) or `form_post` (a cross-site POST). */
  responseMode?: 'query' | 'form_post' | undefined;
  /** Application data given as the `state` option, returned as `info.state`. */
  appState?: unknown;
  /**
   * The Okta org (tenant) the sign-in was started with, when the strategy chooses one per
   * sign-in (its `tenant` option): the callback finishes with this tenant and no other.
   */
  tenant?: TenantKey | undefined;
}

/** Which tenant a sign-in was started with: its issuer and the app's client id there. */
export interface TenantKey {
  issuer: string;
  clientID: string;
}

/** Which strategy is asking a store for a pending login. */
export interface StateStoreContext {
  strategy: string;
  /** The strategy's issuer; empty when `tenants` is set. */
  issuer: string;
  /**
   * Set when the strategy chooses its Okta org per sign-in (its `tenant` option): any
   * issuer may then come back, and the strategy checks the login's `issuer` and `tenant`.
   */
  tenants?: true | undefined;
}

/**
 * Where pending logins are kept between the redirect to Okta and the callback. The
 * default keeps them in the session; implement this to keep them elsewhere (a cookie,
 * a database, a cache).
 *
 * @example
 * ```ts
 * const pending = new Map<string, PendingLogin>()
 * const store: StateStore = {
 *   save: (_req, login) => { pending.set(login.state, login) },
 *   take: (_req, state) => { const l = pending.get(state); pending.delete(state); return l },
 * }
 * ```
 */
export interface StateStore {
  /** Keeps `login` until its callback. May throw to refuse (the strategy reports an error). */
  save(req: OktaRequest, login: PendingLogin): void | Promise<void>;
  /**
   * Removes and returns the pending login for `state`, or `undefined` if there is none.
   * It must never return the same entry twice: that is what stops a replayed callback.
   */
  take(req: OktaRequest, state: string, context: StateStoreContext): PendingLogin | undefined | Promise<PendingLogin | undefined>;
}

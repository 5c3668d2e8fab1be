import type { TokenEndpointAuthMethod } from '../core/client-auth.js';
import type { PrivateJWK } from '../core/jwk.js';
import type { OktaRequest } from '../passport/request.js';
import type { TenantKey } from './state/store.js';

export type { TenantKey } from './state/store.js';

/**
 * One Okta org (tenant) an {@link OktaStrategy} signs users in with, as its `tenant`
 * resolver returns it. Checked like the strategy's own options (an https `oktaDomain`, a
 * client id, the credentials of its `tokenEndpointAuthMethod`...); what it leaves out
 * (`timeout`, `fetch`, `dpop`...) comes from the strategy's options.
 */
export interface TenantConfig {
  /** `https://acme.okta.com` or `acme.okta.com`. */
  oktaDomain: string;
  /** Custom authorization server id (e.g. `default`); omit for the org authorization server. */
  authServerId?: string | undefined;
  /** The `iss` of the org's tokens when it is not the endpoints' URL (as the strategy's `issuer` option). */
  issuer?: string | undefined;
  /** The app's client id in this org. */
  clientID: string;
  /** Its client secret (not needed for `private_key_jwt` or `none`). */
  clientSecret?: string | undefined;
  /** How the client authenticates to this org's token endpoint. Default `client_secret_basic`. */
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod | undefined;
  /** For `private_key_jwt`: a private JWK with `kid`, or a PKCS#8 PEM (then give `privateKeyId`). */
  privateKey?: PrivateJWK | string | undefined;
  privateKeyId?: string | undefined;
  /** Scopes for this org's sign-ins instead of the strategy's `scope`. */
  scope?: string | readonly string[] | undefined;
  /**
   * This org's own callback (a path, or an absolute URL), registered as the redirect URI of
   * the app in this org only, e.g. `/auth/okta/callback/acme`. Required unless the strategy
   * sets `requireIss: true` (Okta does not send `iss`): without `iss`, the callback's path is
   * what tells which org sent the user back (RFC 9700 §4.4.2). Default: the strategy's `callbackURL`.
   */
  callbackURL?: string | undefined;
}

/**
 * Chooses the Okta org of a sign-in: from the request's host or path, a form field or the
 * session. Return `undefined` for a request that names no org the app knows (the sign-in
 * then ends in an `UnknownTenantError`, 400, before any request to Okta).
 *
 * At the callback the org is the one the sign-in was started with, and nothing in the
 * callback request can change it. The resolver is asked again only when the strategy no
 * longer holds that org (after `maxTenants` others, or on another instance): `pending` then
 * names it, and the answer must be that org (same issuer and client id) or `undefined`.
 *
 * @example
 * ```ts
 * const tenant: TenantResolver = (req, pending) =>
 *   pending ? orgs.byIssuer(pending.issuer) : orgs.byHost(req.headers.host)
 * ```
 */
export type TenantResolver = (
  req: OktaRequest,
  pending?: TenantKey,
) => TenantConfig | undefined | Promise<TenantConfig | undefined>;

/** What a {@link TenantConfig} gives per Okta org, instead of the strategy's options. */
export type TenantOwnedOption =
  | 'oktaDomain'
  | 'authServerId'
  | 'issuer'
  | 'clientID'
  | 'clientSecret'
  | 'tokenEndpointAuthMethod'
  | 'privateKey'
  | 'privateKeyId';

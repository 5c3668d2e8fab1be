import { checkServer } from './check.js';
import { ClientAuthenticator } from '../core/client-auth.js';
import { DPoPProver } from './dpop.js';
import { ConfigurationError, ResponseError } from '../core/errors.js';
import type { OktaEndpoints } from '../core/endpoints.js';
import type { HttpSettings } from '../core/http.js';
import {
  verifyIdToken,
  type ClientJwtContext,
  type IdTokenClaims,
  type IdTokenExpectations,
  type IdTokenSettings,
} from './id-token.js';
import { clientKeyStore } from '../core/key-cache.js';
import type { KeyStore } from '../core/keys.js';
import { resolveClientOptions, type OktaClientOptions } from './options.js';
import { AuthorizeRequest, type AuthorizationURLOptions } from './authorize.js';
import { ClientRequests } from './requests.js';
import { fetchUserInfo, type UserInfo } from './userinfo.js';
import type { ApiGrantSettings, OktaAccessToken } from './api-tokens.js';
import { ClientCredentialsGrant, type ClientCredentialsOptions } from './client-credentials.js';
import { TokenExchangeGrant, type OktaExchangedToken, type TokenExchangeOptions } from './token-exchange.js';
import type { OktaRefreshedTokens, OktaTokens, RefreshOptions, ValidateCodeOptions } from './tokens.js';

export type { TokenEndpointAuthMethod } from '../core/client-auth.js';
export type { OktaClientOptions } from './options.js';
export type { AuthorizationURLOptions } from './authorize.js';
export type { ValidateCodeOptions, RefreshOptions } from './tokens.js';
export type { UserInfo } from './userinfo.js';

/**
 * A client for one Okta authorization server. It keeps the API of Arctic's `Okta`
 * provider and adds what a relying party needs: a verified ID token, userinfo, token
 * revocation and logout.
 *
 * @example
 * ```ts
 * const okta = new OktaClient('https://acme.okta.com', clientId, clientSecret,
 *   'https://app.example/callback', { authServerId: 'default' })
 * const url = await okta.createAuthorizationURL(state, codeVerifier, { scopes: ['profile'] })
 * const tokens = await okta.validateAuthorizationCode(code, codeVerifier)
 * ```
 */
export class OktaClient {
  readonly endpoints: OktaEndpoints;
  readonly clientId: string;
  private readonly dpop: DPoPProver | undefined;
  private readonly http: HttpSettings;
  private readonly idTokenSettings: IdTokenSettings;
  private readonly keys: KeyStore;
  /** This client's key cache and JWT settings, lent to the logout receivers. @internal */
  readonly jwt: ClientJwtContext;
  private readonly now: () => number;
  private readonly requests: ClientRequests;
  private readonly authorize: AuthorizeRequest;
  private readonly clientCredentials: ClientCredentialsGrant;
  private readonly tokenExchange: TokenExchangeGrant;

  constructor(
    oktaDomain: string,
    clientId: string,
    clientSecret: string | null | undefined,
    redirectURI: string,
    options: OktaClientOptions = {},
  ) {
    const settings = resolveClientOptions(oktaDomain, clientId, clientSecret, redirectURI, options);
    this.endpoints = settings.endpoints;
    this.clientId = settings.clientId;
    this.now = settings.now;
    const { clientSecret: secret, privateKey, privateKeyId, now } = settings;
    const auth = new ClientAuthenticator({
      method: settings.authMethod,
      clientId,
      clientSecret: secret,
      privateKey,
      privateKeyId,
      now,
    });
    this.dpop = settings.dpop === undefined ? undefined : new DPoPProver(settings.dpop, settings.now);
    this.http = settings.http;
    this.requests = new ClientRequests({ ...settings, auth, dpop: this.dpop });
    const apiGrants: ApiGrantSettings = { ...settings, requests: this.requests, hasDPoP: this.dpop !== undefined };
    this.clientCredentials = new ClientCredentialsGrant(apiGrants);
    this.tokenExchange = new TokenExchangeGrant(apiGrants);
    const pushed = settings.pushed ? this.requests : undefined;
    this.authorize = new AuthorizeRequest(settings.endpoints, settings.clientId, settings.redirectURI, pushed);
    this.idTokenSettings = {
      issuer: settings.endpoints.issuer,
      clientId: settings.clientId,
      algorithms: settings.algorithms,
      clockTolerance: settings.clockTolerance,
      trustedAudiences: settings.trustedAudiences,
      now: settings.now,
    };
    const keyStore = { cooldown: settings.jwksCooldown, maxAge: settings.jwksMaxAge, now: settings.now };
    this.keys = clientKeyStore(settings.http, settings.keysURL, keyStore);
    this.jwt = { keys: this.keys, keysURL: settings.keysURL, idToken: this.idTokenSettings, http: settings.http, keyStore };
  }

  /**
   * The issuer ID tokens must carry: the `issuer` option, else `https://{domain}` or
   * `https://{domain}/oauth2/{authServerId}`.
   */
  get issuer(): string {
    return this.endpoints.issuer;
  }

  /**
   * Builds the `/v1/authorize` URL of the authorization code flow with PKCE S256
   * (RFC 7636 §4.3). `openid` is always among the scopes.
   *
   * @example
   * ```ts
   * const url = await okta.createAuthorizationURL(state, codeVerifier, { scopes: ['profile', 'email'], nonce })
   * res.redirect(url.toString())
   * ```
   */
  createAuthorizationURL(state: string, codeVerifier: string, options: AuthorizationURLOptions = {}): Promise<URL> {
    return this.authorize.create(state, codeVerifier, options);
  }

  /**
   * {@link createAuthorizationURL} as a string, synchronous unless the parameters are
   * pushed (PAR). `extraParams` are taken as given: the strategy checked them.
   *
   * @internal
   */
  authorizationURL(state: string, codeVerifier: string, options: AuthorizationURLOptions = {}): string | Promise<string> {
    return this.authorize.string(state, codeVerifier, options);
  }

  /**
   * Exchanges an authorization code for tokens (RFC 6749 §4.1.3, RFC 7636 §4.5) and
   * verifies the ID token.
   *
   * @throws {TokenError} Okta refused the code (`invalid_grant`) or the client (`invalid_client`).
   * @throws {RateLimitError} Okta answered 429.
   * @throws {ResponseError} Okta answered something else unexpected.
   * @throws {RequestError} The request failed or timed out.
   * @throws {IdTokenError} The ID token failed a check.
   */
  async validateAuthorizationCode(code: string, codeVerifier: string, options: ValidateCodeOptions = {}): Promise<OktaTokens> {
    return (await this.redeemAuthorizationCode(code, codeVerifier, options)).tokens;
  }

  /**
   * Like {@link validateAuthorizationCode}, and also returns the verified ID token claims
   * (the strategy's way in; apps use `validateAuthorizationCode`).
   *
   * @internal
   */
  async redeemAuthorizationCode(
    code: string,
    codeVerifier: string,
    options: ValidateCodeOptions = {},
  ): Promise<{ tokens: OktaTokens; claims: IdTokenClaims }> {
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      code_verifier: codeVerifier,
      redirect_uri: this.authorize.resolve(options.redirectURI),
    });
    // With no key set yet, it is fetched while Okta answers the token request, not after.
    const warming = this.keys.warm();
    try {
      const tokens = await this.requests.token(this.endpoints.token, form, ['openid'], [code, codeVerifier]);
      if (tokens.idToken === null) {
        throw new ResponseError("Okta's token endpoint answered without an id_token although openid was asked", 200);
      }
      const { nonce, maxAge, acrValues } = options;
      const claims = await this.verifyIdToken(tokens.idToken, { nonce, maxAge, acrValues });
      return { tokens: { ...tokens, idToken: tokens.idToken, subject: claims.sub, authTime: claims.auth_time ?? null }, claims };
    } finally {
      this.keys.unwarm(warming); // a sign-in that did not get to its key leaves the fetch to nobody
    }
  }

  /**
   * Gets new tokens with a refresh token (RFC 6749 §6). `scope` is sent only when
   * `scopes` is given. A new ID token, if any, is verified (without nonce), must name
   * `subject` when given, and carry an `auth_time` no earlier than `minAuthTime` when given
   * (pass the sign-in's {@link OktaTokens.subject} and {@link OktaTokens.authTime}).
   *
   * @throws {IdTokenError} The new ID token failed a check, e.g. it is for another user.
   */
  async refreshAccessToken(refreshToken: string, options: RefreshOptions = {}): Promise<OktaRefreshedTokens> {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
    if (options.scopes !== undefined) form.set('scope', options.scopes.join(' '));
    const tokens = await this.requests.token(this.endpoints.token, form, options.scopes ?? [], [refreshToken]);
    if (tokens.idToken !== null) {
      await this.verifyIdToken(tokens.idToken, { subject: options.subject, minAuthTime: options.minAuthTime });
    }
    return tokens;
  }

  /**
   * A token for the client itself, to call an API (client credentials, RFC 6749 §4.4), with
   * the client authentication and DPoP of this client. Cached per scopes (and DPoP) until 60 s,
   * or a tenth of its lifetime, before it expires; concurrent calls share one request.
   * See docs/downstream-apis.md.
   *
   * @throws {TokenError} Okta refused, e.g. `invalid_scope` or `invalid_client`; 429, outages: as the other grants.
   * @example
   * ```ts
   * const { accessToken } = await okta.getClientCredentialsToken({ scopes: ['orders:read'] })
   * ```
   */
  getClientCredentialsToken(options: ClientCredentialsOptions): Promise<OktaAccessToken> {
    return this.clientCredentials.token(options);
  }

  /**
   * Exchanges a user's access token for one of a downstream API, on the user's behalf
   * (Okta's On-Behalf-Of Token Exchange, RFC 8693), at this client's custom authorization
   * server. Cached like {@link getClientCredentialsToken}, per user token (by its hash),
   * audience and scopes, and never past the user token's `exp`. See docs/downstream-apis.md.
   *
   * @throws {ConfigurationError} on the org authorization server, which has no token exchange.
   * @throws {TokenError} Okta refused, e.g. `invalid_grant` for an expired user token.
   */
  exchangeToken(options: TokenExchangeOptions): Promise<OktaExchangedToken> {
    return this.tokenExchange.token(options);
  }

  /**
   * Revokes an access or refresh token (RFC 7009). Revoking a refresh token also
   * revokes the access tokens issued with it.
   */
  async revokeToken(token: string, tokenTypeHint?: 'access_token' | 'refresh_token'): Promise<void> {
    const form = new URLSearchParams({ token });
    if (tokenTypeHint !== undefined) form.set('token_type_hint', tokenTypeHint);
    const what = 'revoke endpoint';
    const answer = await this.requests.post(this.endpoints.revoke, form, what, false);
    if (answer.status !== 200) throw this.requests.failure(answer, what, [token]);
  }

  /**
   * Reads the user's claims from `/v1/userinfo` (OpenID Connect Core §5.3).
   * See https://developer.okta.com/docs/reference/api/oidc/#userinfo
   *
   * @throws {TokenError} Okta refused the access token: 401 `invalid_token`, or 403
   * `insufficient_scope` when it grants none of `profile`, `email`, `address`, `phone`. Okta
   * says so in `WWW-Authenticate` (RFC 6750 §3), whose `error` and `error_description`
   * become the error's `error` and `description`.
   */
  fetchUserInfo(accessToken: string): Promise<UserInfo> {
    const { http, dpop, requests, now } = this;
    return fetchUserInfo({ http, url: this.endpoints.userinfo, dpop, requests, now }, accessToken);
  }

  /**
   * A DPoP proof (RFC 9449 §4) by this client's key, for calling a resource server with a
   * DPoP-bound access token: send `Authorization: DPoP <accessToken>` and `DPoP: <proof>`.
   * A proof is good for one request (`htm` + `htu`, a unique `jti`); `accessToken` binds it
   * to that token (`ath`).
   *
   * @throws {ConfigurationError} when the client was made without `dpop`.
   * @example
   * ```ts
   * const proof = await strategy.client.createDPoPProof('GET', 'https://api.example.com/orders', tokens.accessToken)
   * await fetch('https://api.example.com/orders', { headers: { authorization: `DPoP ${tokens.accessToken}`, dpop: proof } })
   * ```
   */
  createDPoPProof(method: string, url: string | URL, accessToken?: string): Promise<string> {
    if (!this.dpop) return Promise.reject(new ConfigurationError('createDPoPProof needs the dpop option'));
    return this.dpop.proof(method.toUpperCase(), String(url), accessToken);
  }

  /**
   * Builds the `/v1/logout` URL that ends the user's Okta session (RP-initiated logout).
   * See https://developer.okta.com/docs/reference/api/oidc/#logout
   */
  logoutURL(options: { idTokenHint: string; postLogoutRedirectURI?: string | undefined; state?: string | undefined }): URL {
    const url = new URL(this.endpoints.logout);
    url.searchParams.set('id_token_hint', options.idTokenHint);
    if (options.postLogoutRedirectURI !== undefined)
      url.searchParams.set('post_logout_redirect_uri', options.postLogoutRedirectURI);
    if (options.state !== undefined) url.searchParams.set('state', options.state);
    return url;
  }

  /**
   * Checks the settings against Okta now: fetches the key set and, for a custom
   * authorization server, its discovery document, whose issuer must be {@link issuer}.
   *
   * @throws {ConfigurationError} A setting is probably wrong: the message names `oktaDomain`,
   * `authServerId` or the network. Okta's own failures (5xx, 429) keep their class.
   */
  check(): Promise<void> {
    return checkServer({ http: this.http, endpoints: this.endpoints, issuer: this.issuer, keys: this.keys, now: this.now });
  }

  /** Verifies an ID token issued to this client (signature, iss, aud, azp, exp, iat, and what `expect` names). */
  verifyIdToken(idToken: string, expect: IdTokenExpectations = {}): Promise<IdTokenClaims> {
    return verifyIdToken(idToken, this.keys, this.idTokenSettings, expect);
  }
}

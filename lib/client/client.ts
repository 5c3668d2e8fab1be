import { checkServer } from './check.js';
import { BoundedCache } from '../core/cache.js';
import { ClientAuthenticator } from '../core/client-auth.js';
import { DPoPProver } from './dpop.js';
import { ConfigurationError, ResponseError, UserInfoError } from '../core/errors.js';
import type { OktaEndpoints } from '../core/endpoints.js';
import { failureFrom, parseJSONObject, send, type HttpAnswer, type HttpSettings } from '../core/http.js';
import { challengeFailure } from '../core/www-authenticate.js';
import { verifyIdToken, type IdTokenClaims, type IdTokenExpectations, type IdTokenSettings } from './id-token.js';
import { clientKeyStore } from '../core/key-cache.js';
import type { KeyStore } from '../core/keys.js';
import { resolveClientOptions, type OktaClientOptions } from './options.js';
import { checkExtraParams } from './authorize-params.js';
import { codeChallengeS256 } from '../core/random.js';
import { readTokenResponse, type OktaRefreshedTokens, type OktaTokens } from './tokens.js';

export type { TokenEndpointAuthMethod } from '../core/client-auth.js';
export type { OktaClientOptions } from './options.js';

/** Parameters of the authorization request beyond state and PKCE. */
export interface AuthorizationURLOptions {
  /** Scopes to ask for; `openid` is always included, once. */
  scopes?: readonly string[] | undefined;
  /** OpenID Connect nonce, echoed in the ID token. */
  nonce?: string | undefined;
  /** `none`, `login`, `consent`, or `login consent`. */
  prompt?: string | undefined;
  /** Pre-fills the username on Okta's sign-in page. */
  loginHint?: string | undefined;
  /** Seconds since the user's last authentication beyond which Okta asks again. */
  maxAge?: number | undefined;
  /** Requested authentication context class, e.g. `urn:okta:loa:2fa:any`. */
  acrValues?: string | undefined;
  /** Okta identity provider id to route the sign-in to. */
  idp?: string | undefined;
  /** An Okta session token (from the Authentication API) to sign in without the login page. */
  sessionToken?: string | undefined;
  /** `query` (default) or `form_post`. */
  responseMode?: 'query' | 'form_post' | undefined;
  /** Overrides the client's redirect URI for this request. */
  redirectURI?: string | undefined;
  /**
   * More authorization request parameters Okta understands (`ui_locales`, `display`,
   * `idp_scope`, `enroll_amr_values`, `request`...), sent after the client's own. Names the
   * protocol owns (`state`, `nonce`, `scope`, `redirect_uri`, `max_age`...) are refused with a
   * {@link ConfigurationError}. See https://developer.okta.com/docs/api/openapi/okta-oauth/oauth/tag/CustomAS/#tag/CustomAS/operation/authorizeCustomAS
   */
  extraParams?: Readonly<Record<string, string>> | undefined;
}

/** What the code exchange must check beyond the fixed ID token checks. */
export interface ValidateCodeOptions extends Pick<IdTokenExpectations, 'nonce' | 'maxAge' | 'acrValues'> {
  /** The redirect URI used in the authorization request, if not the client's. */
  redirectURI?: string | undefined;
}

/** Options of {@link OktaClient.refreshAccessToken}. */
export interface RefreshOptions {
  /** Scopes to ask for (sent as `scope`); default: those of the original grant. */
  scopes?: readonly string[] | undefined;
  /** The `sub` a new ID token must name: the signed-in user's. */
  subject?: string | undefined;
  /** Seconds since the epoch: a new ID token's `auth_time` must be present and not earlier. */
  minAuthTime?: number | undefined;
}

/** Claims from `/v1/userinfo`. */
export interface UserInfo {
  sub: string;
  [claim: string]: unknown;
}

/**
 * Authorization request parameters that must not show up in an error: one-time values
 * (state, nonce, PKCE challenge), a session token that signs the user in, and the
 * user's login hint (personal data). Client credentials are scrubbed separately.
 */
const PAR_SENSITIVE = ['state', 'nonce', 'code_challenge', 'sessionToken', 'login_hint'] as const;

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
  private readonly clientSecret: string | undefined;
  private readonly redirectURI: string;
  private readonly auth: ClientAuthenticator;
  private readonly dpop: DPoPProver | undefined;
  private readonly pushed: boolean;
  private readonly http: HttpSettings;
  private readonly idTokenSettings: IdTokenSettings;
  private readonly keys: KeyStore;
  private readonly now: () => number;
  /** What the authorize URL reuses; an object of its own, so that copies of the client share it. */
  private readonly cache: {
    authorizePrefix?: string;
    redirectURIs: BoundedCache<string, string>;
    scopes: WeakMap<readonly string[], string>;
  } = { redirectURIs: new BoundedCache({ maxEntries: 64 }), scopes: new WeakMap() };

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
    this.clientSecret = settings.clientSecret;
    this.redirectURI = settings.redirectURI;
    this.now = settings.now;
    this.auth = new ClientAuthenticator({
      method: settings.authMethod,
      clientId: settings.clientId,
      clientSecret: settings.clientSecret,
      privateKey: settings.privateKey,
      privateKeyId: settings.privateKeyId,
      now: settings.now,
    });
    this.dpop = settings.dpop === undefined ? undefined : new DPoPProver(settings.dpop, settings.now);
    this.pushed = settings.pushed;
    this.http = settings.http;
    this.idTokenSettings = {
      issuer: settings.endpoints.issuer,
      clientId: settings.clientId,
      algorithms: settings.algorithms,
      clockTolerance: settings.clockTolerance,
      trustedAudiences: settings.trustedAudiences,
      now: settings.now,
    };
    this.keys = clientKeyStore(settings.http, settings.keysURL, {
      cooldown: settings.jwksCooldown,
      maxAge: settings.jwksMaxAge,
      now: settings.now,
    });
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
  async createAuthorizationURL(state: string, codeVerifier: string, options: AuthorizationURLOptions = {}): Promise<URL> {
    const checked = { ...options, extraParams: checkExtraParams(options.extraParams, 'createAuthorizationURL') };
    if (!this.pushed) return new URL(this.authorizationURLString(state, codeVerifier, checked));
    const params = new URLSearchParams([
      ['response_type', 'code'],
      ['client_id', this.clientId],
      ['redirect_uri', this.resolveRedirectURI(options.redirectURI)],
      ['scope', withOpenId(options.scopes).join(' ')],
      ...this.authorizeParams(state, codeVerifier, checked),
    ]);
    return this.pushAuthorizationRequest(params);
  }

  /**
   * {@link createAuthorizationURL} as a string, built without `URL` and `URLSearchParams`
   * objects: a fixed prefix, then the same parameters in the same order and encoding.
   * Synchronous unless the parameters are pushed (PAR). `extraParams` are taken as given:
   * the strategy checked them.
   *
   * @internal
   */
  authorizationURL(state: string, codeVerifier: string, options: AuthorizationURLOptions = {}): string | Promise<string> {
    if (this.pushed) return this.createAuthorizationURL(state, codeVerifier, options).then((url) => url.toString());
    return this.authorizationURLString(state, codeVerifier, options);
  }

  private authorizationURLString(state: string, codeVerifier: string, options: AuthorizationURLOptions): string {
    let url = `${this.authorizePrefix}${this.encodedRedirectURI(options.redirectURI)}&scope=${this.encodedScopes(options.scopes)}`;
    // The redirect URI and scope come encoded from a cache; the rest as URLSearchParams would encode it.
    for (const [name, value] of this.authorizeParams(state, codeVerifier, options)) url += `&${name}=${formValue(value)}`;
    return url;
  }

  /**
   * The authorization request's parameters after `response_type`, `client_id`,
   * `redirect_uri` and `scope`, in order: the one list both the URL and the PAR form are made of.
   */
  private authorizeParams(state: string, codeVerifier: string, options: AuthorizationURLOptions): Array<[string, string]> {
    const params: Array<[string, string]> = [
      ['state', state],
      ['code_challenge', codeChallengeS256(codeVerifier)],
      ['code_challenge_method', 'S256'],
    ];
    if (options.nonce !== undefined) params.push(['nonce', options.nonce]);
    if (options.responseMode !== undefined && options.responseMode !== 'query')
      params.push(['response_mode', options.responseMode]);
    if (options.prompt !== undefined) params.push(['prompt', options.prompt]);
    if (options.loginHint !== undefined) params.push(['login_hint', options.loginHint]);
    if (options.maxAge !== undefined) params.push(['max_age', String(options.maxAge)]);
    if (options.acrValues !== undefined) params.push(['acr_values', options.acrValues]);
    if (options.idp !== undefined) params.push(['idp', options.idp]);
    if (options.sessionToken !== undefined) params.push(['sessionToken', options.sessionToken]);
    if (options.extraParams !== undefined)
      for (const [name, value] of Object.entries(options.extraParams)) params.push([name, value]);
    return params;
  }

  /** `/v1/authorize?response_type=code&client_id=...&redirect_uri=`, the same for every request. */
  private get authorizePrefix(): string {
    return (this.cache.authorizePrefix ??= `${new URL(this.endpoints.authorize).href}?response_type=code&client_id=${formValue(this.clientId)}&redirect_uri=`);
  }

  /** The redirect URI checked and form-encoded, remembered for the few URIs an app uses (one per host). */
  private encodedRedirectURI(override: string | undefined): string {
    const uri = override ?? this.redirectURI;
    let encoded = this.cache.redirectURIs.get(uri);
    if (encoded === undefined) {
      encoded = formValue(this.resolveRedirectURI(uri));
      // Hosts come from requests: bounded, should a client send many.
      this.cache.redirectURIs.set(uri, encoded);
    }
    return encoded;
  }

  /** The `scope` parameter form-encoded, remembered per list (the strategy passes the same list each time). */
  private encodedScopes(scopes: readonly string[] | undefined): string {
    if (scopes === undefined) return formValue(withOpenId(scopes).join(' '));
    let encoded = this.cache.scopes.get(scopes);
    if (encoded === undefined) {
      encoded = formValue(withOpenId(scopes).join(' '));
      this.cache.scopes.set(scopes, encoded);
    }
    return encoded;
  }

  /**
   * RFC 9126: POSTs the parameters to `/v1/par` and returns the short authorize URL. An
   * error answer is scrubbed of every sensitive parameter sent, should Okta echo them.
   */
  private async pushAuthorizationRequest(params: URLSearchParams): Promise<URL> {
    const what = 'PAR endpoint';
    const answer = await this.post(this.endpoints.par, new URLSearchParams(params), what, false);
    if (answer.status !== 201 && answer.status !== 200) {
      const sent = PAR_SENSITIVE.flatMap((name) => params.getAll(name));
      throw failureFrom(answer, what, this.secrets(sent, answer), this.now());
    }
    const body = parseJSONObject(answer, what);
    if (typeof body.request_uri !== 'string' || body.request_uri === '') {
      throw new ResponseError(`Okta's ${what} answered without a request_uri`, answer.status);
    }
    const url = new URL(this.endpoints.authorize);
    url.searchParams.set('client_id', this.clientId);
    url.searchParams.set('request_uri', body.request_uri);
    return url;
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
      redirect_uri: this.resolveRedirectURI(options.redirectURI),
    });
    const tokens = await this.tokenRequest(form, ['openid'], [code, codeVerifier]);
    if (tokens.idToken === null) {
      throw new ResponseError("Okta's token endpoint answered without an id_token although openid was asked", 200);
    }
    const claims = await this.verifyIdToken(tokens.idToken, {
      nonce: options.nonce,
      maxAge: options.maxAge,
      acrValues: options.acrValues,
    });
    return {
      tokens: { ...tokens, idToken: tokens.idToken, subject: claims.sub, authTime: claims.auth_time ?? null },
      claims,
    };
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
    const tokens = await this.tokenRequest(form, options.scopes ?? [], [refreshToken]);
    if (tokens.idToken !== null) {
      await this.verifyIdToken(tokens.idToken, { subject: options.subject, minAuthTime: options.minAuthTime });
    }
    return tokens;
  }

  /**
   * Revokes an access or refresh token (RFC 7009). Revoking a refresh token also
   * revokes the access tokens issued with it.
   */
  async revokeToken(token: string, tokenTypeHint?: 'access_token' | 'refresh_token'): Promise<void> {
    const form = new URLSearchParams({ token });
    if (tokenTypeHint !== undefined) form.set('token_type_hint', tokenTypeHint);
    const what = 'revoke endpoint';
    const answer = await this.post(this.endpoints.revoke, form, what, false);
    if (answer.status !== 200) throw failureFrom(answer, what, this.secrets([token], answer), this.now());
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
  async fetchUserInfo(accessToken: string): Promise<UserInfo> {
    const what = 'userinfo endpoint';
    const url = this.endpoints.userinfo;
    const request = async (): Promise<HttpAnswer> => {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (this.dpop) {
        headers.authorization = `DPoP ${accessToken}`;
        headers.dpop = await this.dpop.proof('GET', url, accessToken);
      } else {
        headers.authorization = `Bearer ${accessToken}`;
      }
      return send(this.http, url, { method: 'GET', headers }, what);
    };
    let answer = await request();
    if (this.dpop?.observe(url, answer)) answer = await request();
    if (answer.status !== 200) {
      const secrets = this.secrets([accessToken]);
      throw challengeFailure(answer, what, secrets) ?? failureFrom(answer, what, secrets, this.now());
    }
    const contentType = answer.headers.get('content-type') ?? '';
    if (/application\/jwt/i.test(contentType)) {
      throw new ResponseError(`Okta's ${what} answered with a signed JWT; only JSON userinfo is supported`, 200);
    }
    const body = parseJSONObject(answer, what);
    if (typeof body.sub !== 'string' || body.sub === '') throw new UserInfoError(`Okta's ${what} answered without a sub`);
    return body as UserInfo;
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

  private async tokenRequest(
    form: URLSearchParams,
    requestedScopes: readonly string[],
    sent: string[],
  ): Promise<OktaRefreshedTokens> {
    const what = 'token endpoint';
    const answer = await this.post(this.endpoints.token, form, what, true);
    if (answer.status !== 200) throw failureFrom(answer, what, this.secrets(sent, answer), this.now());
    const tokens = readTokenResponse(parseJSONObject(answer, what), { status: answer.status, now: this.now(), requestedScopes });
    if (this.dpop && tokens.tokenType !== 'DPoP') {
      throw new ResponseError(`Okta's ${what} answered with a ${tokens.tokenType} token although DPoP was used`, answer.status);
    }
    return tokens;
  }

  /**
   * POSTs a form with the client's credentials (by one method, never two) and, when
   * `withDPoP`, a DPoP proof; retries once if the server asks for a DPoP nonce.
   */
  private async post(
    url: string,
    form: URLSearchParams,
    what: string,
    withDPoP: boolean,
  ): Promise<HttpAnswer & { sent: string[] }> {
    const sent: string[] = [];
    const dpop = withDPoP ? this.dpop : undefined;
    const attempt = async (): Promise<HttpAnswer> => {
      const body = new URLSearchParams(form);
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
      let applied = this.auth.apply(body, headers, url);
      if (!Array.isArray(applied)) applied = await applied;
      for (const secret of applied) sent.push(secret);
      if (dpop) headers.dpop = await dpop.proof('POST', url);
      return send(this.http, url, { method: 'POST', headers, body: body.toString() }, what);
    };
    let answer = await attempt();
    if (dpop?.observe(url, answer)) answer = await attempt();
    return { status: answer.status, headers: answer.headers, text: answer.text, sent };
  }

  /** What Okta's error text must be scrubbed of: the credentials sent with `answer`'s request, and `extra`. */
  private secrets(extra: string[], answer?: { sent: string[] }): string[] {
    const sent = answer?.sent ?? [];
    return this.clientSecret === undefined ? [...sent, ...extra] : [this.clientSecret, ...sent, ...extra];
  }

  private resolveRedirectURI(override: string | undefined): string {
    const uri = override ?? this.redirectURI;
    if (!URL.canParse(uri)) throw new ConfigurationError(`redirect URI "${uri}" must be an absolute URL`);
    return uri;
  }
}

/** A value as `URLSearchParams` encodes it (application/x-www-form-urlencoded). */
function formValue(value: string): string {
  // What URLSearchParams leaves as it is: most values here (tokens, client ids) are only that.
  if (/^[A-Za-z0-9*\-._]*$/.test(value)) return value;
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/** `openid` first, then the other scopes in order, each once. */
function withOpenId(scopes: readonly string[] = []): string[] {
  return [...new Set(['openid', ...scopes.flatMap((s) => s.split(' ')).filter(Boolean)])];
}

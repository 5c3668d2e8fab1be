import { BoundedCache } from '../core/cache.js';
import type { OktaEndpoints } from '../core/endpoints.js';
import { ConfigurationError, ResponseError } from '../core/errors.js';
import { parseJSONObject } from '../core/answers.js';
import { codeChallengeS256 } from '../core/random.js';
import { checkExtraParams } from './authorize-params.js';
import type { ClientRequests } from './requests.js';

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

/**
 * Authorization request parameters that must not show up in an error: one-time values
 * (state, nonce, PKCE challenge), a session token that signs the user in, and the
 * user's login hint (personal data). Client credentials are scrubbed separately.
 */
const PAR_SENSITIVE = ['state', 'nonce', 'code_challenge', 'sessionToken', 'login_hint'] as const;

/**
 * The authorization request of the code flow with PKCE S256 (RFC 6749 §4.1.1, RFC 7636
 * §4.3): one list of parameters, written into the `/v1/authorize` URL or pushed to
 * `/v1/par` first (RFC 9126).
 */
export class AuthorizeRequest {
  private prefix: string | undefined;
  /** The few redirect URIs an app uses (one per host), checked and encoded; bounded: hosts come from requests. */
  private readonly redirectURIs = new BoundedCache<string, string>({ maxEntries: 64 });
  /** The `scope` parameter encoded, per list (the strategy passes the same list each time). */
  private readonly scopes = new WeakMap<readonly string[], string>();

  constructor(
    private readonly endpoints: OktaEndpoints,
    private readonly clientId: string,
    private readonly redirectURI: string,
    private readonly pushed: ClientRequests | undefined,
  ) {}

  /** The URL (`extraParams` checked first): `OktaClient.createAuthorizationURL`. */
  async create(state: string, codeVerifier: string, options: AuthorizationURLOptions): Promise<URL> {
    const checked = { ...options, extraParams: checkExtraParams(options.extraParams, 'createAuthorizationURL') };
    if (this.pushed === undefined) return new URL(this.url(state, codeVerifier, checked));
    const params = new URLSearchParams([
      ['response_type', 'code'],
      ['client_id', this.clientId],
      ['redirect_uri', this.resolve(options.redirectURI)],
      ['scope', withOpenId(options.scopes).join(' ')],
      ...this.params(state, codeVerifier, checked),
    ]);
    return this.push(this.pushed, params);
  }

  /**
   * The URL as a string, built without `URL` and `URLSearchParams` objects: a fixed prefix,
   * then the same parameters in the same order and encoding. Synchronous unless pushed (PAR).
   */
  string(state: string, codeVerifier: string, options: AuthorizationURLOptions): string | Promise<string> {
    if (this.pushed !== undefined) return this.create(state, codeVerifier, options).then((url) => url.toString());
    return this.url(state, codeVerifier, options);
  }

  /** The redirect URI, absolute: the client's or the request's. */
  resolve(override: string | undefined): string {
    const uri = override ?? this.redirectURI;
    if (!URL.canParse(uri)) throw new ConfigurationError(`redirect URI "${uri}" must be an absolute URL`);
    return uri;
  }

  private url(state: string, codeVerifier: string, options: AuthorizationURLOptions): string {
    this.prefix ??= `${new URL(this.endpoints.authorize).href}?response_type=code&client_id=${formValue(this.clientId)}&redirect_uri=`;
    let url = `${this.prefix}${this.encodedRedirectURI(options.redirectURI)}&scope=${this.encodedScopes(options.scopes)}`;
    // The redirect URI and scope come encoded from a cache; the rest as URLSearchParams would encode it.
    for (const [name, value] of this.params(state, codeVerifier, options)) url += `&${name}=${formValue(value)}`;
    return url;
  }

  /**
   * The parameters after `response_type`, `client_id`, `redirect_uri` and `scope`, in order:
   * the one list both the URL and the PAR form are made of.
   */
  private params(state: string, codeVerifier: string, options: AuthorizationURLOptions): [string, string][] {
    const params: [string, string][] = [
      ['state', state],
      ['code_challenge', codeChallengeS256(codeVerifier)],
      ['code_challenge_method', 'S256'],
    ];
    const optional: [string, string | undefined][] = [
      ['nonce', options.nonce],
      ['response_mode', options.responseMode === 'query' ? undefined : options.responseMode],
      ['prompt', options.prompt],
      ['login_hint', options.loginHint],
      ['max_age', options.maxAge === undefined ? undefined : String(options.maxAge)],
      ['acr_values', options.acrValues],
      ['idp', options.idp],
      ['sessionToken', options.sessionToken],
      ...Object.entries(options.extraParams ?? {}),
    ];
    for (const [name, value] of optional) if (value !== undefined) params.push([name, value]);
    return params;
  }

  private encodedRedirectURI(override: string | undefined): string {
    const uri = override ?? this.redirectURI;
    let encoded = this.redirectURIs.get(uri);
    if (encoded === undefined) {
      encoded = formValue(this.resolve(uri));
      this.redirectURIs.set(uri, encoded);
    }
    return encoded;
  }

  private encodedScopes(scopes: readonly string[] | undefined): string {
    if (scopes === undefined) return formValue(withOpenId(scopes).join(' '));
    let encoded = this.scopes.get(scopes);
    if (encoded === undefined) {
      encoded = formValue(withOpenId(scopes).join(' '));
      this.scopes.set(scopes, encoded);
    }
    return encoded;
  }

  /**
   * RFC 9126: POSTs the parameters to `/v1/par` and returns the short authorize URL. An
   * error answer is scrubbed of every sensitive parameter sent, should Okta echo them.
   */
  private async push(requests: ClientRequests, params: URLSearchParams): Promise<URL> {
    const what = 'PAR endpoint';
    const answer = await requests.post(this.endpoints.par, new URLSearchParams(params), what, false);
    if (answer.status !== 201 && answer.status !== 200) {
      throw requests.failure(
        answer,
        what,
        PAR_SENSITIVE.flatMap((name) => params.getAll(name)),
      );
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

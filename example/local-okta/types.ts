/**
 * The public types of the local Okta: what `startLocalOkta` takes and returns. A leaf
 * module (it imports nothing), so that every other module may use these types.
 */

/** A client (an Okta "app integration") registered at every issuer of the local Okta. */
export interface LocalOktaClient {
  clientId: string;
  clientSecret?: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  /** Default `client_secret_basic`, as in Okta. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt' | 'none';
  /** Public keys, for `private_key_jwt`. */
  jwks?: { keys: object[] };
  /** Require DPoP-bound access tokens (Okta's "Require DPoP header in token requests"). */
  dpopBoundAccessTokens?: boolean;
  /** Allow the client credentials grant (a service app), for the API scopes of a custom server. */
  clientCredentials?: boolean;
  /**
   * Allow the token exchange grant (RFC 8693, Okta's "On-Behalf-Of Token Exchange"): the
   * client trades a user's access token for one of a custom server's API.
   */
  tokenExchange?: boolean;
  /** Back-Channel Logout 1.0: where a `logout_token` is POSTed when the user signs out. */
  backchannelLogoutUri?: string;
  /** Put `sid` in the logout token (default true; `sub` is always there). */
  backchannelLogoutSessionRequired?: boolean;
  /** Front-Channel Logout 1.0 (Okta's "Logout request URL" of Single Logout). */
  frontchannelLogoutUri?: string;
  /** Add `iss` and `sid` to the front-channel URL (Okta's "User session details"; default true). */
  frontchannelLogoutSessionRequired?: boolean;
  /** Universal Logout: the app's Global Token Revocation endpoint. */
  universalLogoutUri?: string;
  /** How Universal Logout names the user: `email` (Okta's default) or `iss_sub`. */
  universalLogoutSubjectFormat?: UniversalLogoutFormat;
}

/** A user who can sign in on the local Okta's form. */
export interface DemoUser {
  sub: string;
  username: string;
  password: string;
  givenName: string;
  familyName: string;
  email: string;
  groups: string[];
  /**
   * The code the user's authenticator app shows, fixed for the demo: the second factor asked
   * when `acr_values` wants two. Without one the user has no second factor.
   */
  oneTimeCode?: string;
}

/** The options of `startLocalOkta`: only `clients` is required. */
export interface LocalOktaOptions {
  /**
   * Host name used in every URL; default `'127.0.0.1'`. `'localhost'` is served on
   * 127.0.0.1 too (useful to make the provider a different site from an app on 127.0.0.1).
   */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  clients: LocalOktaClient[];
  /** Custom authorization servers to serve; default `['default']`. */
  authServerIds?: string[];
  /** Default true: print nothing. With false: a start banner, sign-ins and server errors. */
  quiet?: boolean;
  /** Users who can sign in; default `DEMO_USERS`. */
  users?: DemoUser[];
  /**
   * Add the RFC 9207 `iss` parameter to authorization responses (and advertise it in
   * discovery). Okta does not send it, so the default is false.
   */
  authorizationResponseIss?: boolean;
  /**
   * Require a server-provided nonce in DPoP proofs at the token endpoint (answer
   * `use_dpop_nonce` with a `DPoP-Nonce` header first), as Okta does. Default true.
   */
  dpopNonce?: boolean;
  /**
   * A `groups` claim configured in Okta (the app's "Groups claim filter" `.*` for the org
   * server, a "Groups" claim on a custom one): ID tokens, and a custom server's access
   * tokens, carry the user's groups when the `groups` scope is asked. Default false, as in a
   * new Okta org, where code-flow ID tokens are thin and groups come from userinfo.
   */
  groupsClaim?: boolean;
}

/** How a Universal Logout request names the user (RFC 9493 subject identifier formats). */
export type UniversalLogoutFormat = 'email' | 'iss_sub';

/** What `LocalOkta.universalLogout` sends. */
export interface UniversalLogoutRequest {
  /** The user: a username, an email or a `sub`. */
  user: string;
  /** The app; default every client with a `universalLogoutUri`. */
  clientId?: string;
  /** Default the client's `universalLogoutSubjectFormat`, else `email`. */
  format?: UniversalLogoutFormat;
  /** Default the client's `universalLogoutUri`. */
  endpoint?: string;
  /** The issuer that signs (and names the user for `iss_sub`): default the org. */
  authServerId?: string;
  /**
   * The body member holding the subject: `subject`, as Okta's "Build Universal Logout for
   * your app" guide shows (and Auth0's receiver reads), or `sub_id`, as the Global Token
   * Revocation draft names it. Default `subject`.
   */
  member?: 'subject' | 'sub_id';
}

/** The answer one app gave to a Universal Logout request. */
export interface UniversalLogoutResult {
  clientId: string;
  endpoint: string;
  /** The HTTP status, or 0 when the endpoint could not be reached. */
  status: number;
  /** What was sent: the JSON body and the decoded claims of the bearer JWT. */
  body: Record<string, unknown>;
  error?: string;
}

/** A running local Okta, as `startLocalOkta` resolves it. */
export interface LocalOkta {
  /** e.g. `http://127.0.0.1:54321`: the `oktaDomain`. */
  origin: string;
  /** Custom server: `${origin}/oauth2/${id}`; org server (no id): `origin`. */
  issuer(authServerId?: string): string;
  users: DemoUser[];
  /**
   * Universal Logout of a user, as Okta's "Clear user sessions" does it: ends the user's
   * sessions at every issuer, then POSTs Okta's request to each app's endpoint.
   */
  universalLogout(request: UniversalLogoutRequest): Promise<UniversalLogoutResult[]>;
  /** Closes the server and all its sockets. */
  close(): Promise<void>;
}

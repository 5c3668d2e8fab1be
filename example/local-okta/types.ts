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
}

/** A running local Okta, as `startLocalOkta` resolves it. */
export interface LocalOkta {
  /** e.g. `http://127.0.0.1:54321`: the `oktaDomain`. */
  origin: string;
  /** Custom server: `${origin}/oauth2/${id}`; org server (no id): `origin`. */
  issuer(authServerId?: string): string;
  users: DemoUser[];
  /** Closes the server and all its sockets. */
  close(): Promise<void>;
}

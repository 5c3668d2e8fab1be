import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { EncryptJWT, jwtVerify, SignJWT, type JWTPayload } from 'jose';

/**
 * A small OpenID provider with Okta's URL layout (`/oauth2/{server}/v1/...`), served over
 * real HTTP on 127.0.0.1, that behaves like Okta until a test tells it to misbehave.
 *
 * By default it is a strict, honest provider: `/authorize` issues one-time codes bound to
 * the PKCE challenge, redirect URI, nonce and user (`login_hint` picks the user);
 * `/token` checks client authentication, the code and the PKCE verifier, and signs an
 * RS256 ID token (with `offline_access` it also issues a refresh token, which the
 * refresh grant redeems for new tokens of the same grant); `/keys` publishes `keys`;
 * `/userinfo` checks the bearer token; `/introspect` (RFC 7662) records what it was sent
 * and answers `{ active: false }`. `behaviour` (reset with `reset()`) changes any part of
 * that per test. With `orgServer`, the org authorization server's `/keys` and `/introspect`
 * answer on the same origin too, as one Okta org serves both.
 */

export const CLIENT_ID = '0oa-hostile-client';
/** Needs form-encoding (RFC 6749 §2.3.1), so a leak in encoded form would show too. */
export const CLIENT_SECRET = 'hostile:client%secret+with spaces/and=more';

import { makeKey, type TestKey } from './okta-mock.js';

export { makeKey, type TestKey };

const keyCache = new Map<string, Promise<TestKey>>();

/** A key made once per process and name (RSA key generation is slow). */
export function sharedKey(kid: string, alg = 'RS256'): Promise<TestKey> {
  const name = `${kid} ${alg}`;
  let key = keyCache.get(name);
  if (!key) {
    key = makeKey(kid, alg);
    keyCache.set(name, key);
  }
  return key;
}

/** How one endpoint answers instead of its normal behaviour. */
export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  /** A string or Buffer is sent as it is; anything else as JSON. */
  body?: unknown;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer: the request stays open until the client gives up. */
  hang?: boolean;
  /** Send status and headers, then one byte every `dripMs` ms, never ending. */
  dripMs?: number;
  /** Stream this many bytes of filler as the body (with backpressure). */
  hugeBytes?: number;
  /** Declare `hugeBytes` in Content-Length; otherwise the body is chunked. */
  declareLength?: boolean;
  /** Send status and headers, then destroy the connection. */
  reset?: boolean;
}

/** Ways to break an otherwise valid ID token. */
export type Forgery =
  'alg-none' | 'bad-signature' | 'hs256-client-secret' | 'hs256-public-key' | 'encrypted' | 'unknown-crit' | 'not-a-jwt';

export interface Grant {
  code: string;
  clientId: string;
  redirectUri: string;
  scope: string[];
  state: string;
  nonce: string | undefined;
  codeChallenge: string;
  codeChallengeMethod: string;
  maxAge: number | undefined;
  sub: string;
  user: string;
  authTime: number;
  used: boolean;
}

export interface TokenRequest {
  form: URLSearchParams;
  grant: Grant | undefined;
  authorization: string | undefined;
  rawBody: string;
}

export interface Behaviour {
  /** Edits of the ID token claims; `undefined` removes a claim. */
  claims?: Record<string, unknown> | ((grant: Grant) => Record<string, unknown>);
  /** Edits of the ID token's protected header; `kid: undefined` removes the kid. */
  header?: Record<string, unknown> | (() => Record<string, unknown>);
  /** Key that signs the ID token (default: `signingKey`). */
  signWith?: TestKey;
  forge?: Forgery;
  /** Replaces the ID token altogether. */
  idToken?: (grant: Grant, okta: HostileOkta) => string | Promise<string>;
  /** Edits of the token response JSON; `undefined` removes a field. */
  tokenResponse?: Record<string, unknown>;
  /** Answers the token endpoint instead of the normal flow (after client authentication). */
  token?: Reply | ((request: TokenRequest) => Reply | Promise<Reply>);
  /**
   * Answers `/keys` instead of publishing `keys`; `clientId` is the request's `client_id`
   * (the org server publishes an app's manually rotated key only to requests naming it).
   */
  keys?: Reply | ((request: { clientId: string | null }) => Reply);
  /** Answers `/par` instead of storing the pushed request (after client authentication). */
  par?: Reply | ((request: TokenRequest) => Reply | Promise<Reply>);
  userinfo?: Reply | ((grant: Grant | undefined) => Reply | Promise<Reply>);
  /** Edits of the userinfo claims. */
  userinfoClaims?: Record<string, unknown>;
  /** Accept any code_verifier (a provider that does not enforce PKCE). */
  ignorePkce?: boolean;
  /** Accept a code more than once (a provider that does not enforce one-time codes). */
  reuseCodes?: boolean;
  /** Add an RFC 9207 `iss` parameter to the authorization response. */
  authorizationIss?: string;
  /**
   * Echo what the client sent into error answers, as a careless or hostile provider might:
   * `literal`: code, verifier, client secret and bearer token in `error` and `error_description`;
   * `uri`: the same in `error_uri`; `encoded`: the raw Authorization header and form body
   * (Basic credentials in base64, a form-encoded client_secret) in `error_description`.
   */
  echo?: Array<'literal' | 'uri' | 'encoded'>;
  /** Milliseconds to wait before handling a request to an endpoint, then behave normally. */
  delay?: Partial<Record<Endpoint, number>>;
  /** The body of `/introspect`'s 200 answer for a token. Default `{ active: false }`. */
  introspection?: (token: string) => Record<string, unknown>;
  /** Answers `/introspect` instead of a 200 with `introspection`'s body (the request is still recorded). */
  introspect?: Reply | ((request: TokenRequest) => Reply | Promise<Reply>);
}

export type Endpoint = 'authorize' | 'token' | 'keys' | 'userinfo' | 'revoke' | 'par' | 'introspect' | 'other';

export interface HostileOktaOptions {
  /** Custom authorization server id, or null for the org server. Default `'default'`. */
  authServerId?: string | null;
  /**
   * The `iss` of the tokens, as Okta's Issuer setting makes it: with a custom URL domain
   * and the Issuer left on "Okta URL", tokens name the Okta domain while every endpoint is
   * reached at the custom one (this server's origin). Default: the origin's issuer.
   */
  issuer?: string;
  /** Keys published at `/keys` (the first signs). Default: one shared RS256 key. */
  keys?: TestKey[];
  /** Remember every code, verifier and token in `secrets`. Default true (false for floods). */
  trackSecrets?: boolean;
  /** Lifetime of issued ID tokens, in seconds. Default 3600. */
  tokenLifetime?: number;
  /** Listen backlog, for load tests that open many connections at once. Default Node's (511). */
  backlog?: number;
  /** How long an idle keep-alive connection is kept open (ms). Default 1000. */
  keepAliveTimeout?: number;
  /**
   * Also answer as the org authorization server (`/oauth2/v1/keys` and `/oauth2/v1/introspect`,
   * the same keys and answers) beside a custom one, for APIs of both on one Okta domain. Default false.
   */
  orgServer?: boolean;
}

const MAX_REQUEST_BODY = 64 * 1024;

export class HostileOkta {
  readonly origin: string;
  readonly issuer: string;
  /** `${issuer}/v1` or the org server's `/oauth2/v1`. */
  readonly base: string;
  readonly authServerId: string | undefined;
  /** Published at `/keys`. */
  keys: TestKey[];
  /** Signs ID tokens unless `behaviour.signWith` says otherwise. */
  signingKey: TestKey;
  behaviour: Behaviour = {};
  readonly hits: Record<Endpoint, number> = {
    authorize: 0,
    token: 0,
    keys: 0,
    userinfo: 0,
    revoke: 0,
    par: 0,
    introspect: 0,
    other: 0,
  };
  /** The last requests received (most recent last), at most 50. */
  readonly recent: Array<{
    endpoint: Endpoint;
    method: string;
    authorization: string | undefined;
    body: string;
    /** The query string, `?` included (or empty). */
    query: string;
    /** `performance.now()` when the request arrived, and when its answer was sent (if it was). */
    arrivedAt: number;
    finishedAt?: number;
  }> = [];
  /** Bytes of filler written by `hugeBytes` answers. */
  fillerBytesWritten = 0;
  /**
   * The requests `/introspect` received, in order (the client authentication they carry is
   * recorded, not checked). Emptied by `reset()`.
   */
  readonly introspections: TokenRequest[] = [];
  /** The last ID token the token endpoint issued. */
  lastIdToken: string | undefined;
  /**
   * Every code, verifier and token this provider saw or issued, and the client secret: what no
   * error or failure may show (test/support/secret-leaks.ts). Kept across `reset()`.
   */
  readonly secrets = new Set<string>([CLIENT_SECRET]);

  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly waiting = new Set<ServerResponse>();
  private readonly grants = new Map<string, Grant>();
  private readonly accessTokens = new Map<string, Grant>();
  /** Pushed authorization requests (RFC 9126), by request_uri, each usable once. */
  private readonly pushed = new Map<string, URLSearchParams>();
  /** Refresh tokens, issued when `offline_access` was granted; they stay valid (no rotation). */
  private readonly refreshTokens = new Map<string, Grant>();
  private readonly trackSecrets: boolean;
  private readonly tokenLifetime: number;
  private readonly basePath: string;
  private readonly orgServer: boolean;

  private constructor(server: Server, origin: string, options: HostileOktaOptions, keys: TestKey[]) {
    this.server = server;
    this.origin = origin;
    const authServerId = options.authServerId === undefined ? 'default' : (options.authServerId ?? undefined);
    this.authServerId = authServerId;
    this.issuer = options.issuer ?? (authServerId === undefined ? origin : `${origin}/oauth2/${authServerId}`);
    this.basePath = authServerId === undefined ? '/oauth2/v1' : `/oauth2/${authServerId}/v1`;
    this.base = `${origin}${this.basePath}`;
    this.keys = keys;
    this.signingKey = keys[0]!;
    this.trackSecrets = options.trackSecrets ?? true;
    this.tokenLifetime = options.tokenLifetime ?? 3600;
    this.orgServer = options.orgServer ?? false;
  }

  /** Starts a provider on a free port of 127.0.0.1. */
  static async start(options: HostileOktaOptions = {}): Promise<HostileOkta> {
    const keys = options.keys ?? [await sharedKey('key-1')];
    const ref: { okta?: HostileOkta } = {};
    const server = createServer((req, res) => {
      void ref.okta!.handle(req, res);
    });
    server.keepAliveTimeout = options.keepAliveTimeout ?? 1000;
    server.on('connection', (socket: Socket) => {
      ref.okta!.sockets.add(socket);
      socket.on('close', () => ref.okta!.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: options.backlog }, resolve));
    const { port } = server.address() as AddressInfo;
    ref.okta = new HostileOkta(server, `http://127.0.0.1:${port}`, options, keys);
    return ref.okta;
  }

  /** Back to honest behaviour and zeroed counters; keys and issued codes stay. */
  reset(): void {
    this.behaviour = {};
    for (const endpoint of Object.keys(this.hits) as Endpoint[]) this.hits[endpoint] = 0;
    this.recent.length = 0;
    this.introspections.length = 0;
    this.fillerBytesWritten = 0;
  }

  /** Publishes a new key set and signs with its first key from now on. */
  rotate(keys: TestKey[]): void {
    this.keys = keys;
    this.signingKey = keys[0]!;
  }

  /** Open TCP connections from clients (idle keep-alive ones included). */
  openConnections(): number {
    return this.sockets.size;
  }

  /** Requests that have not been answered and whose client has not gone away. */
  pendingRequests(): number {
    return this.waiting.size;
  }

  /** Codes issued and not yet redeemed (for leftovers checks). */
  unusedCodes(): number {
    let count = 0;
    for (const grant of this.grants.values()) if (!grant.used) count++;
    return count;
  }

  /** Forgets issued codes, access and refresh tokens. */
  forgetGrants(): void {
    this.grants.clear();
    this.accessTokens.clear();
    this.refreshTokens.clear();
  }

  async close(): Promise<void> {
    for (const res of this.waiting) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Plays the browser and the user at `/authorize`: GETs the authorization URL over HTTP
   * and returns the redirect back to the app (the callback URL with `code` and `state`).
   */
  async authorize(url: string | URL): Promise<URL> {
    const response = await fetch(url, { redirect: 'manual' });
    const location = response.headers.get('location');
    await response.body?.cancel();
    if (response.status !== 302 || !location) throw new Error(`authorize answered ${response.status}`);
    return new URL(location);
  }

  /** What `/authorize` does, without HTTP: validates the request and issues a code. */
  issueCode(params: URLSearchParams): Grant {
    const need = (name: string): string => {
      const value = params.get(name);
      if (!value) throw new Error(`authorize: ${name} is missing`);
      return value;
    };
    if (need('response_type') !== 'code') throw new Error('authorize: response_type must be code');
    if (need('code_challenge_method') !== 'S256') throw new Error('authorize: PKCE S256 is required');
    const user = params.get('login_hint') ?? 'alice';
    const grant: Grant = {
      code: `code-${randomBytes(16).toString('base64url')}`,
      clientId: need('client_id'),
      redirectUri: need('redirect_uri'),
      scope: need('scope').split(' '),
      state: need('state'),
      nonce: params.get('nonce') ?? undefined,
      codeChallenge: need('code_challenge'),
      codeChallengeMethod: 'S256',
      maxAge: params.has('max_age') ? Number(params.get('max_age')) : undefined,
      sub: `00u${user}`,
      user,
      authTime: Math.floor(Date.now() / 1000) - 5,
      used: false,
    };
    this.grants.set(grant.code, grant);
    this.track(grant.code);
    return grant;
  }

  /** The redirect `/authorize` sends for a grant. */
  callbackFor(grant: Grant): URL {
    const url = new URL(grant.redirectUri);
    url.searchParams.set('code', grant.code);
    url.searchParams.set('state', grant.state);
    if (this.behaviour.authorizationIss !== undefined) url.searchParams.set('iss', this.behaviour.authorizationIss);
    return url;
  }

  /** The ID token claims Okta puts in a code-flow ID token for `grant`, before edits. */
  claimsFor(grant: Grant): JWTPayload {
    const now = Math.floor(Date.now() / 1000);
    return {
      ver: 1,
      iss: this.issuer,
      aud: CLIENT_ID,
      sub: grant.sub,
      iat: now,
      exp: now + this.tokenLifetime,
      jti: `ID.${randomBytes(12).toString('base64url')}`,
      amr: ['pwd'],
      idp: '00o-okta',
      auth_time: grant.authTime,
      name: `User ${grant.user}`,
      preferred_username: `${grant.user}@example.com`,
      email: `${grant.user}@example.com`,
      ...(grant.nonce === undefined ? {} : { nonce: grant.nonce }),
    };
  }

  /** Signs claims as an ID token: `key` (default `signingKey`), header edits applied. */
  async sign(claims: JWTPayload, key: TestKey = this.signingKey, header: Record<string, unknown> = {}): Promise<string> {
    const protectedHeader = withEdits({ alg: key.alg, kid: key.kid }, header);
    return new SignJWT(claims).setProtectedHeader(protectedHeader as { alg: string }).sign(key.privateKey);
  }

  /** The ID token for a grant, as `behaviour` shapes it. */
  async idTokenFor(grant: Grant): Promise<string> {
    const b = this.behaviour;
    if (b.idToken) return b.idToken(grant, this);
    const edits = typeof b.claims === 'function' ? b.claims(grant) : (b.claims ?? {});
    const claims = withEdits(this.claimsFor(grant), edits);
    const key = b.signWith ?? this.signingKey;
    const header = withEdits({ alg: key.alg, kid: key.kid }, typeof b.header === 'function' ? b.header() : (b.header ?? {}));
    return forge(b.forge, claims, header, key);
  }

  private track(secret: string | undefined): void {
    if (this.trackSecrets && secret) this.secrets.add(secret);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.waiting.add(res);
    res.on('close', () => this.waiting.delete(res));
    try {
      const arrivedAt = performance.now();
      const url = new URL(req.url ?? '/', this.origin);
      const body = await readBody(req);
      const endpoint = this.endpointOf(url.pathname);
      this.hits[endpoint]++;
      const entry: HostileOkta['recent'][number] = {
        endpoint,
        method: req.method ?? 'GET',
        authorization: req.headers.authorization,
        body,
        query: url.search,
        arrivedAt,
      };
      res.on('finish', () => (entry.finishedAt = performance.now()));
      this.recent.push(entry);
      if (this.recent.length > 50) this.recent.shift();
      const delay = this.behaviour.delay?.[endpoint];
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
      switch (endpoint) {
        case 'authorize':
          return await this.answerAuthorize(url, res);
        case 'token':
          return await this.answerToken(req, body, res);
        case 'keys':
          return await send(
            res,
            this.behaviourReply('keys', { clientId: url.searchParams.get('client_id') }) ?? {
              body: { keys: this.keys.map((k) => k.jwk) },
            },
            this,
          );
        case 'userinfo':
          return await this.answerUserinfo(req, res);
        case 'par':
          return await this.answerPar(req, body, res);
        case 'introspect':
          return await this.answerIntrospect(req, body, res);
        case 'revoke': {
          this.track(new URLSearchParams(body).get('token') ?? undefined);
          const request = {
            form: new URLSearchParams(body),
            grant: undefined,
            authorization: req.headers.authorization,
            rawBody: body,
          };
          const refused: Reply = { status: 400, body: { error: 'invalid_request', error_description: 'Not revoked.' } };
          return await send(res, this.echoed(refused, request), this);
        }
        default:
          return await send(res, notFound(url.pathname, this.authServerId), this);
      }
    } catch (err) {
      if (!res.headersSent) await send(res, { status: 500, body: `provider bug: ${String(err)}` }, this);
      else res.destroy();
    }
  }

  private endpointOf(pathname: string): Endpoint {
    for (const endpoint of ['authorize', 'token', 'keys', 'userinfo', 'revoke', 'par', 'introspect'] as const) {
      if (pathname === `${this.basePath}/${endpoint}`) return endpoint;
    }
    if (this.orgServer && (pathname === '/oauth2/v1/keys' || pathname === '/oauth2/v1/introspect')) {
      return pathname === '/oauth2/v1/keys' ? 'keys' : 'introspect';
    }
    return 'other';
  }

  private behaviourReply(endpoint: 'keys', request: { clientId: string | null }): Reply | undefined {
    const reply = this.behaviour[endpoint];
    return typeof reply === 'function' ? reply(request) : reply;
  }

  private async answerAuthorize(url: URL, res: ServerResponse): Promise<void> {
    let grant: Grant;
    try {
      grant = this.issueCode(this.authorizationParams(url.searchParams));
    } catch (err) {
      return send(res, { status: 400, body: String((err as Error).message) }, this);
    }
    return send(res, { status: 302, headers: { location: this.callbackFor(grant).toString() } }, this);
  }

  /** The authorization request's parameters: as given, or the pushed ones a `request_uri` names. */
  private authorizationParams(params: URLSearchParams): URLSearchParams {
    const requestUri = params.get('request_uri');
    if (requestUri === null) return params;
    const pushed = this.pushed.get(requestUri);
    this.pushed.delete(requestUri);
    if (!pushed || pushed.get('client_id') !== params.get('client_id')) throw new Error('authorize: unknown request_uri');
    return pushed;
  }

  /** RFC 7662: records the request, then answers as `behaviour` says (by default: not active). */
  private async answerIntrospect(req: IncomingMessage, rawBody: string, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(rawBody);
    const request: TokenRequest = { form, grant: undefined, authorization: req.headers.authorization, rawBody };
    this.introspections.push(request);
    const override = this.behaviour.introspect;
    if (override) return send(res, typeof override === 'function' ? await override(request) : override, this);
    return send(res, { body: this.behaviour.introspection?.(form.get('token') ?? '') ?? { active: false } }, this);
  }

  /** RFC 9126 §2: authenticates the client and stores the request under a one-time request_uri. */
  private async answerPar(req: IncomingMessage, rawBody: string, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(rawBody);
    const request: TokenRequest = { form, grant: undefined, authorization: req.headers.authorization, rawBody };
    if (!(await clientAuthenticated(request.authorization, form, `${this.base}/par`))) {
      return send(
        res,
        { status: 401, body: { error: 'invalid_client', error_description: 'Client authentication failed.' } },
        this,
      );
    }
    const override = this.behaviour.par;
    if (override) return send(res, typeof override === 'function' ? await override(request) : override, this);
    if (!form.has('client_id')) form.set('client_id', basicCredentials(request.authorization)?.id ?? '');
    const requestUri = `urn:ietf:params:oauth:request_uri:${randomBytes(16).toString('base64url')}`;
    this.pushed.set(requestUri, form);
    return send(res, { status: 201, body: { request_uri: requestUri, expires_in: 60 } }, this);
  }

  private async answerToken(req: IncomingMessage, rawBody: string, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(rawBody);
    const authorization = req.headers.authorization;
    this.track(form.get('code_verifier') ?? undefined);
    this.track(form.get('client_assertion') ?? undefined);
    const grant = this.grants.get(form.get('code') ?? '');
    const request: TokenRequest = { form, grant, authorization, rawBody };
    const error = (status: number, error: string, description: string): Reply => ({
      status,
      body: { error, error_description: description },
    });
    const reply = async (answer: Reply): Promise<void> => send(res, this.echoed(answer, request), this);

    if (!(await clientAuthenticated(authorization, form, `${this.base}/token`))) {
      return reply(error(401, 'invalid_client', 'Client authentication failed.'));
    }
    const override = this.behaviour.token;
    if (override) return reply(typeof override === 'function' ? await override(request) : override);
    if (form.get('grant_type') === 'refresh_token') {
      const refreshToken = form.get('refresh_token') ?? '';
      this.track(refreshToken);
      const refreshed = this.refreshTokens.get(refreshToken);
      if (!refreshed) return reply(error(400, 'invalid_grant', 'The refresh token is invalid or expired.'));
      // A refreshed ID token has no nonce; `behaviour` shapes it like any other.
      return reply(await this.tokensFor({ ...refreshed, nonce: undefined }, refreshToken));
    }
    if (form.get('grant_type') !== 'authorization_code') {
      return reply(error(400, 'unsupported_grant_type', 'The grant type is not supported.'));
    }
    if (!grant || (grant.used && !this.behaviour.reuseCodes)) {
      return reply(error(400, 'invalid_grant', 'The authorization code is invalid or has expired.'));
    }
    grant.used = true;
    if (form.get('redirect_uri') !== grant.redirectUri) {
      return reply(error(400, 'invalid_grant', "The 'redirect_uri' does not match the redirection URI used in the request."));
    }
    const verifier = form.get('code_verifier') ?? '';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    if (!this.behaviour.ignorePkce && challenge !== grant.codeChallenge) {
      return reply(error(400, 'invalid_grant', 'PKCE verification failed.'));
    }
    let refreshToken: string | undefined;
    if (grant.scope.includes('offline_access')) {
      refreshToken = `rt.${randomBytes(24).toString('base64url')}`;
      this.refreshTokens.set(refreshToken, grant);
    }
    return reply(await this.tokensFor(grant, refreshToken));
  }

  /** A token response for `grant`: a new access token and ID token, and `refreshToken` when given. */
  private async tokensFor(grant: Grant, refreshToken: string | undefined): Promise<Reply> {
    const accessToken = `at.${randomBytes(24).toString('base64url')}`;
    this.accessTokens.set(accessToken, grant);
    const idToken = await this.idTokenFor(grant);
    this.lastIdToken = idToken;
    this.track(accessToken);
    this.track(idToken);
    const body = withEdits(
      {
        token_type: 'Bearer',
        expires_in: 3600,
        access_token: accessToken,
        scope: grant.scope.join(' '),
        id_token: idToken,
        ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
      },
      this.behaviour.tokenResponse ?? {},
    );
    for (const name of ['access_token', 'id_token', 'refresh_token']) {
      if (typeof body[name] === 'string') this.track(body[name]);
    }
    return { body, headers: { 'cache-control': 'no-store' } };
  }

  private async answerUserinfo(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const grant = match ? this.accessTokens.get(match[1]!) : undefined;
    const override = this.behaviour.userinfo;
    const echoRequest: TokenRequest = {
      form: new URLSearchParams(),
      grant,
      authorization: req.headers.authorization,
      rawBody: '',
    };
    if (override) {
      const answer = typeof override === 'function' ? await override(grant) : override;
      return send(res, this.echoed(answer, echoRequest), this);
    }
    if (!grant) {
      return send(
        res,
        this.echoed(
          { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, body: { error: 'invalid_token' } },
          echoRequest,
        ),
        this,
      );
    }
    const claims = withEdits(
      {
        sub: grant.sub,
        name: `User ${grant.user}`,
        given_name: 'User',
        family_name: grant.user,
        preferred_username: `${grant.user}@example.com`,
        email: `${grant.user}@example.com`,
        email_verified: true,
        locale: 'en-US',
        zoneinfo: 'America/Los_Angeles',
      },
      this.behaviour.userinfoClaims ?? {},
    );
    return send(res, { body: claims }, this);
  }

  /** With `behaviour.echo`, an error answer repeats what the client sent (see {@link Behaviour.echo}). */
  private echoed(reply: Reply, request: TokenRequest): Reply {
    const modes = this.behaviour.echo ?? [];
    if (modes.length === 0 || (reply.status ?? 200) < 400) return reply;
    const bearer = /^Bearer (.+)$/.exec(request.authorization ?? '')?.[1];
    const sent = [
      request.form.get('code'),
      request.form.get('code_verifier'),
      request.form.get('client_secret') ?? basicCredentials(request.authorization)?.secret,
      request.form.get('refresh_token'),
      request.form.get('token'),
      request.form.get('client_assertion'),
      bearer,
    ].filter(Boolean);
    const echo: Record<string, string> = {};
    if (modes.includes('literal')) {
      echo.error = `invalid_grant ${sent.join(' ')}`;
      echo.error_description = `You sent: ${sent.join(' | ')}`;
    }
    if (modes.includes('uri')) {
      echo.error ??= 'invalid_grant';
      echo.error_uri = `https://errors.example/?${sent.map((s, i) => `v${i}=${s}`).join('&')}`;
    }
    if (modes.includes('encoded')) {
      echo.error ??= 'invalid_grant';
      echo.error_description = `${echo.error_description ?? ''} Authorization: ${request.authorization ?? ''} Body: ${request.rawBody}`;
    }
    const original = reply.body !== null && typeof reply.body === 'object' && !Buffer.isBuffer(reply.body) ? reply.body : {};
    return { ...reply, body: { ...original, ...echo }, headers: { ...reply.headers, 'content-type': 'application/json' } };
  }
}

/**
 * Okta's 404 for a path it does not serve: under `/oauth2/{id}/` of an authorization server
 * that does not exist, its own error body `E0000007` naming the server (as Okta's OIDC
 * reference shows it; the error ids are made up); elsewhere this provider's old answer.
 */
function notFound(pathname: string, own: string | undefined): Reply {
  const server = /^\/oauth2\/([^/]+)\/v1\//.exec(pathname)?.[1];
  const okta = (errorCode: string, errorSummary: string): Reply => ({
    status: 404,
    headers: { 'content-type': 'application/json;charset=UTF-8' },
    body: {
      errorCode,
      errorSummary,
      errorLink: errorCode,
      errorId: `oae${randomBytes(9).toString('base64url')}`,
      errorCauses: [],
    },
  });
  if (server !== undefined && server !== own)
    return okta('E0000007', `Not found: Resource not found: ${server} (AuthorizationServer)`);
  return { status: 404, body: { errorCode: 'E0000022', errorSummary: 'Not found' } };
}

/** Applies edits: a key set to `undefined` is removed. */
function withEdits<T extends object>(base: T, edits: Record<string, unknown>): T & Record<string, unknown> {
  const out: Record<string, unknown> = { ...base, ...edits };
  for (const [key, value] of Object.entries(out)) if (value === undefined) delete out[key];
  return out as T & Record<string, unknown>;
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

async function forge(
  how: Forgery | undefined,
  claims: JWTPayload,
  header: Record<string, unknown>,
  key: TestKey,
): Promise<string> {
  switch (how) {
    case undefined:
      return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
    case 'alg-none':
      return `${b64({ ...header, alg: 'none' })}.${b64(claims)}.`;
    case 'bad-signature': {
      const [h, p, s] = (await forge(undefined, claims, header, key)).split('.') as [string, string, string];
      const signature = Buffer.from(s, 'base64url');
      signature[0] = signature[0]! ^ 0xff;
      return `${h}.${p}.${signature.toString('base64url')}`;
    }
    case 'hs256-client-secret':
      return hmac({ ...header, alg: 'HS256' }, claims, CLIENT_SECRET);
    case 'hs256-public-key':
      // The classic key confusion: the public key's bytes used as an HMAC secret.
      return hmac({ ...header, alg: 'HS256' }, claims, JSON.stringify(key.jwk));
    case 'encrypted': {
      const secret = randomBytes(32);
      return new EncryptJWT(claims).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: key.kid }).encrypt(secret);
    }
    case 'unknown-crit': {
      // A header a verifier must refuse if it does not understand it (RFC 7515 §4.1.11).
      const h = b64({ ...header, crit: ['urn:example:must-understand'], 'urn:example:must-understand': true });
      const input = `${h}.${b64(claims)}`;
      const signature = await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key.privateKey, Buffer.from(input));
      return `${input}.${Buffer.from(signature).toString('base64url')}`;
    }
    case 'not-a-jwt':
      return 'not-a-jwt-at-all';
  }
}

function hmac(header: Record<string, unknown>, claims: JWTPayload, secret: string): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** The client id and secret of an `Authorization: Basic` header, form-decoded (RFC 6749 §2.3.1). */
function basicCredentials(authorization: string | undefined): { id: string; secret: string } | undefined {
  const basic = /^Basic (.+)$/i.exec(authorization ?? '');
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1]!, 'base64').toString();
  const colon = decoded.indexOf(':');
  const decode = (s: string): string => new URLSearchParams(`v=${s}`).get('v') ?? '';
  return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
}

/** Client authentication: client_secret_basic, client_secret_post or client_secret_jwt, one only. */
async function clientAuthenticated(authorization: string | undefined, form: URLSearchParams, audience: string): Promise<boolean> {
  const basic = basicCredentials(authorization);
  const assertion = form.get('client_assertion');
  if ([basic, form.get('client_secret'), assertion].filter(Boolean).length !== 1) return false;
  if (basic) return basic.id === CLIENT_ID && basic.secret === CLIENT_SECRET;
  if (assertion) {
    try {
      await jwtVerify(assertion, new TextEncoder().encode(CLIENT_SECRET), {
        algorithms: ['HS256'],
        issuer: CLIENT_ID,
        subject: CLIENT_ID,
        audience,
      });
      return form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
    } catch {
      return false;
    }
  }
  return form.get('client_id') === CLIENT_ID && form.get('client_secret') === CLIENT_SECRET;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BODY) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const FILLER = Buffer.alloc(64 * 1024, 'x');

async function send(res: ServerResponse, reply: Reply, okta: HostileOkta): Promise<void> {
  if (reply.delayMs) {
    await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (res.destroyed) return;
  }
  if (reply.hang) return; // the request stays in `waiting` until the client gives up
  const status = reply.status ?? 200;
  const headers: Record<string, string> = { ...reply.headers };
  if (reply.hugeBytes !== undefined) {
    headers['content-type'] ??= 'application/json';
    if (reply.declareLength) headers['content-length'] = String(reply.hugeBytes);
    res.writeHead(status, headers);
    let left = reply.hugeBytes;
    while (left > 0 && !res.destroyed) {
      const chunk = left >= FILLER.length ? FILLER : FILLER.subarray(0, left);
      left -= chunk.length;
      okta.fillerBytesWritten += chunk.length;
      if (!res.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
    if (!res.destroyed) res.end();
    return;
  }
  if (reply.dripMs !== undefined) {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.write('{');
    const timer = setInterval(() => res.write(' '), reply.dripMs);
    res.on('close', () => clearInterval(timer));
    return;
  }
  let body: Buffer | undefined;
  if (typeof reply.body === 'string') {
    headers['content-type'] ??= 'text/plain; charset=utf-8';
    body = Buffer.from(reply.body);
  } else if (Buffer.isBuffer(reply.body)) {
    body = reply.body;
  } else if (reply.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = Buffer.from(JSON.stringify(reply.body));
  }
  if (reply.reset) {
    res.writeHead(status, headers);
    res.flushHeaders();
    res.socket?.destroy();
    return;
  }
  res.writeHead(status, headers);
  res.end(body);
}

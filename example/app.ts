/**
 * The example app: Express + express-session + Passport + OktaStrategy.
 *
 * Pages: `/` (home), `/login` (starts a sign-in), `/auth/okta/callback` (GET for
 * `response_mode=query`, POST for `form_post`), `/profile` and `/reports` (any signed-in
 * user), `/admin` (the `Admins` group, signed in with two factors in the last 15
 * minutes), `/logout` (POST from the Sign out button, same origin only), `/login-failed`,
 * and `/me.json` (the signed-in user's public fields, for scripts and tests). Sessions end
 * after 30 minutes unused or 8 hours after the sign-in at Okta.
 *
 * The API (custom authorization server only): `/api/me` takes an Okta access token
 * (`Authorization: Bearer` or `DPoP` with a proof) for the API audience and answers with
 * its subject and scopes; `/api/orders` also needs the `orders:read` scope, and
 * `/api/admin/orders` a token of a member of `Admins`.
 */
import { createHmac } from 'node:crypto';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
// A real app imports these from 'passport-okta-oidc'; the example uses the sources.
import {
  CookieStateStore,
  oktaLogout,
  oktaSession,
  OktaStrategy,
  type OktaProfile,
  type RevocationStore,
  type OktaTokens,
  type StateStore,
} from '../lib/index.js';
import { OktaBearerStrategy, requireGroups, requireScopes, type OktaBearerAuthInfo } from '../lib/bearer.js';
import { type FetchLike } from '../lib/client.js';
import type { OktaMetrics } from './metrics.js';
import { adminPage, errorPage, homePage, loginFailedPage, notFoundPage, profilePage, reportsPage } from './views.js';

/** Settings of {@link createApp}. */
export interface ExampleConfig {
  /** `https://acme.okta.com`, or the local Okta's origin. */
  oktaDomain: string;
  /** Custom authorization server id (e.g. `default`); omit for the org authorization server. */
  authServerId?: string | undefined;
  clientID: string;
  clientSecret: string;
  /** The app's own origin, e.g. `http://127.0.0.1:3000`: the callback and post-logout URLs hang off it. */
  baseURL: string;
  /** How Okta returns the code: `query` (a redirect, the default) or `form_post` (an auto-posted form). */
  responseMode?: 'query' | 'form_post' | undefined;
  /** Where pending sign-ins wait: default `cookie` for `form_post`, else `session`. */
  stateStore?: 'session' | 'cookie' | undefined;
  /** Signs the session cookie; also the key material of the state cookie. */
  sessionSecret: string;
  /** Default `['openid', 'profile', 'email', 'groups', 'offline_access']`. */
  scopes?: string[] | undefined;
  /** The express module to build the app with; default `express` (5). Express 4 works too. */
  express?: typeof express | undefined;
  /** Called with each user who signs in (tests use it to get at the tokens). */
  onSignIn?: ((user: ExampleUser) => void) | undefined;
  /** `fetch` for the calls to Okta, e.g. through a proxy; default the global one. */
  fetch?: FetchLike | undefined;
  /** The audience of the API's access tokens; default `api://{authServerId}`. No API without authServerId. */
  apiAudience?: string | undefined;
  /** Clock (epoch ms) of the API's token checks and of the session's lifetime; for tests. Default `Date.now`. */
  now?: (() => number) | undefined;
  /** Try a silent sign-in (`prompt=none`) once per browser on an anonymous visit; default false. */
  silentSignIn?: boolean | undefined;
  /** Seconds a session may go unused; default 1800. */
  idleTimeout?: number | undefined;
  /** Seconds a session may last from the sign-in at Okta; default 28800 (8 hours). */
  absoluteLifetime?: number | undefined;
  /** Where revocations (Okta-initiated sign-outs) are kept; share one (Redis) across instances. Default: in memory. */
  revocationStore?: RevocationStore | undefined;
  /** Milliseconds an instance reuses the store's answer about a session; default 1000. */
  revocationCache?: number | undefined;
  /** Ask for DPoP-bound tokens (the Okta app must require DPoP); default false. */
  dpop?: boolean | undefined;
  /** Counters from the diagnostics channels (example/metrics.ts), served at `/metrics`; default none. */
  metrics?: OktaMetrics | undefined;
  /** Where warnings and errors go; default `console`. */
  logger?: Pick<Console, 'warn' | 'error'> | undefined;
}

/** The signed-in user, kept in the session. */
export interface ExampleUser {
  /** Okta user id (`sub`). */
  id: string;
  displayName: string;
  username?: string | undefined;
  emails: Array<{ value: string; verified?: boolean | undefined }>;
  groups: string[];
  /** The verified ID token claims, completed from userinfo (`profile._json`). */
  claims: Record<string, unknown>;
  tokens: {
    accessToken: string;
    /** ISO 8601. */
    accessTokenExpiresAt: string;
    refreshToken: string | null;
    idToken: string;
  };
}

export interface ExampleApp {
  app: express.Express;
  /** The strategy, whose `client` can refresh, revoke and build logout URLs. */
  strategy: OktaStrategy;
  /** Where pending sign-ins wait: `session` (SessionStateStore) or `cookie` (CookieStateStore). */
  stateStore: 'session' | 'cookie';
}

export const SESSION_COOKIE = 'okta-example.sid';
export const CALLBACK_PATH = '/auth/okta/callback';
const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'groups', 'offline_access'];

/** Builds the example app; it does not listen. */
export function createApp(config: ExampleConfig): ExampleApp {
  const logger = config.logger ?? console;
  const baseURL = appOrigin(config.baseURL);
  const responseMode = config.responseMode ?? 'query';
  const stateStore = config.stateStore ?? (responseMode === 'form_post' ? 'cookie' : 'session');
  if (stateStore !== 'session' && stateStore !== 'cookie') throw new TypeError('stateStore must be "session" or "cookie"');
  const store = makeStateStore(stateStore, config.sessionSecret);

  const passport = new Passport();
  const strategy = new OktaStrategy(
    {
      oktaDomain: config.oktaDomain,
      authServerId: config.authServerId,
      clientID: config.clientID,
      clientSecret: config.clientSecret,
      callbackURL: `${baseURL}${CALLBACK_PATH}`,
      scope: config.scopes ?? DEFAULT_SCOPES,
      responseMode,
      store,
      fetch: config.fetch,
      dpop: config.dpop ? true : undefined,
    },
    async (tokens, profile) => {
      const user = toUser(tokens, profile);
      config.onSignIn?.(user);
      return user;
    },
  );
  passport.use(strategy);
  // The whole user lives in the (server-side) session: fine for an example.
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));

  const expressModule = config.express ?? express;
  const app = expressModule();
  app.disable('x-powered-by');
  app.use(securityHeaders);
  // Prometheus scrapes this (docs/diagnostics.md); keep it off the public internet in a real app.
  const metrics = config.metrics;
  if (metrics) {
    app.get('/metrics', (_req, res) => {
      res.type('text/plain; version=0.0.4').send(metrics.text());
    });
  }
  if (config.authServerId !== undefined) mountApi(app, passport, config);
  app.use(
    session({
      name: SESSION_COOKIE,
      secret: config.sessionSecret,
      resave: false,
      saveUninitialized: false,
      // `auto`: Secure over https (set `trust proxy` behind a TLS-terminating proxy).
      cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto' },
    }),
  );
  app.use(passport.initialize());
  app.use(passport.session());

  // Sign-in around the routes: the callback returns to the page asked for and keeps a
  // record of the sign-in (groups, acr, auth_time) that the guards and the lifetime read.
  const okta = oktaSession(passport, strategy, {
    defaultReturnTo: '/profile',
    failureRedirect: '/login-failed',
    idleTimeout: config.idleTimeout ?? 30 * 60,
    absoluteLifetime: config.absoluteLifetime ?? 8 * 60 * 60,
    // An ended session's refresh token is revoked at Okta too.
    getTokens: (req) => currentUser(req)?.tokens,
    now: config.now,
    revocationStore: config.revocationStore,
    revocationCache: config.revocationCache,
  });
  app.use(okta.checkSession());
  if (config.silentSignIn) app.use(okta.silentSignIn());

  app.get('/', (req, res) => {
    res.send(homePage(currentUser(req)));
  });

  // `/login?returnTo=/reports`: only a same-origin path is kept (`//evil.example` is dropped).
  app.get('/login', okta.signIn());
  // Passport 0.6+ regenerates the session on sign-in; oktaSession keeps the other tabs'
  // pending sign-ins (keepSessionInfo), and the session id still changes.
  const callback = okta.callback;
  app.get(CALLBACK_PATH, callback);
  app.post(CALLBACK_PATH, expressModule.urlencoded({ extended: false }), callback);

  const signedIn = okta.requireSignIn();
  app.get('/profile', signedIn, (req, res) => {
    res.send(profilePage(currentUser(req)!));
  });
  app.get('/reports', signedIn, (req, res) => {
    res.send(reportsPage(currentUser(req)!));
  });
  // A member of Admins (403 for anyone else, never a loop), who signed in with two
  // factors in the last 15 minutes (else a step-up at Okta, back to /admin).
  const admins = okta.requireGroups('Admins');
  const twoFactors = okta.requireAcr('urn:okta:loa:2fa:any', { maxAge: 15 * 60 });
  app.get('/admin', admins, twoFactors, (req, res) => {
    res.send(adminPage(currentUser(req)!));
  });

  app.get('/me.json', (req, res) => {
    const user = currentUser(req);
    if (!user) {
      res.status(401).json({ error: 'not_signed_in' });
      return;
    }
    res.json(publicFields(user));
  });

  app.get('/login-failed', (req, res) => {
    const holder = req.session as unknown as { messages?: unknown };
    const messages = Array.isArray(holder.messages) ? holder.messages : [];
    const last: unknown = messages[messages.length - 1];
    delete holder.messages; // shown once
    res.status(401).send(loginFailedPage(typeof last === 'string' ? last : undefined));
  });

  // POST only (the Sign out button), and only from this app's own pages: oktaLogout
  // answers a request from another site 403 before revoking anything. It revokes the
  // tokens, ends the Passport and express-session sessions, then Okta's session through
  // /v1/logout, which comes back to /signed-out with the logout state.
  const logout = oktaLogout(strategy, {
    getTokens: (req) => currentUser(req)?.tokens,
    postLogoutRedirectURI: `${baseURL}/signed-out`,
    redirectTo: '/',
    onRevokeError: (err) => {
      const { name, code } = describeError(err);
      logger.warn(`[example] could not revoke a token at sign-out: ${name}${code ? ` (${code})` : ''}`);
    },
    onSignedOut: (_req, res) => {
      (res as express.Response | undefined)?.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax' });
    },
  });
  app.post('/logout', logout);
  app.get('/signed-out', logout.callback);

  app.use((_req, res) => {
    res.status(404).send(notFoundPage());
  });
  const onError: ErrorRequestHandler = (err: unknown, _req, res, next) => {
    const { name, code } = describeError(err);
    logger.error(`[example] ${name}${code ? ` (${code})` : ''}: ${err instanceof Error ? err.message : String(err)}`);
    if (res.headersSent) {
      next(err);
      return;
    }
    // Body-parser errors (413, 400) keep their client status; everything else is a 500.
    const status = clientErrorStatus(err) ?? 500;
    res.status(status).send(errorPage({ name, code }));
  };
  app.use(onError);

  return { app, strategy, stateStore };
}

// ---------------------------------------------------------------------------

/**
 * The API: stateless (no session), guarded by OktaBearerStrategy. Okta's access tokens
 * for `api://default` are verified locally with the same key cache as the sign-in.
 */
function mountApi(app: express.Express, passport: InstanceType<typeof Passport>, config: ExampleConfig): void {
  passport.use(
    new OktaBearerStrategy(
      {
        oktaDomain: config.oktaDomain,
        authServerId: config.authServerId,
        audience: config.apiAudience ?? `api://${config.authServerId}`,
        fetch: config.fetch,
        now: config.now,
      },
      async (claims) => ({ sub: claims.sub, uid: claims.uid ?? null, client: claims.cid }),
    ),
  );
  const bearer = passport.authenticate('okta-bearer', { session: false }) as RequestHandler;
  const me: RequestHandler = (req, res) => {
    const info = req.authInfo as OktaBearerAuthInfo;
    res.json({ ...(req.user as object), scopes: info.scopes, tokenType: info.tokenType });
  };
  app.get('/api/me', bearer, me);
  app.get('/api/orders', bearer, requireScopes('orders:read'), (req, res) => {
    res.json({ orders: [{ id: 'o-1001', owner: (req.user as { sub: string }).sub, total: 42 }] });
  });
  // Every order, for members of Admins only: the token's `groups` claim, 403 otherwise.
  const admins = requireGroups('Admins');
  app.get('/api/admin/orders', bearer, requireScopes('orders:read'), admins, (_req, res) => {
    res.json({
      orders: [
        { id: 'o-1001', total: 42 },
        { id: 'o-1002', total: 7 },
      ],
    });
  });
}

export function toUser(tokens: OktaTokens, profile: OktaProfile): ExampleUser {
  return {
    id: profile.id,
    displayName: profile.displayName,
    username: profile.username,
    emails: profile.emails ?? [],
    groups: profile.groups ?? [],
    claims: profile._json,
    tokens: {
      accessToken: tokens.accessToken,
      accessTokenExpiresAt: tokens.accessTokenExpiresAt.toISOString(),
      refreshToken: tokens.refreshToken,
      idToken: tokens.idToken,
    },
  };
}

/** What `/me.json` shows: no tokens. */
export function publicFields(user: ExampleUser) {
  const email = user.emails[0];
  return {
    id: user.id,
    name: user.displayName,
    username: user.username ?? null,
    email: email?.value ?? null,
    emailVerified: email?.verified ?? null,
    groups: user.groups,
    accessTokenExpiresAt: user.tokens.accessTokenExpiresAt,
  };
}

function currentUser(req: { user?: unknown }): ExampleUser | undefined {
  return req.user as ExampleUser | undefined;
}

/**
 * The cookie store keeps each pending sign-in in an encrypted cookie (SameSite=None; Secure
 * for form_post), which a cross-site form_post still carries; the session cookie
 * (SameSite=Lax) does not go with that POST.
 */
function makeStateStore(kind: 'session' | 'cookie', sessionSecret: string): StateStore | undefined {
  if (kind === 'session') return undefined; // the strategy's default: SessionStateStore
  // A key of its own, derived from the session secret, so that the two never share one.
  const secret = createHmac('sha256', sessionSecret).update('okta-example state cookie').digest('base64url');
  return new CookieStateStore({ secret });
}

function appOrigin(baseURL: string): string {
  const url = URL.parse(baseURL);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.hash) {
    throw new TypeError(`baseURL must be the app's origin, such as http://localhost:3000 (got "${baseURL}")`);
  }
  return url.origin;
}

export function describeError(err: unknown): { name: string; code: string | undefined } {
  const name = err instanceof Error ? err.name : 'Error';
  const code = (err as { code?: unknown } | null)?.code;
  return { name, code: typeof code === 'string' ? code : undefined };
}

function clientErrorStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  const isBodyError = typeof (err as { type?: unknown } | null)?.type === 'string';
  return isBodyError && typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
    'Referrer-Policy': 'same-origin',
    'X-Content-Type-Options': 'nosniff',
  });
  next();
};

/**
 * The example's two-tenant mode (`EXAMPLE_TENANTS=2 npm start`, docs/tenants.md): one app
 * that signs in the users of several Okta orgs with ONE `OktaStrategy`, whose `tenant`
 * resolver takes the org from the path, and serves an API that takes the access tokens of
 * every org with ONE `OktaBearerStrategy` and its `issuers`.
 *
 * Pages: `/` (a Sign in button per org), `/t/{org}/login` (starts a sign-in with that org),
 * `/t/{org}/auth/okta/callback` (each org its own callback, registered in that org only),
 * `/profile`, `/me.json` (with the user's issuer), `/logout` (POST). API: `/api/me`, for an
 * access token of any of the orgs (audience `api://{authServerId}`).
 */
import { randomBytes } from 'node:crypto';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
// A real app imports these from 'passport-okta-oidc'; the example uses the sources.
import { errors, OktaStrategy, type TenantConfig } from '../lib/index.js';
import { OktaBearerStrategy, type OktaBearerAuthInfo } from '../lib/bearer.js';
import type { FetchLike } from '../lib/client.js';
import { describeError, publicFields, securityHeaders, SESSION_COOKIE, toUser, type ExampleUser } from './app.js';
import { startLocalOkta, type LocalOkta } from './local-okta/index.js';
import { errorPage, loginFailedPage, notFoundPage, profilePage, tenantsHomePage } from './views.js';

/** One Okta org the app signs users in with: a custom authorization server and the app's client there. */
export interface ExampleOrg {
  oktaDomain: string;
  authServerId: string;
  clientID: string;
  clientSecret: string;
}

/** Settings of {@link createTenantsApp}. */
export interface TenantsConfig {
  /** The orgs by the name in their paths: `{ acme: ... }` signs in at `/t/acme/login`. */
  orgs: Record<string, ExampleOrg>;
  /** The app's own origin, e.g. `http://localhost:3000`. */
  baseURL: string;
  sessionSecret: string;
  /** `fetch` for the calls to Okta (tests count them); default the global one. */
  fetch?: FetchLike | undefined;
  /** Called with each user who signs in (tests use it to get at the tokens). */
  onSignIn?: ((user: ExampleUser) => void) | undefined;
  /** Where errors go; default `console`. */
  logger?: Pick<Console, 'error'> | undefined;
}

/** Where `org` sends the browser back: registered as the app's redirect URI in that org only. */
export const tenantCallbackPath = (org: string): string => `/t/${org}/auth/okta/callback`;

/** Builds the two-tenant app; it does not listen. */
export function createTenantsApp(config: TenantsConfig): express.Express {
  const baseURL = new URL(config.baseURL).origin;
  // The app's table of customers: usually a database; here the orgs given, each with its own callback.
  const tenants = new Map<string, TenantConfig>();
  for (const [name, org] of Object.entries(config.orgs)) {
    tenants.set(name, { ...org, callbackURL: `${baseURL}${tenantCallbackPath(name)}` });
  }

  const passport = new Passport();
  passport.use(
    new OktaStrategy(
      {
        // The org is the {org} of /t/{org}/...: an unknown one is a 400, with no request anywhere.
        // A callback finishes with the org its sign-in started with, whatever its request says.
        tenant: (req) => tenants.get(/^\/t\/([^/?]+)\//.exec(req.url ?? '')?.[1] ?? ''),
        callbackURL: '/auth/okta/callback', // required; every org above has a callbackURL of its own
        scope: ['openid', 'profile', 'email', 'orders:read'],
        fetch: config.fetch,
      },
      async (tokens, profile) => {
        const user = toUser(tokens, profile);
        config.onSignIn?.(user);
        return user;
      },
    ),
  );
  // The API: the access tokens of every org, each verified with its own org's keys and rules; a
  // token of any other issuer is refused (401) before any request.
  const issuers = Object.values(config.orgs).map((org) => ({
    oktaDomain: org.oktaDomain,
    authServerId: org.authServerId,
    audience: `api://${org.authServerId}`,
  }));
  passport.use(
    new OktaBearerStrategy({ issuers, fetch: config.fetch }, async (claims) => ({ sub: claims.sub, iss: claims.iss })),
  );
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));

  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders);
  app.get('/api/me', passport.authenticate('okta-bearer', { session: false }) as RequestHandler, (req, res) => {
    res.json({ ...(req.user as object), scopes: (req.authInfo as OktaBearerAuthInfo).scopes });
  });
  app.use(
    session({
      name: SESSION_COOKIE,
      secret: config.sessionSecret,
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto' },
    }),
  );
  app.use(passport.initialize());
  app.use(passport.session());

  app.get('/', (req, res) => {
    res.send(tenantsHomePage([...tenants.keys()], currentUser(req)));
  });
  app.get('/login', (_req, res) => {
    res.redirect('/'); // the home page lists the orgs
  });

  // With `tenant`, the strategy has no single client, so oktaSession, keepTokensFresh and
  // oktaLogout (which take a single-org strategy) are not used here: plain
  // passport.authenticate, and a local sign-out below.
  app.get('/t/:org/login', passport.authenticate('okta') as RequestHandler);
  app.get('/t/:org/auth/okta/callback', (req, res, next) => {
    // A failure (a code of another org, an expired sign-in...) answers with its own status and reason.
    const done = (err: unknown, user?: Express.User | false | null, challenge?: unknown, status?: unknown) => {
      if (err) return next(err);
      if (!user) {
        const message = (challenge as { message?: string } | undefined)?.message;
        return res.status(typeof status === 'number' ? status : 401).send(loginFailedPage(message));
      }
      // Passport >= 0.6 regenerates the session; keep the other tabs' pending sign-ins.
      req.logIn(user, { session: true, keepSessionInfo: true }, (loginError) =>
        loginError ? next(loginError) : res.redirect('/profile'),
      );
    };
    (passport.authenticate('okta', done) as RequestHandler)(req, res, next);
  });

  app.get('/profile', (req, res) => {
    const user = currentUser(req);
    if (user) res.send(profilePage(user));
    else res.redirect('/');
  });
  app.get('/me.json', (req, res) => {
    const user = currentUser(req);
    if (user) res.json({ ...publicFields(user), issuer: user.claims.iss });
    else res.status(401).json({ error: 'not_signed_in' });
  });

  // A local sign-out (the app's session only; the user stays signed in at the org), from this
  // app's own pages only.
  app.post('/logout', (req, res, next) => {
    if (req.headers.origin !== undefined && req.headers.origin !== baseURL) {
      res.status(403).send(errorPage({ name: 'Cross-site sign-out refused', code: undefined }));
      return;
    }
    req.logout((err) => {
      if (err) return next(err);
      req.session.destroy((destroyError) => {
        if (destroyError) return next(destroyError);
        res.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax' });
        res.redirect(303, '/');
      });
    });
  });

  app.use((_req, res) => {
    res.status(404).send(notFoundPage());
  });
  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const { name, code } = describeError(err);
    // An org the app does not know (or no longer knows) is the client's mistake: its 400 or 403.
    const status = err instanceof errors.UnknownTenantError ? err.status : 500;
    if (status === 500) (config.logger ?? console).error(`[example] ${name}${code ? ` (${code})` : ''}`, err);
    res.status(status).send(errorPage({ name, code }));
  };
  app.use(onError);
  return app;
}

function currentUser(req: { user?: unknown }): ExampleUser | undefined {
  return req.user as ExampleUser | undefined;
}

/** Local providers for the two-tenant mode: one `startLocalOkta` per org, each knowing only its own callback. */
export interface LocalOrgs {
  orgs: Record<string, ExampleOrg>;
  okta: Record<string, LocalOkta>;
  close(): Promise<void>;
}

/** Starts one local Okta per name (default `acme` and `globex`), each with the app's client. */
export async function startLocalOrgs(
  baseURL: string,
  options: { names?: readonly string[]; quiet?: boolean } = {},
): Promise<LocalOrgs> {
  const origin = new URL(baseURL).origin;
  const orgs: Record<string, ExampleOrg> = {};
  const okta: Record<string, LocalOkta> = {};
  const close = () => Promise.all(Object.values(okta).map((org) => org.close())).then(() => undefined);
  try {
    for (const name of options.names ?? ['acme', 'globex']) {
      const clientSecret = randomBytes(24).toString('base64url');
      okta[name] = await startLocalOkta({
        quiet: options.quiet ?? true,
        clients: [{ clientId: `example-${name}`, clientSecret, redirectUris: [`${origin}${tenantCallbackPath(name)}`] }],
      });
      orgs[name] = { oktaDomain: okta[name].origin, authServerId: 'default', clientID: `example-${name}`, clientSecret };
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { orgs, okta, close };
}

import express, { type ErrorRequestHandler } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { request as httpRequest, type Agent, type IncomingHttpHeaders } from 'node:http';
import {
  oktaAuthenticate,
  safeRedirectPath,
  type OktaAuthenticateOptions,
  type OktaStrategy,
  type OktaSuccessInfo,
} from '../../lib/index.js';

/** The session key under which SessionStateStore keeps pending sign-ins. */
export const PENDING_KEY = 'passport-okta-oidc';

export interface TestApp {
  app: express.Express;
  /** express-session's memory store: every session, as JSON, by id. */
  sessions: session.MemoryStore;
  /** How many requests reached the app's routes (after Node and the body parser let them in). */
  counters: { requests: number; callbacks: number };
}

/**
 * An app as the README sets it up: Express 5, express-session (memory store), Passport
 * 0.7 with `keepSessionInfo`, and `safeRedirectPath` on `info.state`. `/login?user=x`
 * signs in as Okta user x (the provider reads `login_hint`), `/me` shows who is signed in.
 * `routes` adds a test's own routes, ahead of the error handler.
 */
export function createTestApp(strategy: OktaStrategy, routes?: (app: express.Express) => void): TestApp {
  const passport = new Passport();
  passport.use(strategy);
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));
  const sessions = new session.MemoryStore();
  const counters = { requests: 0, callbacks: 0 };

  const app = express();
  app.use((_req, _res, next) => {
    counters.requests++;
    next();
  });
  app.use(
    session({
      store: sessions,
      secret: 'hostile-app-session-secret',
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax' },
    }),
  );
  app.use(passport.initialize());
  app.use(passport.session());

  app.get('/login', (req, res, next) => {
    const options: OktaAuthenticateOptions = {
      loginHint: typeof req.query.user === 'string' ? req.query.user : undefined,
      state: { returnTo: typeof req.query.returnTo === 'string' ? req.query.returnTo : undefined },
    };
    oktaAuthenticate(passport, options, strategy.name)(req, res, next);
  });
  const finish = passport.authenticate(strategy.name, {
    failureRedirect: '/failed',
    failureMessage: true,
    keepSessionInfo: true,
  });
  const count: express.RequestHandler = (_req, _res, next) => {
    counters.callbacks++;
    next();
  };
  const afterSignIn: express.RequestHandler = (req, res) => {
    const state = (req.authInfo as OktaSuccessInfo | undefined)?.state as { returnTo?: unknown } | undefined;
    res.redirect(safeRedirectPath(state?.returnTo, '/me'));
  };
  app.get('/auth/okta/callback', count, finish, afterSignIn);
  app.post('/auth/okta/callback', express.urlencoded({ extended: false }), count, finish, afterSignIn);
  app.get('/me', (req, res) => {
    res.json({ user: req.user ?? null });
  });
  app.get('/failed', (req, res) => {
    res.status(403).json({ messages: (req.session as { messages?: string[] }).messages ?? [] });
  });
  app.get('/logout', (req, res, next) => {
    req.logout((err) => {
      if (err) return next(err);
      req.session.destroy((destroyErr) => (destroyErr ? next(destroyErr) : res.json({ signedOut: true })));
    });
  });
  routes?.(app);
  const onError: ErrorRequestHandler = (err: Error & { code?: string; status?: number }, _req, res, _next) => {
    void _next;
    res.status(err.status && err.status < 500 ? err.status : 500).json({ error: err.name, code: err.code });
  };
  app.use(onError);
  return { app, sessions, counters };
}

/** Pending sign-ins left in all sessions of a memory store. */
export function pendingLoginsIn(sessions: session.MemoryStore): { sessions: number; pending: number } {
  const all = (sessions as unknown as { sessions: Record<string, string> }).sessions;
  let pending = 0;
  for (const json of Object.values(all)) {
    const bag = (JSON.parse(json) as Record<string, unknown>)[PENDING_KEY] as Record<string, unknown[]> | undefined;
    for (const list of Object.values(bag ?? {})) pending += list.length;
  }
  return { sessions: Object.keys(all).length, pending };
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  location: string | undefined;
}

/** A cookie scoped to a path other than `/`. */
export interface ScopedCookie {
  name: string;
  value: string;
  path: string;
}

/**
 * A browser for one site: keeps its cookies per name and path (RFC 6265), never follows
 * redirects. Sends the cookies whose path matches the request, longest path first; a
 * `Max-Age=0` removes only the cookie of that name and path; a `__Host-` cookie without
 * `Secure` and `Path=/`, or with a `Domain`, and a `__Secure-` cookie without `Secure`,
 * are refused as browsers refuse them. `Secure` is otherwise ignored: the app runs on
 * 127.0.0.1, which browsers treat as a secure context.
 * Uses node:http with a keep-alive agent, which is cheap enough for load tests.
 */
export class CookieBrowser {
  /** Cookies on `Path=/`, name -> value: tests read and plant cookies here. */
  readonly cookies = new Map<string, string>();
  /** Cookies on any other path, by `${path} ${name}`. */
  readonly scoped = new Map<string, ScopedCookie>();

  constructor(private readonly agent?: Agent) {}

  get(url: string | URL, headers: Record<string, string> = {}): Promise<Answer> {
    return this.send('GET', new URL(url), headers);
  }

  post(url: string | URL, form: string, headers: Record<string, string> = {}): Promise<Answer> {
    return this.send('POST', new URL(url), { 'content-type': 'application/x-www-form-urlencoded', ...headers }, form);
  }

  /** The Cookie header this browser sends to `url` (RFC 6265 §5.4). */
  cookieHeader(url: URL): string {
    const pairs: string[] = [];
    if (this.scoped.size > 0) {
      const matching = [...this.scoped.values()].filter(({ path }) => pathMatches(url.pathname, path));
      for (const { name, value } of matching.sort((a, b) => b.path.length - a.path.length)) pairs.push(`${name}=${value}`);
    }
    for (const [name, value] of this.cookies) pairs.push(`${name}=${value}`);
    return pairs.join('; ');
  }

  private send(method: string, url: URL, headers: Record<string, string>, body?: string): Promise<Answer> {
    const cookie = this.cookieHeader(url);
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        url,
        { method, agent: this.agent, headers: { ...headers, ...(cookie ? { cookie } : {}) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            for (const line of res.headers['set-cookie'] ?? []) this.store(url, line);
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
              location: res.headers.location,
            });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Keeps one Set-Cookie line received from `url` (RFC 6265 §5.2, §5.3; cookie prefixes). */
  private store(url: URL, line: string): void {
    const [pair = '', ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq < 1) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    let path: string | undefined;
    let secure = false;
    let domain = false;
    for (const attribute of attributes) {
      const [key = '', val = ''] = attribute.trim().split('=');
      const lower = key.toLowerCase();
      if (lower === 'path' && val.startsWith('/')) path = val;
      else if (lower === 'secure') secure = true;
      else if (lower === 'domain' && val) domain = true;
    }
    if (name.startsWith('__Host-') && (!secure || path !== '/' || domain)) return;
    if (name.startsWith('__Secure-') && !secure) return;
    const cookiePath = path ?? defaultPath(url.pathname);
    const expired = /max-age=0|expires=thu, 01 jan 1970/i.test(line);
    if (cookiePath === '/') {
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    } else {
      const key = `${cookiePath} ${name}`;
      if (expired) this.scoped.delete(key);
      else this.scoped.set(key, { name, value, path: cookiePath });
    }
  }
}

/** RFC 6265 §5.1.4 */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/** RFC 6265 §5.1.4: the directory of the request path. */
function defaultPath(requestPath: string): string {
  const last = requestPath.lastIndexOf('/');
  return last <= 0 ? '/' : requestPath.slice(0, last);
}

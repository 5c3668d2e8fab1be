import { expect } from 'chai';
import express, { type ErrorRequestHandler } from 'express';
import session from 'express-session';
import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { Passport, type AuthenticateOptions } from 'passport';
import { AuthorizationError, IdTokenError, RateLimitError, TokenError } from '../../lib/core/errors.js';
import { type OktaAuthenticateOptions, type OktaStrategy } from '../../lib/index.js';
import { CookieBrowser, type Answer } from '../support/hostile-app.js';
import { makeStrategy } from '../support/hostile-harness.js';
import { HostileOkta, type Behaviour, type TokenRequest } from '../support/hostile-okta.js';
import { expectNoLeak } from '../support/secret-leaks.js';
import { listen } from '../support/server.js';

/**
 * What an app and its logs get to see of a failed sign-in: the error handed to Express
 * (its message, fields, cause chain and `util.inspect` output, as `console.error(err)`
 * prints it), the failure message shown to the user, and the HTTP status the browser gets.
 * Each sign-in goes through Express, Passport and the strategy over real HTTP, against
 * the hostile provider.
 */

/** RFC 6749 §4.1.2.1 / §5.2: the characters allowed in `error` and `error_description`. */
const OAUTH_TEXT = /^[\x20-\x21\x23-\x5B\x5D-\x7E]*$/;

interface ReportingApp {
  origin: string;
  /** Every error the strategy handed to Express, in order. */
  errors: Error[];
  close(): Promise<void>;
}

/**
 * Express 5 + express-session + Passport 0.7 as the README sets them up, with Express's
 * own (default) error handler, so the browser gets the status that handler derives from
 * the error. `/login?user=&sessionToken=` starts a sign-in; failures go to `/failed`.
 */
async function startApp(strategy: OktaStrategy): Promise<ReportingApp> {
  const passport = new Passport();
  passport.use(strategy);
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));
  const errors: Error[] = [];
  const app = express();
  app.set('env', 'test'); // Express's default handler then does not print errors to the test output
  app.use(session({ secret: 'error-reports-session-secret', resave: false, saveUninitialized: false }));
  app.use(passport.initialize());
  app.use(passport.session());
  app.get('/login', (req, res, next) => {
    const text = (name: string): string | undefined => (typeof req.query[name] === 'string' ? req.query[name] : undefined);
    const options: OktaAuthenticateOptions = { loginHint: text('user'), sessionToken: text('sessionToken') };
    passport.authenticate(strategy.name, options as AuthenticateOptions)(req, res, next);
  });
  app.get(
    '/auth/okta/callback',
    passport.authenticate(strategy.name, { failureRedirect: '/failed', failureMessage: true, keepSessionInfo: true }),
    (_req, res) => res.redirect('/me'),
  );
  app.get('/failed', (req, res) => {
    res.status(403).json({ messages: (req.session as { messages?: string[] }).messages ?? [] });
  });
  const record: ErrorRequestHandler = (err: Error, _req, _res, next) => {
    errors.push(err);
    next(err);
  };
  app.use(record);
  const server = await listen(app);
  return { origin: server.origin, errors, close: server.close };
}

/** Starts a sign-in in a fresh browser; returns the browser and the authorization URL. */
async function startSignIn(app: ReportingApp, query = 'user=alice'): Promise<{ browser: CookieBrowser; login: Answer }> {
  const browser = new CookieBrowser();
  const login = await browser.get(`${app.origin}/login?${query}`);
  return { browser, login };
}

/** A whole sign-in through the app; returns what the browser got back from the callback. */
async function signInThrough(
  app: ReportingApp,
  okta: HostileOkta,
  user = 'alice',
): Promise<{ callback: Answer; authorizeURL: URL }> {
  const { browser, login } = await startSignIn(app, `user=${encodeURIComponent(user)}`);
  expect(login.status, login.body).to.equal(302);
  const authorizeURL = new URL(login.location!);
  const callback = await browser.get(await okta.authorize(authorizeURL));
  return { callback, authorizeURL };
}

/** Everything a log line or an error tracker could show of an error. */
function everythingShown(err: Error): string {
  return [
    inspect(err, { depth: Infinity, showHidden: true }),
    inspect(err, { depth: Infinity }),
    JSON.stringify(err),
    String(err),
    err.stack ?? '',
  ].join('\n');
}

function only<T>(list: T[]): T {
  expect(list).to.have.length(1);
  return list[0]!;
}

describe('what errors tell an app, its logs and the browser (Express over real HTTP)', () => {
  let okta: HostileOkta;
  let app: ReportingApp | undefined;

  before(async () => {
    okta = await HostileOkta.start();
  });
  beforeEach(() => okta.reset());
  afterEach(async () => {
    try {
      // Every error the app's handler met, searched for the secrets the provider saw.
      for (const error of app?.errors ?? [])
        expectNoLeak({ where: 'error-reports', outcome: { kind: 'error', error } }, okta.secrets);
    } finally {
      await app?.close();
      app = undefined;
    }
  });
  after(async () => {
    await okta.close();
  });

  describe('no token contents or personal data in a rejected ID token error', () => {
    const user = `zelda.quintessa-${randomBytes(3).toString('hex')}`;
    const email = `${user}@marchbanks.example`;
    const name = `Zelda Quintessa Marchbanks ${user.slice(-6)}`;
    const now = (): number => Math.floor(Date.now() / 1000);
    const cases: Array<[string, string, Behaviour['claims']]> = [
      ['expired', 'exp', () => ({ exp: now() - 600, iat: now() - 4200 })],
      ['for another audience', 'aud', { aud: '0oa-someone-else' }],
      ['from another issuer', 'iss', { iss: 'https://evil.example/oauth2/default' }],
      ['not valid yet (nbf)', 'nbf', () => ({ nbf: now() + 3600 })],
      ['issued in the future', 'iat', () => ({ iat: now() + 3600 })],
      ['with another nonce', 'nonce', { nonce: `n-${user}` }],
    ];
    for (const [label, claim, claims] of cases) {
      it(`${label}: util.inspect, JSON and the stack hold only the claim name and reason`, async () => {
        app = await startApp(makeStrategy(okta));
        okta.behaviour = {
          claims: (grant) => ({ email, name, given_name: 'Zelda', ...(typeof claims === 'function' ? claims(grant) : claims) }),
        };
        const { callback, authorizeURL } = await signInThrough(app, okta, user);
        const err = only(app.errors);
        expect(err).to.be.instanceOf(IdTokenError).with.property('claim', claim);
        const idToken = okta.lastIdToken!;
        const [header, payload, signature] = idToken.split('.') as [string, string, string];
        const shown = everythingShown(err) + callback.body;
        for (const [what, value] of Object.entries({
          email,
          name,
          user,
          'the nonce sent': authorizeURL.searchParams.get('nonce')!,
          'the ID token': idToken,
          'its header': header,
          'its payload': payload,
          'its signature': signature,
        })) {
          expect(shown, `${what} must not be shown`).to.not.contain(value);
        }
        expect(shown, 'no payload property anywhere').to.not.match(/payload/);
      });
    }
  });

  describe('log injection through error texts', () => {
    const forgedLine = '\r\n2031-01-01T00:00:00.000Z INFO admin@example.com signed in from 10.0.0.1\r\n';
    const longDescription = `Denied.${forgedLine}\u001b[31mred\u001b[0m \u2028"quoted" back\\slash ${'A'.repeat(3900)}`;

    function expectClean(text: string | undefined, max: number, what: string): void {
      if (text === undefined) return;
      expect(text, `${what}: only RFC 6749 characters`).to.match(OAUTH_TEXT);
      expect(text.length, `${what}: clipped`).to.be.at.most(max);
    }

    it('a user-facing error (access_denied) shows a clipped, single-line message', async () => {
      app = await startApp(makeStrategy(okta));
      const { browser, login } = await startSignIn(app);
      const state = new URL(login.location!).searchParams.get('state')!;
      const callback = new URL(`${app.origin}/auth/okta/callback`);
      callback.searchParams.set('state', state);
      callback.searchParams.set('error', 'access_denied');
      callback.searchParams.set('error_description', longDescription);
      expect(longDescription.length).to.be.below(4096);
      const answer = await browser.get(callback);
      expect(answer.location).to.equal('/failed');
      const { messages } = JSON.parse((await browser.get(`${app.origin}/failed`)).body) as { messages: string[] };
      const message = only(messages);
      expect(message).to.not.match(/[\r\n]/);
      expectClean(message, 320, 'the failure message');
      expect(message).to.match(/^Denied\./);
      expect(app.errors).to.deep.equal([]);
    });

    it('a server error code (goes to error()) has clean message, description, error and uri fields', async () => {
      app = await startApp(makeStrategy(okta));
      const { browser, login } = await startSignIn(app);
      const state = new URL(login.location!).searchParams.get('state')!;
      const callback = new URL(`${app.origin}/auth/okta/callback`);
      callback.searchParams.set('state', state);
      callback.searchParams.set('error', `server_error${forgedLine}`);
      callback.searchParams.set('error_description', longDescription);
      callback.searchParams.set('error_uri', `https://help.example/e${forgedLine}<script>`);
      const answer = await browser.get(callback);
      expect(answer.status).to.be.within(500, 599);
      const err = only(app.errors) as AuthorizationError;
      expect(err).to.be.instanceOf(AuthorizationError);
      expect(err.message).to.not.match(/[\r\n]/);
      expectClean(err.message, 500, 'message');
      expectClean(err.description, 320, 'description');
      expectClean(err.error, 120, 'error');
      expect(err.uri === undefined || /^[\x21\x23-\x5B\x5D-\x7E]*$/.test(err.uri), `uri ${err.uri}`).to.equal(true);
      expect(inspect(err)).to.not.contain('A'.repeat(400));
    });

    it("an OAuth error body from Okta's token endpoint is cleaned the same way", async () => {
      app = await startApp(makeStrategy(okta));
      okta.behaviour = {
        token: {
          status: 400,
          body: {
            error: `invalid_grant${forgedLine}`,
            error_description: longDescription,
            error_uri: `https://x.example/${forgedLine}`,
          },
        },
      };
      await signInThrough(app, okta);
      const err = only(app.errors) as TokenError;
      expect(err).to.be.instanceOf(TokenError);
      expect(err.message).to.not.match(/[\r\n]/);
      expectClean(err.message, 500, 'message');
      expectClean(err.description, 320, 'description');
      expectClean(err.error, 120, 'error');
      expect(err.uri === undefined || /^[\x21\x23-\x5B\x5D-\x7E]*$/.test(err.uri), `uri ${err.uri}`).to.equal(true);
    });
  });

  describe('pushed authorization requests (PAR)', () => {
    it('a refused PAR that echoes the request shows none of the sensitive parameters', async () => {
      app = await startApp(
        makeStrategy(okta, { pushedAuthorizationRequests: true, tokenEndpointAuthMethod: 'client_secret_post' }),
      );
      const sent: Record<string, string> = {};
      okta.behaviour = {
        par: (request: TokenRequest) => {
          for (const [key, value] of request.form) sent[key] = value;
          const echo = ['sessionToken', 'login_hint', 'state', 'nonce', 'code_challenge', 'client_secret']
            .map((key) => request.form.get(key))
            .join(' ');
          return {
            status: 400,
            body: {
              error: 'invalid_request',
              error_description: `Rejected: ${echo} | ${request.rawBody}`,
              error_uri: `https://errors.example/?${request.rawBody}`,
            },
          };
        },
      };
      const hint = `zelda.${randomBytes(4).toString('hex')}@marchbanks.example`;
      const sessionToken = `20111${randomBytes(16).toString('hex')}`;
      const { login } = await startSignIn(app, `user=${encodeURIComponent(hint)}&sessionToken=${sessionToken}`);
      const err = only(app.errors) as TokenError;
      expect(err).to.be.instanceOf(TokenError).with.property('error', 'invalid_request');
      expect(sent).to.include({ login_hint: hint, sessionToken });
      const shown = everythingShown(err);
      for (const key of ['sessionToken', 'login_hint', 'state', 'nonce', 'code_challenge', 'client_secret']) {
        const value = sent[key]!;
        expect(value, key).to.be.a('string');
        for (const form of [value, encodeURIComponent(value), new URLSearchParams({ v: value }).toString().slice(2)]) {
          expect(shown, `${key} must not be shown`).to.not.contain(form);
        }
      }
      expect(err.description).to.match(/^Rejected: \[redacted\]/);
      expect(login.status, 'a failure of Okta, not of the browser').to.equal(502);
    });
  });

  describe('messages and statuses', () => {
    it('invalid_client from the token endpoint reaches the browser as 502, not 401, and says "token endpoint" once', async () => {
      app = await startApp(makeStrategy(okta, { clientSecret: 'not-the-client-secret' }));
      const { callback } = await signInThrough(app, okta);
      expect(callback.status, "Express's default error handler").to.equal(502);
      const err = only(app.errors) as TokenError;
      expect(err).to.be.instanceOf(TokenError).and.include({ error: 'invalid_client', status: 502, oktaStatus: 401 });
      // Named for a newcomer first (issue 19), then Okta's answer as it came.
      expect(err.message).to.equal(
        'Okta refused the client credentials: check clientID/clientSecret (OKTA_CLIENT_SECRET), and that oktaDomain is ' +
          "the Okta org of this app. Okta said: Okta's token endpoint answered 401: invalid_client (Client authentication failed.)",
      );
      expect(err.message.match(/token endpoint/g)).to.have.length(1);
    });

    it('no message says "endpoint endpoint", whatever the endpoint', async () => {
      app = await startApp(makeStrategy(okta, { userInfo: true }));
      okta.behaviour = { userinfo: { status: 401, body: { error: 'invalid_token' } } };
      await signInThrough(app, okta);
      const err = only(app.errors);
      expect(err).to.be.instanceOf(TokenError);
      expect(err.message).to.match(/^Okta's userinfo endpoint answered 401: invalid_token$/);
    });

    it('rate limiting at the token endpoint reaches the browser as 503', async () => {
      app = await startApp(makeStrategy(okta));
      okta.behaviour = { token: { status: 429, headers: { 'x-rate-limit-reset': String(Math.floor(Date.now() / 1000) + 30) } } };
      const { callback } = await signInThrough(app, okta);
      expect(callback.status).to.equal(503);
      expect(only(app.errors)).to.be.instanceOf(RateLimitError).and.include({ status: 503, oktaStatus: 429 });
    });

    it('an ID token signed with a 1024-bit RSA key is reported as a key too small', async () => {
      app = await startApp(makeStrategy(okta));
      const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'weak-1024', alg: 'RS256', use: 'sig' };
      const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
      okta.behaviour = {
        keys: { body: { keys: [jwk] } },
        idToken: (grant, provider) => {
          const input = `${b64({ alg: 'RS256', kid: 'weak-1024' })}.${b64(provider.claimsFor(grant))}`;
          return `${input}.${createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url')}`;
        },
      };
      const { callback } = await signInThrough(app, okta);
      expect(callback.status).to.equal(502);
      const err = only(app.errors) as IdTokenError;
      expect(err).to.be.instanceOf(IdTokenError).with.property('claim', 'key');
      expect(err.message).to.equal('ID token rejected: key is too small (RSA keys must be 2048 bits or more)');
    });

    describe('clock skew says by how much, and names clockTolerance', () => {
      // A clock on a whole second, so that the differences are exact.
      let fixed: number;
      let nowSeconds: number;
      beforeEach(() => {
        nowSeconds = Math.floor(Date.now() / 1000);
        fixed = nowSeconds * 1000;
      });

      it('an expired ID token', async () => {
        app = await startApp(makeStrategy(okta, { now: () => fixed }));
        okta.behaviour = { claims: { exp: nowSeconds - 125, iat: nowSeconds - 3725 } };
        await signInThrough(app, okta);
        const err = only(app.errors) as IdTokenError;
        expect(err).to.be.instanceOf(IdTokenError).with.property('claim', 'exp');
        // The default tolerance is 120 s (docs/configuration.md says why).
        expect(err.message).to.equal('ID token rejected: exp passed 125 s ago, beyond the clockTolerance of 120 s');
      });

      it('an ID token issued in the future', async () => {
        app = await startApp(makeStrategy(okta, { now: () => fixed, clockTolerance: 30 }));
        okta.behaviour = { claims: { iat: nowSeconds + 95, exp: nowSeconds + 3695 } };
        await signInThrough(app, okta);
        const err = only(app.errors) as IdTokenError;
        expect(err).to.be.instanceOf(IdTokenError).with.property('claim', 'iat');
        expect(err.message).to.equal('ID token rejected: iat is 95 s in the future, beyond the clockTolerance of 30 s');
      });

      it('an ID token not valid yet (nbf)', async () => {
        app = await startApp(makeStrategy(okta, { now: () => fixed }));
        okta.behaviour = { claims: { nbf: nowSeconds + 125, iat: nowSeconds, exp: nowSeconds + 3600 } };
        await signInThrough(app, okta);
        const err = only(app.errors) as IdTokenError;
        expect(err).to.be.instanceOf(IdTokenError).with.property('claim', 'nbf');
        expect(err.message).to.equal('ID token rejected: nbf is 125 s in the future, beyond the clockTolerance of 120 s');
      });
    });
  });
});

import { expect } from 'chai';
import express, { type ErrorRequestHandler } from 'express';
import { Passport, type AuthenticateOptions } from 'passport';
import {
  CookieStateStore,
  type CookieStateStoreOptions,
  type OktaAuthenticateOptions,
  type OktaSuccessInfo,
} from '../../lib/index.js';
import { CookieBrowser, type Answer } from '../support/hostile-app.js';
import { makeStrategy, type TestUser } from '../support/hostile-harness.js';
import { HostileOkta } from '../support/hostile-okta.js';
import { openSlot } from '../support/server.js';

const SECRET = 'cookie-store-http-test-secret-0123456789';
const SLOT = /^(__Host-)?okta_login\.\d+$/;

interface CookieApp {
  origin: string;
  close(): Promise<void>;
}

/**
 * An app with no session at all: pending sign-ins wait in a CookieStateStore.
 * `/login?user=x&pad=n` starts a sign-in as Okta user x with an app state of about n
 * bytes; the callback answers the user and the state as JSON, a refusal with Passport's
 * bare status (403), an error with 500 and the error's name and code.
 */
async function startApp(
  okta: HostileOkta,
  options: { https?: boolean; callbackPath?: string; store?: Partial<CookieStateStoreOptions> } = {},
): Promise<CookieApp> {
  const slot = await openSlot();
  const port = new URL(slot.origin).port;
  const strategy = makeStrategy(okta, {
    // Served over plain http on 127.0.0.1, as behind a TLS-terminating proxy.
    callbackURL: `${options.https ? `https://127.0.0.1:${port}` : ''}${options.callbackPath ?? '/auth/okta/callback'}`,
    store: new CookieStateStore({ secret: SECRET, ...options.store }),
  });
  const passport = new Passport();
  passport.use(strategy);
  const app = express();
  app.use(passport.initialize());
  app.get('/login', (req, res, next) => {
    const pad = Number(req.query.pad ?? 0);
    const authenticate: OktaAuthenticateOptions & { session: false } = {
      session: false,
      loginHint: typeof req.query.user === 'string' ? req.query.user : undefined,
      state: pad > 0 ? { pad: 'x'.repeat(pad) } : undefined,
    };
    // @types/passport types `state` as a string; OktaStrategy takes any JSON value.
    passport.authenticate('okta', authenticate as AuthenticateOptions)(req, res, next);
  });
  app.get('/auth/okta/callback', passport.authenticate('okta', { session: false }), (req, res) => {
    const state = (req.authInfo as OktaSuccessInfo | undefined)?.state as { pad?: string } | undefined;
    res.json({ user: (req.user as TestUser).id, pad: state?.pad?.length ?? 0 });
  });
  const onError: ErrorRequestHandler = (err: Error & { code?: string }, _req, res, _next) => {
    void _next;
    res.status(500).json({ error: err.name, code: err.code });
  };
  app.use(onError);
  slot.serve(app);
  return { origin: slot.origin, close: () => slot.close() };
}

/** Where the browser lands when the provider redirects to `callback`: the same path and query, on the app. */
function onApp(app: CookieApp, callback: URL): URL {
  return new URL(callback.pathname + callback.search, app.origin);
}

/** The store's pending-login cookies the browser holds, on any path. */
function slotCookies(browser: CookieBrowser): Array<{ name: string; value: string; path: string }> {
  const all = [...[...browser.cookies].map(([name, value]) => ({ name, value, path: '/' })), ...browser.scoped.values()];
  return all.filter(({ name }) => SLOT.test(name));
}

describe('CookieStateStore over HTTP (Express, hostile provider)', () => {
  let okta: HostileOkta;
  const apps: CookieApp[] = [];

  before(async () => {
    okta = await HostileOkta.start();
  });
  beforeEach(() => okta.reset());
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });
  after(async () => {
    await okta?.close();
  });

  async function app(options: Parameters<typeof startApp>[1] = {}): Promise<CookieApp> {
    const started = await startApp(okta, options);
    apps.push(started);
    return started;
  }

  /** Starts a sign-in in `browser` and returns the callback the provider sends it to (not yet followed). */
  async function startSignIn(browser: CookieBrowser, target: CookieApp, query = 'user=alice'): Promise<URL> {
    const start = await browser.get(`${target.origin}/login?${query}`);
    expect(start.status, start.body).to.equal(302);
    return onApp(target, await okta.authorize(start.location!));
  }

  function signedInAs(answer: Answer): { user: string; pad: number } {
    expect(answer.status, answer.body).to.equal(200);
    return JSON.parse(answer.body) as { user: string; pad: number };
  }

  for (const https of [false, true]) {
    const mode = https ? 'https callback' : 'http callback';

    it(`${mode}: a callback through /auth/okta/callback/ (trailing slash) signs in once; its replay is refused before any token request`, async () => {
      const target = await app({ https });
      const browser = new CookieBrowser();
      const callback = await startSignIn(browser, target);
      callback.pathname += '/';

      expect(signedInAs(await browser.get(callback)).user).to.equal('00ualice');
      const replay = await browser.get(callback);
      expect(replay.status, replay.body).to.equal(403);
      expect(okta.hits.token, 'token requests').to.equal(1);
      expect(slotCookies(browser), 'the used cookie is gone').to.deep.equal([]);
    });

    it(`${mode}: a cookie that cannot be decrypted is cleared too, also through the trailing-slash path`, async () => {
      const target = await app({ https });
      const browser = new CookieBrowser();
      const callback = await startSignIn(browser, target);
      callback.pathname += '/';
      const [cookie] = slotCookies(browser);
      const tampered = `${cookie!.value.split('.')[0]}.not-a-jwe`;
      if (cookie!.path === '/') browser.cookies.set(cookie!.name, tampered);
      else browser.scoped.set(`${cookie!.path} ${cookie!.name}`, { ...cookie!, value: tampered });

      const answer = await browser.get(callback);
      expect(answer.status).to.equal(403);
      expect(slotCookies(browser), 'the unreadable cookie is cleared').to.deep.equal([]);
      expect(okta.hits.token).to.equal(0);
    });
  }

  describe('rotating the secret in a rolling deploy (two instances, each configuration next to the one before and after it)', () => {
    const OLD = 'the-old-state-cookie-secret-0123456789abcdef';
    const NEW = 'the-new-state-cookie-secret-0123456789abcdef';
    type Secrets = Array<string | undefined>;
    const show = (secrets: Secrets) =>
      `[${secrets
        .filter(Boolean)
        .map((s) => (s === OLD ? 'OLD' : 'NEW'))
        .join(', ')}]`;

    /** A sign-in started on an instance with `from` finishes on one with `to`: the browser is sent back to the other. */
    async function across(from: Secrets, to: Secrets): Promise<Answer> {
      const starter = await app({ store: { secret: from } });
      const finisher = await app({ store: { secret: to } });
      const browser = new CookieBrowser();
      const callback = await startSignIn(browser, starter);
      return browser.get(onApp(finisher, callback));
    }

    // What `[process.env.STATE_SECRET, process.env.STATE_SECRET_ACCEPTED]` holds at each step; a
    // deploy replaces instances one at a time, so each step runs next to the one before it.
    const steps: Secrets[] = [
      [OLD, undefined],
      [OLD, NEW],
      [NEW, OLD],
      [NEW, undefined],
    ];
    for (let step = 1; step < steps.length; step++) {
      const [before, after] = [steps[step - 1]!, steps[step]!];
      it(`step ${step}, ${show(before)} next to ${show(after)}: sign-ins cross both ways`, async () => {
        expect(signedInAs(await across(before, after)).user).to.equal('00ualice');
        expect(signedInAs(await across(after, before)).user).to.equal('00ualice');
      });
    }

    it('in one step, [OLD] next to [NEW, OLD]: a sign-in started on an updated instance fails on one not yet updated', async () => {
      const lost = await across([NEW, OLD], [OLD]);
      expect(lost.status, lost.body).to.equal(403);
      expect(signedInAs(await across([OLD], [NEW, OLD])).user).to.equal('00ualice');
    });
  });

  it('five sign-ins started with a 2 KB app state keep the cookies within 8 KiB: the newest ones complete (no 431), the oldest were dropped', async () => {
    const target = await app();
    const browser = new CookieBrowser();
    const callbacks: URL[] = [];
    for (let i = 0; i < 6; i++) callbacks.push(await startSignIn(browser, target, `user=u${i}&pad=2000`));

    // Node refuses request headers over 16 KiB with 431 (and no app code runs).
    const header = browser.cookieHeader(callbacks[5]!);
    expect(Buffer.byteLength(header), 'Cookie header of the callback').to.be.at.most(8192);
    const newest = await browser.get(callbacks[5]!);
    expect(newest.status, 'no 431: the cookies fit in the request headers').to.not.equal(431);
    expect(signedInAs(newest)).to.deep.equal({ user: '00uu5', pad: 2000 });
    expect(signedInAs(await browser.get(callbacks[4]!)).user).to.equal('00uu4');
    // Two such sign-ins fit in 8 KiB; the third newest was dropped to make room.
    expect((await browser.get(callbacks[3]!)).status).to.equal(403);
    expect(okta.hits.token).to.equal(2);
  });

  it('refuses at its start, with a ConfigurationError, a sign-in whose cookie alone would not fit', async () => {
    const target = await app({ callbackPath: `/auth/okta/${'c'.repeat(700)}` });
    const browser = new CookieBrowser();
    const start = await browser.get(`${target.origin}/login?user=alice&pad=2000`);
    expect(start.status).to.equal(500);
    expect(JSON.parse(start.body)).to.deep.equal({ error: 'ConfigurationError', code: 'ERR_OKTA_CONFIGURATION' });
    expect(start.headers['set-cookie'], 'nothing written for a refused start').to.equal(undefined);
    // Without the app state it fits.
    expect((await browser.get(`${target.origin}/login?user=alice`)).status).to.equal(302);
  });

  it('with app states that fit, however many sign-ins are started, maxPending stay, within 8 KiB, and the newest complete', async () => {
    const target = await app();
    const browser = new CookieBrowser();
    const callbacks: URL[] = [];
    for (let i = 0; i < 8; i++) callbacks.push(await startSignIn(browser, target, `user=u${i}&pad=500`));
    expect(slotCookies(browser)).to.have.length(5);
    const header = browser.cookieHeader(new URL(`${target.origin}/auth/okta/callback`));
    expect(Buffer.byteLength(header)).to.be.at.most(8192);
    for (let i = 3; i < 8; i++)
      expect(signedInAs(await browser.get(callbacks[i]!))).to.deep.equal({ user: `00uu${i}`, pad: 500 });
  });

  it('https callback: the cookies are __Host- cookies (Secure, Path=/, no Domain), the slot counter included', async () => {
    const target = await app({ https: true });
    const browser = new CookieBrowser();
    const start = await browser.get(`${target.origin}/login?user=alice`);
    const lines = start.headers['set-cookie'] ?? [];
    expect(lines.map((line) => line.split('=')[0])).to.deep.equal(['__Host-okta_login.0', '__Host-okta_login_next']);
    for (const line of lines) {
      const attributes = line.split('; ').slice(1);
      expect(attributes, line).to.include('Path=/').and.include('Secure').and.include('HttpOnly');
      expect(
        attributes.some((a) => /^domain=/i.test(a)),
        line,
      ).to.equal(false);
    }
    // The browser kept them (it refuses a malformed __Host- cookie), and they work.
    expect([...browser.cookies.keys()].sort()).to.deep.equal(['__Host-okta_login.0', '__Host-okta_login_next']);
    expect(signedInAs(await browser.get(onApp(target, await okta.authorize(start.location!)))).user).to.equal('00ualice');
  });

  it('http callback (development on 127.0.0.1): plain cookie names, on Path=/', async () => {
    const target = await app();
    const start = await new CookieBrowser().get(`${target.origin}/login?user=alice`);
    const lines = start.headers['set-cookie'] ?? [];
    expect(lines.map((line) => line.split('=')[0])).to.deep.equal(['okta_login.0', 'okta_login_next']);
    for (const line of lines) expect(line.split('; '), line).to.include('Path=/');
  });

  it('https callback: a login cookie planted under the plain name (as a sibling subdomain can, with Domain=) is not accepted: no login CSRF', async () => {
    const target = await app({ https: true });
    // The attacker starts a sign-in of their own and keeps its cookie and callback.
    const attacker = new CookieBrowser();
    const callback = await startSignIn(attacker, target, 'user=mallory');
    const [cookie] = slotCookies(attacker);
    okta.reset();
    // ...and plants the cookie in the victim's browser under the unprefixed name.
    const victim = new CookieBrowser();
    victim.cookies.set('okta_login.0', cookie!.value);

    const answer = await victim.get(callback);
    expect(answer.status, answer.body).to.equal(403);
    expect(okta.hits.token, 'token requests').to.equal(0);
  });
});

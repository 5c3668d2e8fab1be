import { expect } from 'chai';
import type nock from 'nock';
import { ConfigurationError } from '../../../../lib/core/errors.js';
import { CookieStateStore, OktaStrategy, type OktaStrategyOptions, type StateStore } from '../../../../lib/index.js';
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, FakeOkta, mockedOkta } from '../../../support/okta-mock.js';
import { request, run, type Outcome } from '../../../support/passport.js';

const SECRET = 'a-state-cookie-secret-of-at-least-32-chars';

/** Collects Set-Cookie headers like a Node response, and plays them back like a browser. */
class CookieBrowser {
  readonly jar = new Map<string, { value: string; attributes: string }>();

  response(): { appendHeader(name: string, value: string): void; setCookies: string[] } {
    const setCookies: string[] = [];
    const jar = this.jar;
    return {
      setCookies,
      appendHeader(name: string, value: string) {
        expect(name).to.equal('Set-Cookie');
        setCookies.push(value);
        const [pair = '', ...rest] = value.split('; ');
        const [cookieName = '', cookieValue = ''] = pair.split('=');
        if (/Max-Age=0/.test(value)) jar.delete(cookieName);
        else jar.set(cookieName, { value: cookieValue, attributes: rest.join('; ') });
      },
    };
  }

  header(): string {
    return [...this.jar].map(([k, { value }]) => `${k}=${value}`).join('; ');
  }
}

function makeStrategy(okta: FakeOkta, store: StateStore, options: Partial<OktaStrategyOptions> = {}): OktaStrategy {
  return new OktaStrategy(
    {
      oktaDomain: DOMAIN,
      authServerId: okta.authServerId,
      clientID: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      callbackURL: 'https://app.example/auth/okta/callback',
      userInfo: false,
      store,
      ...options,
    },
    async (_tokens, profile) => ({ id: profile.id }),
  );
}

async function start(
  strategy: OktaStrategy,
  browser: CookieBrowser,
): Promise<{ state: string; nonce: string; setCookies: string[] }> {
  const res = browser.response();
  const req = { ...request({ url: '/login', session: null, headers: { cookie: browser.header() } }), res };
  const outcome = await run(strategy, req as unknown as ReturnType<typeof request>);
  if (outcome.kind !== 'redirect') throw new Error(`expected redirect, got ${outcome.kind}`);
  const url = new URL(outcome.url);
  return { state: url.searchParams.get('state')!, nonce: url.searchParams.get('nonce')!, setCookies: res.setCookies };
}

async function finish(strategy: OktaStrategy, browser: CookieBrowser, state: string): Promise<Outcome> {
  const res = browser.response();
  const req = {
    ...request({ url: `/auth/okta/callback?code=c&state=${state}`, session: null, headers: { cookie: browser.header() } }),
    res,
  };
  return run(strategy, req as unknown as ReturnType<typeof request>);
}

describe('CookieStateStore', () => {
  const currentOkta = mockedOkta();
  let okta: FakeOkta;
  beforeEach(() => {
    okta = currentOkta();
  });

  async function mockExchange(nonce: string): Promise<nock.Scope> {
    okta.mockKeys();
    return okta
      .scope()
      .post(`${okta.path}/token`)
      .reply(200, okta.tokenBody(await okta.sign(okta.claims(nonce))));
  }

  it('refuses short or missing secrets', () => {
    expect(() => new CookieStateStore({ secret: 'short' })).to.throw(ConfigurationError, /32 characters/);
    expect(() => new CookieStateStore({ secret: [SECRET, 'short'] })).to.throw(ConfigurationError, /32 characters/);
    expect(() => new CookieStateStore({ secret: [] })).to.throw(ConfigurationError);
  });

  it('leaves out empty and unset entries (a variable not set), and says so when none is left', async () => {
    // What `[process.env.STATE_SECRET, process.env.STATE_SECRET_ACCEPTED]` gives with the second unset, or the first.
    for (const secret of [
      [SECRET, undefined],
      [SECRET, ''],
      [undefined, SECRET],
      ['', SECRET],
    ]) {
      const browser = new CookieBrowser();
      const { state, nonce } = await start(makeStrategy(okta, new CookieStateStore({ secret })), browser);
      await mockExchange(nonce);
      const outcome = await finish(makeStrategy(okta, new CookieStateStore({ secret: SECRET })), browser, state);
      expect(outcome.kind, JSON.stringify(secret)).to.equal('success');
    }
    for (const secret of [[undefined, undefined], ['', ''], [''], '']) {
      expect(() => new CookieStateStore({ secret }), JSON.stringify(secret)).to.throw(
        ConfigurationError,
        /got no secret: every one given is empty or unset\. Set the environment variable it is read from/,
      );
    }
  });

  it('signs in with no session at all, through an encrypted, HttpOnly, Lax __Host- cookie', async () => {
    const strategy = makeStrategy(okta, new CookieStateStore({ secret: SECRET }));
    const browser = new CookieBrowser();
    const { state, nonce, setCookies } = await start(strategy, browser);
    expect(setCookies).to.have.length(2);
    const cookie = setCookies[0]!;
    expect(cookie).to.match(
      /^__Host-okta_login\.0=[A-Za-z0-9_-]{16}\.[^;]+; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect(setCookies[1]).to.equal('__Host-okta_login_next=1; Max-Age=600; Path=/; HttpOnly; Secure; SameSite=Lax');
    // The cookie is encrypted: the nonce does not show in it.
    expect(cookie).to.not.contain(nonce);
    await mockExchange(nonce);
    const outcome = await finish(strategy, browser, state);
    expect(outcome.kind).to.equal('success');
    expect([...browser.jar.keys()], 'the used cookie is cleared').to.deep.equal(['__Host-okta_login_next']);
  });

  it('uses SameSite=None; Secure for form_post, even on plain http', async () => {
    const strategy = makeStrategy(okta, new CookieStateStore({ secret: SECRET }), {
      responseMode: 'form_post',
      callbackURL: 'http://127.0.0.1:3000/cb',
    });
    const { setCookies } = await start(strategy, new CookieBrowser());
    expect(setCookies[0]).to.match(/^okta_login\.0=.*; Path=\/; HttpOnly; Secure; SameSite=None$/);
  });

  it('refuses a replayed callback: the cookie is cleared when used', async () => {
    const strategy = makeStrategy(okta, new CookieStateStore({ secret: SECRET }));
    const browser = new CookieBrowser();
    const { state, nonce } = await start(strategy, browser);
    await mockExchange(nonce);
    expect((await finish(strategy, browser, state)).kind).to.equal('success');
    const replay = await finish(strategy, browser, state);
    expect(replay.kind === 'fail' && replay.status).to.equal(403);
  });

  it('lets two tabs finish in any order', async () => {
    const strategy = makeStrategy(okta, new CookieStateStore({ secret: SECRET }));
    const browser = new CookieBrowser();
    const tab1 = await start(strategy, browser);
    const tab2 = await start(strategy, browser);
    expect([...browser.jar.keys()].sort()).to.deep.equal([
      '__Host-okta_login.0',
      '__Host-okta_login.1',
      '__Host-okta_login_next',
    ]);
    await mockExchange(tab2.nonce);
    expect((await finish(strategy, browser, tab2.state)).kind).to.equal('success');
    await mockExchange(tab1.nonce);
    expect((await finish(strategy, browser, tab1.state)).kind).to.equal('success');
  });

  it('keeps at most maxPending cookies however often sign-in starts, overwriting the oldest', async () => {
    let now = Date.now();
    const strategy = makeStrategy(okta, new CookieStateStore({ secret: SECRET, maxPending: 3, now: () => now }), {
      now: () => now,
    });
    const browser = new CookieBrowser();
    const started: Array<{ state: string; nonce: string }> = [];
    for (let i = 0; i < 30; i++) {
      started.push(await start(strategy, browser));
      now += 1000;
    }
    const slots = [...browser.jar.keys()].filter((k) => k.startsWith('__Host-okta_login.')).sort();
    expect(slots).to.deep.equal(['__Host-okta_login.0', '__Host-okta_login.1', '__Host-okta_login.2']);
    expect(browser.header().length).to.be.below(4000);
    // Older sign-ins were overwritten; the three newest still work.
    const old = await finish(strategy, browser, started[26]!.state);
    expect(old.kind === 'fail' && old.status).to.equal(403);
    for (const { state, nonce } of started.slice(27)) {
      await mockExchange(nonce);
      expect((await finish(strategy, browser, state)).kind).to.equal('success');
    }
  });

  const broken: Array<[string, (value: string) => string]> = [
    ['tampered', (v) => v.slice(0, -6) + (v.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA')],
    ['truncated', (v) => v.slice(0, v.length / 2)],
    ['empty', () => ''],
    ['garbage', () => 'not-a-jwe'],
  ];
  for (const [label, mangle] of broken) {
    it(`fails with 403 on a ${label} cookie and calls nobody`, async () => {
      const strategy = makeStrategy(okta, new CookieStateStore({ secret: SECRET }));
      const browser = new CookieBrowser();
      const { state, nonce } = await start(strategy, browser);
      const [name, cookie] = [...browser.jar][0]!;
      browser.jar.set(name, { ...cookie, value: mangle(cookie.value) });
      const token = await mockExchange(nonce);
      const outcome = await finish(strategy, browser, state);
      expect(outcome.kind).to.equal('fail');
      expect(outcome.kind === 'fail' && outcome.status).to.equal(403);
      expect(token.isDone()).to.equal(false);
    });
  }

  it('fails with 403 on an expired cookie', async () => {
    let now = Date.now();
    const store = new CookieStateStore({ secret: SECRET, now: () => now });
    const strategy = makeStrategy(okta, store, { now: () => now });
    const browser = new CookieBrowser();
    const { state } = await start(strategy, browser);
    now += 11 * 60_000;
    const outcome = await finish(strategy, browser, state);
    expect(outcome.kind === 'fail' && outcome.status).to.equal(403);
  });

  it('refuses a cookie made by another strategy or for another issuer (mix-up)', async () => {
    const store = new CookieStateStore({ secret: SECRET });
    const browser = new CookieBrowser();
    const { state } = await start(makeStrategy(okta, store, { name: 'okta-a' }), browser);
    const outcome = await finish(makeStrategy(okta, store, { name: 'okta-b' }), browser, state);
    expect(outcome.kind === 'fail' && (outcome.challenge as { message: string }).message).to.match(/another strategy/);

    const other = new FakeOkta('other');
    const browser2 = new CookieBrowser();
    const started = await start(makeStrategy(okta, store), browser2);
    const mixed = await finish(makeStrategy(other, store), browser2, started.state);
    expect(mixed.kind === 'fail' && mixed.status).to.equal(403);
  });

  it('accepts cookies made with an older secret after rotation, and refuses unknown secrets', async () => {
    const oldSecret = 'the-old-state-cookie-secret-32-chars-long!';
    const browser = new CookieBrowser();
    const { state, nonce } = await start(makeStrategy(okta, new CookieStateStore({ secret: oldSecret })), browser);
    const rotated = makeStrategy(okta, new CookieStateStore({ secret: [SECRET, oldSecret] }));
    await mockExchange(nonce);
    expect((await finish(rotated, browser, state)).kind).to.equal('success');

    const browser2 = new CookieBrowser();
    const second = await start(makeStrategy(okta, new CookieStateStore({ secret: oldSecret })), browser2);
    const outcome = await finish(makeStrategy(okta, new CookieStateStore({ secret: SECRET })), browser2, second.state);
    expect(outcome.kind === 'fail' && outcome.status).to.equal(403);
  });

  it('reports a clear error when the request has no response to write cookies to', async () => {
    const outcome = await run(
      makeStrategy(okta, new CookieStateStore({ secret: SECRET })),
      request({ url: '/login', session: null }),
    );
    expect(outcome.kind === 'error' && outcome.error.message).to.match(/req\.res/);
  });
});

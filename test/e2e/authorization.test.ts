import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createApp, type ExampleUser } from '../../example/app.js';
import { DEMO_USERS, startLocalOkta, type DemoUser, type LocalOkta } from '../../example/local-okta/index.js';
import { launchChromium } from '../support/chromium.js';
import { listen, type Listening } from '../support/server.js';

// Issue 21 end to end: the example app's guards in Chromium against the local provider
// (a different site: the provider on localhost, the app on 127.0.0.1). Return-to after
// sign-in, 403 without a loop, a step-up from one factor to two, silent sign-in with and
// without a session at the provider, idle and absolute expiry on an injectable clock.

const TWO_FA = 'urn:okta:loa:2fa:any';
const user = (name: string): DemoUser => DEMO_USERS.find((u) => u.username.startsWith(name))!;
// Carol has no second factor; here she is an admin too, to meet the step-up she cannot pass.
const USERS = DEMO_USERS.map((u) => (u.username.startsWith('carol') ? { ...u, groups: [...u.groups, 'Admins'] } : u));

describe('e2e: route guards, step-up, silent sign-in and session lifetime (Chromium, local provider)', function () {
  this.timeout(60_000);
  let browser: Browser;
  let okta: LocalOkta;
  let app: Listening;
  /** The same app with an absolute lifetime of 3 s, on the real clock. */
  let shortLived: Listening;
  let offset = 0;
  const signIns: ExampleUser[] = [];

  before(async function () {
    browser = await launchChromium(this);
    let handler: Parameters<typeof listen>[0] = (_req, res) => res.end();
    let shortHandler: Parameters<typeof listen>[0] = (_req, res) => res.end();
    app = await listen((req, res) => handler(req, res));
    shortLived = await listen((req, res) => shortHandler(req, res));
    okta = await startLocalOkta({
      host: 'localhost',
      users: USERS,
      groupsClaim: true,
      clients: [
        {
          clientId: 'guards-app',
          clientSecret: 'guards-secret-0123456789',
          redirectUris: [`${app.origin}/auth/okta/callback`, `${shortLived.origin}/auth/okta/callback`],
          postLogoutRedirectUris: [`${app.origin}/signed-out`],
        },
      ],
    });
    handler = createApp({
      oktaDomain: okta.origin,
      authServerId: 'default',
      clientID: 'guards-app',
      clientSecret: 'guards-secret-0123456789',
      baseURL: app.origin,
      sessionSecret: 'guards-session-secret',
      scopes: ['openid', 'profile', 'email', 'groups', 'offline_access', 'orders:read'],
      silentSignIn: true,
      now: () => Date.now() + offset,
      onSignIn: (signedIn) => signIns.push(signedIn),
    }).app;
    shortHandler = createApp({
      oktaDomain: okta.origin,
      authServerId: 'default',
      clientID: 'guards-app',
      clientSecret: 'guards-secret-0123456789',
      baseURL: shortLived.origin,
      sessionSecret: 'guards-session-secret-2',
      absoluteLifetime: 3,
    }).app;
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await shortLived?.close();
    await okta?.close();
  });
  afterEach(() => {
    offset = 0;
  });

  /** A fresh browser profile; closed after the test. */
  const contexts: BrowserContext[] = [];
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });
  async function newPage(): Promise<Page> {
    const context = await browser.newContext();
    contexts.push(context);
    return context.newPage();
  }

  /** The navigations (documents, redirects included) the page makes while `action` runs. */
  async function navigations(page: Page, action: () => Promise<unknown>): Promise<string[]> {
    const seen: string[] = [];
    const listener = (request: { isNavigationRequest(): boolean; url(): string }): void => {
      if (request.isNavigationRequest()) seen.push(request.url());
    };
    page.on('request', listener);
    try {
      await action();
    } finally {
      page.off('request', listener);
    }
    return seen;
  }

  async function fillOktaForm(page: Page, who: DemoUser): Promise<void> {
    await page.waitForURL((url) => url.origin === okta.origin && url.pathname.startsWith('/login/'));
    await page.locator('input[name="username"]').fill(who.username);
    await page.locator('input[name="password"]').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function signedInAs(page: Page, who: DemoUser): Promise<void> {
    await page.goto(`${app.origin}/login`);
    await fillOktaForm(page, who);
    await page.waitForURL(`${app.origin}/profile`);
  }

  const status = async (page: Page, path: string): Promise<number> => (await page.request.get(`${app.origin}${path}`)).status();

  it('an anonymous visit to /reports signs in at Okta and lands back on /reports with its query', async () => {
    const page = await newPage();
    await page.goto(`${app.origin}/reports?quarter=3`);
    await fillOktaForm(page, user('bob'));
    await page.waitForURL(`${app.origin}/reports?quarter=3`);
    expect(await page.locator('h1').innerText()).to.equal('Reports');
    // A script's request gets 401 JSON, never a redirect.
    const anonymous = await (
      await browser.newContext()
    ).request.get(`${app.origin}/reports`, { headers: { accept: 'application/json' } });
    expect(anonymous.status()).to.equal(401);
    expect(await anonymous.json()).to.deep.include({ error: 'sign_in_required' });
  });

  it('a user without the group gets 403 at /admin in one request: no redirect, no loop', async () => {
    const page = await newPage();
    await signedInAs(page, user('bob'));
    let response: Awaited<ReturnType<Page['goto']>> = null;
    const seen = await navigations(page, async () => {
      response = await page.goto(`${app.origin}/admin`);
    });
    expect(seen).to.deep.equal([`${app.origin}/admin`]);
    expect(response!.status()).to.equal(403);
    expect(await page.locator('h1').innerText()).to.equal('Forbidden');
    // Again: still one request, still 403.
    expect(await navigations(page, () => page.reload())).to.deep.equal([`${app.origin}/admin`]);
    const json = await page.request.get(`${app.origin}/admin`, { headers: { accept: 'application/json' } });
    expect([json.status(), ((await json.json()) as { error: string }).error]).to.deep.equal([403, 'missing_group']);
  });

  it('steps alice up from one factor to two at /admin, back to /admin, without signing her out', async () => {
    const page = await newPage();
    await signedInAs(page, user('alice'));
    const before = signIns.length;
    await page.goto(`${app.origin}/admin`);
    // Okta asks for the second factor only: the password session is still there.
    await page.waitForURL((url) => url.origin === okta.origin);
    await page.locator('input[name="otp"]').fill(user('alice').oneTimeCode!);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(`${app.origin}/admin`);
    expect(await page.locator('code.acr').innerText()).to.equal(TWO_FA);
    expect(signIns.length).to.equal(before + 1);
    expect(signIns.at(-1)!.id).to.equal(user('alice').sub);
    // Met now: the next visit stays here.
    expect(await navigations(page, () => page.goto(`${app.origin}/admin`))).to.deep.equal([`${app.origin}/admin`]);
    expect(await status(page, '/me.json')).to.equal(200);
  });

  it('a user who cannot meet the step-up (no second factor) gets a 403 page, not a loop, and stays signed in', async () => {
    const page = await newPage();
    await signedInAs(page, user('carol'));
    let last: Awaited<ReturnType<Page['goto']>> = null;
    const seen = await navigations(page, async () => {
      last = await page.goto(`${app.origin}/admin`);
    });
    // /admin, Okta's authorize (it answers unmet_authentication_requirements), the callback: three, then it stops.
    expect(seen.length, seen.join('\n')).to.equal(3);
    expect(new URL(seen[2]!).searchParams.get('error')).to.equal('unmet_authentication_requirements');
    expect(last!.status()).to.equal(403);
    expect(await page.locator('body').innerText()).to.contain('second factor');
    expect(await status(page, '/me.json')).to.equal(200);
  });

  it('silent sign-in: without a session at Okta, one quiet prompt=none trip, back anonymous; never again in that browser', async () => {
    const page = await newPage();
    const seen = await navigations(page, () => page.goto(`${app.origin}/`));
    expect(seen.length, seen.join('\n')).to.equal(4);
    expect(new URL(seen[1]!).searchParams.get('prompt')).to.equal('none');
    expect(new URL(seen[2]!).searchParams.get('error')).to.equal('login_required');
    expect(page.url()).to.equal(`${app.origin}/`);
    expect(await page.getByRole('link', { name: 'Sign in' }).count()).to.be.greaterThan(0);
    expect(await navigations(page, () => page.goto(`${app.origin}/`))).to.deep.equal([`${app.origin}/`]);
  });

  it('silent sign-in: with a session at Okta, a first visit signs the user in without a form', async () => {
    const page = await newPage();
    await signedInAs(page, user('bob'));
    // A new visit to the app with Okta's session alive: drop the app's cookies only.
    await page.context().clearCookies({ domain: '127.0.0.1' });
    expect(await status(page, '/me.json')).to.equal(401);
    const seen = await navigations(page, () => page.goto(`${app.origin}/`));
    expect(
      seen.every((url) => !new URL(url).pathname.startsWith('/login/')),
      seen.join('\n'),
    ).to.equal(true);
    expect(page.url()).to.equal(`${app.origin}/`);
    expect(await page.locator('body').innerText()).to.contain('Welcome back');
    expect(await status(page, '/me.json')).to.equal(200);
  });

  it('ends a session idle for 30 minutes, and one 8 hours after the sign-in at Okta even in use', async () => {
    const page = await newPage();
    await signedInAs(page, user('bob'));
    offset = 29 * 60_000;
    expect(await status(page, '/me.json')).to.equal(200);
    offset += 29 * 60_000; // 29 minutes after the last request: still within the idle timeout
    expect(await status(page, '/me.json')).to.equal(200);
    offset += 31 * 60_000;
    expect(await status(page, '/me.json'), 'idle for 31 minutes').to.equal(401);

    // Okta's session is still there: straight back, no form, and the same auth_time (the
    // password was typed at offset 0), which the absolute lifetime counts from.
    await page.goto(`${app.origin}/login`);
    await page.waitForURL(`${app.origin}/profile`);
    // In use every 20 minutes: only the absolute lifetime can end it.
    while (offset < 8 * 3600_000 - 25 * 60_000) {
      offset += 20 * 60_000;
      expect(await status(page, '/me.json'), `${offset / 60_000} min`).to.equal(200);
    }
    offset = 8 * 3600_000 + 1000;
    expect(await status(page, '/me.json'), 'past 8 hours').to.equal(401);
    // A page starts a sign-in asking for max_age=28740 (a minute short of the lifetime). Okta's clock has not moved (only the
    // app's did), so it hands back the old auth_time: the callback refuses it with a page
    // naming the clock, rather than make a session that would end at once (a loop).
    let last: Awaited<ReturnType<Page['goto']>> = null;
    const seen = await navigations(page, async () => {
      last = await page.goto(`${app.origin}/reports`);
    });
    expect(new URL(seen[1]!).searchParams.get('max_age')).to.equal('28740');
    expect(seen.length, seen.join('\n')).to.equal(3);
    expect(last!.status()).to.equal(403);
    expect(await page.locator('body').innerText()).to.contain('clock');
  });

  it('past a (short, real-time) absolute lifetime, Okta asks for the password again and the user lands back on the page', async () => {
    const page = await newPage();
    await page.goto(`${shortLived.origin}/login`);
    await fillOktaForm(page, user('bob'));
    await page.waitForURL(`${shortLived.origin}/profile`);
    await new Promise((resolve) => setTimeout(resolve, 3_100));
    expect((await page.request.get(`${shortLived.origin}/me.json`)).status()).to.equal(401);
    await page.goto(`${shortLived.origin}/reports`);
    // Okta's session is 3 s old, more than max_age=2: its form again, then back to /reports.
    await fillOktaForm(page, user('bob'));
    await page.waitForURL(`${shortLived.origin}/reports`);
    expect((await page.request.get(`${shortLived.origin}/me.json`)).status()).to.equal(200);
  });

  it("the admin-only API takes a member of Admins's access token and answers anyone else's 403", async () => {
    const tokenOf = async (who: DemoUser): Promise<string> => {
      const page = await newPage();
      await signedInAs(page, who);
      return signIns.filter((signedIn) => signedIn.id === who.sub).at(-1)!.tokens.accessToken;
    };
    const call = async (token: string) =>
      fetch(`${app.origin}/api/admin/orders`, { headers: { authorization: `Bearer ${token}` } });
    expect((await call(await tokenOf(user('alice')))).status).to.equal(200);
    const refused = await call(await tokenOf(user('bob')));
    expect(refused.status).to.equal(403);
    expect(refused.headers.get('www-authenticate')).to.match(/^Bearer error="insufficient_scope"/);
  });
});

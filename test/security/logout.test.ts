import { expect } from 'chai';
import type express from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { oktaLogout, type OktaLogoutOptions, type OktaTokens } from '../../lib/index.js';
import { CookieBrowser, createTestApp, type Answer } from '../support/hostile-app.js';
import { makeStrategy } from '../support/hostile-harness.js';
import { HostileOkta } from '../support/hostile-okta.js';
import { listen, type Listening } from '../support/server.js';

// oktaLogout in an Express app, against the hostile provider over real HTTP: requests
// that another site can make a signed-in browser send must not sign the user out.

interface LogoutUser {
  id: string;
  tokens: OktaTokens;
}

const EVIL = 'https://evil.example';

describe('oktaLogout refuses sign-outs that another site starts (over real HTTP)', () => {
  let okta: HostileOkta;
  const servers: Listening[] = [];

  before(async () => {
    okta = await HostileOkta.start();
  });
  beforeEach(() => okta.reset());
  after(async () => {
    for (const server of servers) await server.close();
    await okta.close();
  });

  /** An app with `oktaLogout` on `/signout` for POST and GET (so that the middleware, not the router, decides). */
  async function startApp(options: Partial<OktaLogoutOptions<express.Request>> = {}): Promise<string> {
    const strategy = makeStrategy(
      okta,
      { scope: ['openid', 'offline_access'] },
      async (tokens, profile): Promise<LogoutUser> => ({ id: profile.id, tokens }),
    );
    const { app } = createTestApp(strategy, (routes) => {
      const logout = oktaLogout(strategy, {
        getTokens: (req) => (req.user as LogoutUser | undefined)?.tokens,
        postLogoutRedirectURI: '/signed-out',
        redirectTo: '/me',
        ...options,
      });
      routes.all('/signout', logout as unknown as express.RequestHandler);
      routes.get('/signed-out', logout.callback as unknown as express.RequestHandler);
    });
    const server = await listen(app);
    servers.push(server);
    return server.origin;
  }

  async function signIn(origin: string): Promise<CookieBrowser> {
    const browser = new CookieBrowser();
    const login = await browser.get(`${origin}/login?user=alice`);
    const callback = await browser.get(await okta.authorize(login.location!));
    expect(callback.status, callback.body).to.equal(302);
    return browser;
  }

  async function signedIn(browser: CookieBrowser, origin: string): Promise<boolean> {
    return (JSON.parse((await browser.get(`${origin}/me`)).body) as { user: unknown }).user !== null;
  }

  function expectRefused(answer: Answer, status: number): void {
    expect(answer.status, answer.body).to.equal(status);
    expect(answer.headers['content-type']).to.equal('text/plain; charset=utf-8');
    expect(answer.headers['set-cookie'], 'no cookie is set or cleared').to.equal(undefined);
    expect(answer.location).to.equal(undefined);
  }

  const crossSite: Array<[string, Record<string, string>]> = [
    ['Origin: https://evil.example', { origin: EVIL }],
    ['Origin: null (a sandboxed frame)', { origin: 'null' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site', origin: EVIL }],
    ['Sec-Fetch-Site: same-site (a sibling subdomain)', { 'sec-fetch-site': 'same-site' }],
  ];
  for (const [label, headers] of crossSite) {
    it(`answers a POST with ${label} 403: nothing revoked, the user still signed in`, async () => {
      const origin = await startApp();
      const browser = await signIn(origin);
      const answer = await browser.post(`${origin}/signout`, '', headers);
      expectRefused(answer, 403);
      expect(answer.body).to.match(/another site/);
      expect(okta.hits.revoke).to.equal(0);
      expect(await signedIn(browser, origin)).to.equal(true);
    });
  }

  it('answers a GET 405 (Allow: POST): a link or `location = "/logout"` on another site signs nobody out', async () => {
    const origin = await startApp();
    const browser = await signIn(origin);
    const gets: Array<Record<string, string>> = [{}, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-origin' }];
    for (const headers of gets) {
      const answer = await browser.get(`${origin}/signout`, headers);
      expectRefused(answer, 405);
      expect(answer.headers.allow).to.equal('POST');
    }
    expect(okta.hits.revoke).to.equal(0);
    expect(await signedIn(browser, origin)).to.equal(true);
  });

  it("clears the return leg's state cookie when the return comes through /signed-out/, so it works once", async () => {
    const origin = await startApp();
    const browser = await signIn(origin);
    const answer = await browser.post(`${origin}/signout`, '', { 'sec-fetch-site': 'same-origin' });
    const logout = new URL(answer.location!);
    const back = new URL(logout.searchParams.get('post_logout_redirect_uri')!);
    back.pathname = '/signed-out/';
    back.searchParams.set('state', logout.searchParams.get('state')!);
    expect((await browser.get(back)).status).to.equal(302);
    expect((await browser.get(back)).status, 'the same return leg again').to.equal(403);
  });

  const sameOrigin: Array<[string, (origin: string) => Record<string, string>]> = [
    ['Sec-Fetch-Site: same-origin and its Origin', (origin) => ({ 'sec-fetch-site': 'same-origin', origin })],
    ['only its Origin (a browser without Fetch Metadata)', (origin) => ({ origin })],
    ['neither header (not a browser)', () => ({})],
  ];
  for (const [label, headers] of sameOrigin) {
    it(`signs out on a POST with ${label}: revokes both tokens and ends the session`, async () => {
      const origin = await startApp();
      const browser = await signIn(origin);
      const answer = await browser.post(`${origin}/signout`, '', headers(origin));
      expect(answer.status, answer.body).to.equal(302);
      expect(answer.location!.startsWith(`${okta.base}/logout?`)).to.equal(true);
      expect(okta.hits.revoke).to.equal(2);
      expect(await signedIn(browser, origin)).to.equal(false);
    });
  }

  it('with allowGet signs out on a same-origin GET, and still refuses a cross-site one', async () => {
    const origin = await startApp({ allowGet: true });
    const browser = await signIn(origin);
    expectRefused(await browser.get(`${origin}/signout`, { 'sec-fetch-site': 'cross-site' }), 403);
    expect(await signedIn(browser, origin)).to.equal(true);
    const typed = await browser.get(`${origin}/signout`, { 'sec-fetch-site': 'none' });
    expect(typed.status, typed.body).to.equal(302);
    expect(await signedIn(browser, origin)).to.equal(false);
  });

  it('with allowCrossSite leaves the check to the app', async () => {
    const origin = await startApp({ allowCrossSite: true });
    const browser = await signIn(origin);
    const answer = await browser.post(`${origin}/signout`, '', { origin: EVIL, 'sec-fetch-site': 'cross-site' });
    expect(answer.status, answer.body).to.equal(302);
    expect(await signedIn(browser, origin)).to.equal(false);
  });

  it('calls onSignedOut after the session ended, and not for a refused request', async () => {
    const calls: string[] = [];
    const origin = await startApp({
      onSignedOut: (req, res) => {
        calls.push(req.user === undefined ? 'signed out' : 'still signed in');
        res?.appendHeader('Set-Cookie', 'app-cookie=; Max-Age=0; Path=/');
      },
    });
    const browser = await signIn(origin);
    await browser.post(`${origin}/signout`, '', { origin: EVIL });
    expect(calls).to.deep.equal([]);
    const answer = await browser.post(`${origin}/signout`, '', { origin });
    expect(calls).to.deep.equal(['signed out']);
    expect(answer.headers['set-cookie']).to.include('app-cookie=; Max-Age=0; Path=/');
  });

  /** Signs out with `onSignedOut` setting `Clear-Site-Data: value`; returns the sign-out and the return leg. */
  async function signOutClearing(value: string): Promise<{ signOut: Answer; back: Answer }> {
    const origin = await startApp({ onSignedOut: (_req, res) => void res?.setHeader('Clear-Site-Data', value) });
    const browser = await signIn(origin);
    const signOut = await browser.post(`${origin}/signout`, '', { origin });
    const logout = new URL(signOut.location!);
    const back = new URL(logout.searchParams.get('post_logout_redirect_uri')!);
    back.searchParams.set('state', logout.searchParams.get('state')!);
    return { signOut, back: await browser.get(back) };
  }

  it('sends Clear-Site-Data "cookies" from onSignedOut with the return leg, where it cannot wipe the state cookie', async () => {
    const { signOut, back } = await signOutClearing('"cookies"');
    expect(signOut.headers['clear-site-data'], 'not on the response that sets the state cookie').to.equal(undefined);
    expect(signOut.headers['set-cookie']!.join('\n')).to.match(/okta_logout=[\w-]+\.c;/);
    expect(back.status, back.body).to.equal(302);
    expect(back.location).to.equal('/me');
    expect(back.headers['clear-site-data']).to.equal('"cookies"');
  });

  it('keeps the other types of Clear-Site-Data on the sign-out, and moves "*" whole to the return leg', async () => {
    const some = await signOutClearing('"cache", "cookies", "storage"');
    expect(some.signOut.headers['clear-site-data']).to.equal('"cache", "storage"');
    expect(some.back.headers['clear-site-data']).to.equal('"cookies"');
    const all = await signOutClearing('"*"');
    expect(all.signOut.headers['clear-site-data']).to.equal(undefined);
    expect(all.back.status).to.equal(302);
    expect(all.back.headers['clear-site-data']).to.equal('"*"');
    const cache = await signOutClearing('"cache"');
    expect(cache.signOut.headers['clear-site-data']).to.equal('"cache"');
    expect(cache.back.status).to.equal(302);
    expect(cache.back.headers['clear-site-data']).to.equal(undefined);
  });

  it('sends no Clear-Site-Data on a return leg that does not match its state', async () => {
    const origin = await startApp({ onSignedOut: (_req, res) => void res?.setHeader('Clear-Site-Data', '"cookies"') });
    const browser = await signIn(origin);
    await browser.post(`${origin}/signout`, '', { origin });
    const forged = await browser.get(`${origin}/signed-out?state=forged`);
    expect(forged.status).to.equal(403);
    expect(forged.headers['clear-site-data']).to.equal(undefined);
  });

  it('cannot leave an unhandled rejection when the next it hands an error to throws', async function () {
    this.timeout(5000);
    const strategy = makeStrategy(okta);
    const logout = oktaLogout(strategy, {
      getTokens: () => {
        throw new Error('the session store is down');
      },
      postLogoutRedirectURI: '/signed-out',
    });
    const server = createServer((req, res) =>
      logout(req, res, () => {
        throw new Error('a framework whose next throws');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const answer = await fetch(`http://127.0.0.1:${port}/signout`, { method: 'POST', signal: AbortSignal.timeout(3000) });
      expect(answer.status).to.equal(500);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

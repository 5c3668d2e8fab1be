import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { generateKeyPair, SignJWT } from 'jose';
import { DEMO_USERS, startLocalOkta, type DemoUser, type LocalOkta } from '../../example/local-okta/index.js';
import { OktaBearerStrategy } from '../../lib/bearer.js';
import { OktaStrategy, type TenantConfig } from '../../lib/index.js';
import { ScriptedBrowser } from '../support/browser.js';
import { formAction, isOktaForm, signIn } from '../support/okta-login.js';
import { listen, openSlot, type Listening, type Slot } from '../support/server.js';

// One app, two Okta orgs (two local providers): sign-ins chosen per tenant by the path of the
// login route and bound to the pending login, and an API that accepts the access tokens of
// both orgs, each for its own audience. Every request the app sends to an org goes through
// the strategies' `fetch`, which counts them.

const alice = DEMO_USERS.find((user) => user.username.startsWith('alice'))!;
const ORGS = ['a', 'b'] as const;
type Org = (typeof ORGS)[number];
/** Org a's API is its `default` server (api://default), org b's its `orders` server (api://orders). */
const SERVER: Record<Org, string> = { a: 'default', b: 'orders' };

interface SignedIn {
  iss: string;
  accessToken: string;
}

for (const iss of [false, true]) {
  describe(`two Okta orgs in one app (tenant, issuers)${iss ? ', orgs sending iss (RFC 9207)' : ''}`, function () {
    this.timeout(30_000);
    const okta = {} as Record<Org, LocalOkta>;
    const config = {} as Record<Org, TenantConfig>;
    let front: Slot;
    /** Requests the app sent to each org's token endpoint. */
    const tokenRequests: string[] = [];
    const counting = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.endsWith('/v1/token')) tokenRequests.push(url);
      return fetch(input, init);
    };

    before(async () => {
      front = await openSlot();
      for (const org of ORGS) {
        okta[org] = await startLocalOkta({
          authServerIds: [SERVER[org]],
          authorizationResponseIss: iss,
          clients: [
            {
              clientId: `app-${org}`,
              clientSecret: `app-${org}-secret-0123456789`,
              // Each org knows only its own callback: the app's callback for the other org is not registered there.
              redirectUris: [`${front.origin}/auth/okta/callback/${org}`],
            },
          ],
        });
        config[org] = {
          oktaDomain: okta[org].origin,
          authServerId: SERVER[org],
          clientID: `app-${org}`,
          clientSecret: `app-${org}-secret-0123456789`,
          callbackURL: `${front.origin}/auth/okta/callback/${org}`,
        };
      }
      const passport = new Passport();
      passport.use(
        'okta',
        new OktaStrategy(
          {
            // The org is the second segment of the login route's path: /login/a, /login/b.
            tenant: (req) => config[new URL(req.url ?? '/', 'http://x').pathname.split('/')[2] as Org],
            callbackURL: '/auth/okta/callback',
            scope: ['openid', 'email', 'orders:read'],
            userInfo: false,
            fetch: counting,
          },
          async (tokens, profile): Promise<SignedIn> => ({ iss: String(profile._json.iss), accessToken: tokens.accessToken }),
        ),
      );
      const issuers = ORGS.map((org) => ({
        oktaDomain: okta[org].origin,
        authServerId: SERVER[org],
        audience: `api://${SERVER[org]}`,
      }));
      passport.use('api', new OktaBearerStrategy({ issuers, fetch: counting }));
      passport.use('api-b', new OktaBearerStrategy({ issuers: [issuers[1]!], fetch: counting }));
      passport.serializeUser((user, done) => done(null, user));
      passport.deserializeUser((user: Express.User, done) => done(null, user));

      const app = express();
      app.use(session({ secret: 'tenants-e2e-session-secret', resave: false, saveUninitialized: false }));
      app.use(passport.initialize(), passport.session());
      app.get('/login/:org', passport.authenticate('okta'));
      app.get('/auth/okta/callback/:org', passport.authenticate('okta', { keepSessionInfo: true }), (req, res) => {
        res.json(req.user);
      });
      for (const name of ['api', 'api-b']) {
        app.get(`/${name}/orders`, passport.authenticate(name, { session: false }), (req, res) => {
          res.json({ iss: (req.user as { iss: string }).iss });
        });
      }
      app.use((err: Error & { status?: number; code?: string }, _req: express.Request, res: express.Response, _next: unknown) => {
        res.status(err.status ?? 500).json({ code: err.code });
      });
      front.serve(app);
    });
    after(async () => {
      await Promise.all(ORGS.map((org) => okta[org]?.close()));
      await front?.close();
    });
    beforeEach(() => {
      tokenRequests.length = 0;
    });

    async function signedIn(browser: ScriptedBrowser, org: Org, user: DemoUser = alice): Promise<SignedIn> {
      const page = await signIn(browser, `${front.origin}/login/${org}`, user);
      expect(page.status, page.body).to.equal(200);
      return JSON.parse(page.body) as SignedIn;
    }

    /** Signs in at `org` up to the redirect back to the app, which is not followed: the callback URL. */
    async function callbackURL(browser: ScriptedBrowser, org: Org): Promise<URL> {
      let page = await browser.request(`${front.origin}/login/${org}`, { method: 'GET' });
      for (let hops = 0; hops < 20; hops++) {
        if (isOktaForm(page)) {
          const form = { username: alice.username, password: alice.password };
          page = await browser.request(formAction(page), {
            method: 'POST',
            body: new URLSearchParams(form).toString(),
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          });
          continue;
        }
        const location = new URL(page.headers.get('location') ?? '', page.url);
        if (location.origin === front.origin && location.pathname.startsWith('/auth/okta/callback')) return location;
        page = await browser.request(location.href, { method: 'GET' });
      }
      throw new Error(`no callback reached from ${org}`);
    }

    async function startFor(browser: ScriptedBrowser, org: Org): Promise<string> {
      const page = await browser.request(`${front.origin}/login/${org}`, { method: 'GET' });
      expect(page.status).to.equal(302);
      return new URL(page.headers.get('location')!).searchParams.get('state')!;
    }

    it('signs in to each org with its own provider, and its token endpoint only', async () => {
      for (const org of ORGS) {
        const user = await signedIn(new ScriptedBrowser(), org);
        expect(user.iss).to.equal(okta[org].issuer(SERVER[org]));
      }
      expect(tokenRequests).to.deep.equal(ORGS.map((org) => `${okta[org].issuer(SERVER[org])}/v1/token`));
    });

    it('refuses a code of org a presented in a sign-in started for org b, with no token request to either', async () => {
      const browser = new ScriptedBrowser();
      const fromA = await callbackURL(browser, 'a');
      expect(fromA.searchParams.get('iss') ?? undefined).to.equal(iss ? okta.a.issuer('default') : undefined);
      const stateB = await startFor(browser, 'b');
      // Where org a sends the browser (its own callback), with b's state.
      const atA = new URL(fromA);
      atA.searchParams.set('state', stateB);
      // At b's callback, as if org a could send it there.
      const atB = new URL(atA);
      atB.pathname = '/auth/okta/callback/b';
      const pages = [await browser.get(atA.href)];
      if (iss) pages.push(await browser.get(atB.href));
      for (const page of pages) expect(page.status, page.url).to.equal(403);
      expect(tokenRequests).to.deep.equal([]);
      // The sign-in of a is still pending and finishes with a's code at a's callback.
      expect((await browser.get(fromA.href)).status).to.equal(200);
      expect(tokenRequests).to.deep.equal([`${okta.a.issuer('default')}/v1/token`]);
    });

    it('answers a login for an org the app does not know with 400 and no request anywhere', async () => {
      const page = await new ScriptedBrowser().get(`${front.origin}/login/evil`);
      expect(page.status).to.equal(400);
      expect(JSON.parse(page.body)).to.deep.equal({ code: 'ERR_OKTA_UNKNOWN_TENANT' });
      expect(tokenRequests).to.deep.equal([]);
    });

    it("accepts each org's access token for its own audience, and refuses an unlisted issuer with no request to it", async () => {
      for (const org of ORGS) {
        const { accessToken } = await signedIn(new ScriptedBrowser(), org);
        const answer = await fetch(`${front.origin}/api/orders`, { headers: { authorization: `Bearer ${accessToken}` } });
        expect(answer.status).to.equal(200);
        expect(await answer.json()).to.deep.equal({ iss: okta[org].issuer(SERVER[org]) });
      }
      let hits = 0;
      const stranger: Listening = await listen((_req, res) => {
        hits++;
        res.end('{"keys":[]}');
      });
      const { privateKey } = await generateKeyPair('RS256');
      const now = Math.floor(Date.now() / 1000);
      const forged = await new SignJWT({ aud: 'api://default', cid: 'x', scp: ['orders:read'], sub: 'mallory' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k' })
        .setIssuer(`${stranger.origin}/oauth2/default`)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(privateKey);
      const refused = await fetch(`${front.origin}/api/orders`, { headers: { authorization: `Bearer ${forged}` } });
      expect(refused.status).to.equal(401);
      expect(refused.headers.get('www-authenticate')).to.match(/does not accept \(iss\)/);
      expect(hits).to.equal(0);
      await stranger.close();
    });

    it("does not accept under org b's rules a token of org a accepted (and cached) under a's", async () => {
      const { accessToken } = await signedIn(new ScriptedBrowser(), 'a');
      const bearer = { headers: { authorization: `Bearer ${accessToken}` } };
      expect((await fetch(`${front.origin}/api/orders`, bearer)).status).to.equal(200);
      expect((await fetch(`${front.origin}/api/orders`, bearer)).status).to.equal(200);
      const underB = await fetch(`${front.origin}/api-b/orders`, bearer);
      expect(underB.status).to.equal(401);
    });
  });
}

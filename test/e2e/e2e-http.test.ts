import type { RequestListener } from 'node:http';
import { expect } from 'chai';
import express from 'express';
import { createApp, SESSION_COOKIE, type ExampleConfig, type ExampleUser } from '../../example/app.js';
import { DEMO_USERS, startLocalOkta, type DemoUser, type LocalOkta } from '../../example/local-okta/index.js';
import { TokenError } from '../../lib/core/errors.js';
import { type FetchLike } from '../../lib/client.js';
import { type OktaStrategy } from '../../lib/index.js';
import { ScriptedBrowser, type Page } from '../support/browser.js';
import { express4 } from '../support/express4.js';
import { formAction, isOktaForm, signIn as signInAs } from '../support/okta-login.js';
import { openSlot, type Slot } from '../support/server.js';

// The example app (example/app.ts) and the local Okta (example/local-okta/), both on
// 127.0.0.1 over real HTTP, driven by a scripted browser through whole sign-ins.

const alice = DEMO_USERS.find((user) => user.username.startsWith('alice')) as DemoUser;
const bob = DEMO_USERS.find((user) => user.username.startsWith('bob')) as DemoUser;
const CLIENT_ID = 'example-app';
const CLIENT_SECRET = 'example-app-secret';
const SCOPES = ['openid', 'profile', 'email', 'groups', 'offline_access'];

/** One running example app, and what the tests can observe of it. */
interface RunningApp {
  origin: string;
  strategy: OktaStrategy;
  stateStore: 'session' | 'cookie';
  /** Users handed to the app's onSignIn hook, in order. */
  signIns: ExampleUser[];
  /** Paths of the app's requests to Okta, in order. */
  oktaCalls: string[];
  warnings: string[];
  errors: string[];
}

function mount(slot: Slot, config: Omit<ExampleConfig, 'baseURL' | 'onSignIn' | 'fetch' | 'logger'>): RunningApp {
  const signIns: ExampleUser[] = [];
  const oktaCalls: string[] = [];
  const warnings: string[] = [];
  const errors: string[] = [];
  const countingFetch: FetchLike = (input, init) => {
    oktaCalls.push(new URL(input).pathname);
    return fetch(input, init);
  };
  const { app, strategy, stateStore } = createApp({
    ...config,
    baseURL: slot.origin,
    onSignIn: (user) => signIns.push(user),
    fetch: countingFetch,
    logger: {
      warn: (...args: unknown[]) => warnings.push(args.join(' ')),
      error: (...args: unknown[]) => errors.push(args.join(' ')),
    },
  });
  slot.serve(app as unknown as RequestListener);
  return { origin: slot.origin, strategy, stateStore, signIns, oktaCalls, warnings, errors };
}

/** Signs in as alice unless told otherwise. */
function signIn(browser: ScriptedBrowser, start: string, user: DemoUser = alice): Promise<Page> {
  return signInAs(browser, start, user);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (err: unknown) => err,
  );
}

/**
 * Records the strategy's Passport `fail(challenge, status)` outcomes. The example's
 * `failureRedirect` turns a failure into a redirect, which hides the status; this shows
 * it. It wraps `authenticate` on the strategy (Passport runs it on `Object.create(strategy)`).
 */
function recordFailures(strategy: OktaStrategy) {
  const failures: Array<{ challenge: unknown; status: number | undefined }> = [];
  const authenticate = strategy.authenticate;
  strategy.authenticate = function (this: OktaStrategy, req, options) {
    const fail = this.fail;
    this.fail = (challenge, status) => {
      failures.push({ challenge, status });
      fail.call(this, challenge, status);
    };
    authenticate.call(this, req, options);
  };
  return { failures, restore: () => Reflect.deleteProperty(strategy, 'authenticate') };
}

const frameworks = [
  { label: 'Express 5', module: express },
  { label: 'Express 4', module: express4 },
];
const authServers = [
  { label: "custom authorization server 'default'", authServerId: 'default' as string | undefined },
  { label: 'org authorization server', authServerId: undefined },
];

for (const framework of frameworks) {
  for (const { label, authServerId } of authServers) {
    describe(`example app over real HTTP: ${framework.label}, ${label}`, function () {
      let okta: LocalOkta | undefined;
      const slots: Slot[] = [];
      let app: RunningApp; // response_mode=query
      let formPostApp: RunningApp; // response_mode=form_post
      let wrongSecretApp: RunningApp; // a client secret Okta refuses

      /** This authorization server's endpoint URL, per Okta's layout. */
      const endpoint = (name: string): string =>
        authServerId === undefined ? `${okta?.origin}/oauth2/v1/${name}` : `${okta?.issuer(authServerId)}/v1/${name}`;

      before(async function () {
        // The apps listen first: Okta needs their redirect URIs when it starts.
        for (let i = 0; i < 3; i++) slots.push(await openSlot());
        okta = await startLocalOkta({
          clients: [
            {
              clientId: CLIENT_ID,
              clientSecret: CLIENT_SECRET,
              redirectUris: slots.map((slot) => `${slot.origin}/auth/okta/callback`),
              postLogoutRedirectUris: slots.map((slot) => `${slot.origin}/signed-out`),
            },
          ],
        });
        const config = {
          oktaDomain: okta.origin,
          authServerId,
          clientID: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          sessionSecret: 'e2e-session-secret',
          express: framework.module,
        };
        app = mount(slots[0]!, { ...config, responseMode: 'query' });
        formPostApp = mount(slots[1]!, { ...config, responseMode: 'form_post' });
        wrongSecretApp = mount(slots[2]!, { ...config, clientSecret: 'not-the-client-secret' });
      });

      after(async function () {
        await Promise.all(slots.map((slot) => slot.close()));
        await okta?.close();
      });

      it('signs alice in: the journey ends on /profile, and /me.json has her id, name, email and groups', async function () {
        const browser = new ScriptedBrowser();
        const page = await signIn(browser, `${app.origin}/login`);

        expect(page.status).to.equal(200);
        expect(page.url).to.equal(`${app.origin}/profile`);
        const authorize = new URL(page.history[1]!);
        expect(`${authorize.origin}${authorize.pathname}`).to.equal(endpoint('authorize'));
        expect(authorize.searchParams.get('scope')?.split(' ')).to.have.members(SCOPES);
        expect(authorize.searchParams.get('code_challenge_method')).to.equal('S256');
        expect(page.history.some((url) => isOktaForm({ ...page, url }))).to.equal(true);
        expect(page.history.some((url) => url.startsWith(`${app.origin}/auth/okta/callback?code=`))).to.equal(true);
        expect(page.body).to.include('Alice Anderson').and.include('<span class="badge">Admins</span>');
        expect(page.body)
          .to.include('<code>iss</code>')
          .and.include(authServerId ? okta!.issuer(authServerId) : okta!.origin);

        const me = await browser.get(`${app.origin}/me.json`);
        expect(me.status).to.equal(200);
        const fields = JSON.parse(me.body) as Record<string, unknown>;
        expect(fields).to.deep.include({
          id: alice.sub,
          name: 'Alice Anderson',
          username: alice.username,
          email: alice.email,
          emailVerified: true,
          groups: ['Everyone', 'Admins'],
        });
        const expiresIn = Date.parse(fields.accessTokenExpiresAt as string) - Date.now();
        expect(expiresIn).to.be.within(3_500_000, 3_600_000);

        // The tokens stay on the server: neither page holds any of them.
        const user = app.signIns.at(-1)!;
        expect(user.tokens.refreshToken).to.be.a('string');
        for (const token of [user.tokens.accessToken, user.tokens.refreshToken!, user.tokens.idToken]) {
          expect(page.body).not.to.include(token);
          expect(me.body).not.to.include(token);
        }
      });

      it('signs bob in without the Admins group', async function () {
        const browser = new ScriptedBrowser();
        const page = await signIn(browser, `${app.origin}/login`, bob);
        expect(page.url).to.equal(`${app.origin}/profile`);
        expect(page.body).to.include('Bob Brown').and.not.include('Admins');
        const me = JSON.parse((await browser.get(`${app.origin}/me.json`)).body) as Record<string, unknown>;
        expect(me).to.deep.include({ id: bob.sub, name: 'Bob Brown', email: bob.email, groups: ['Everyone'] });
      });

      it('returns to the returnTo path after sign-in, carried in info.state rather than in the URL', async function () {
        const page = await signIn(
          new ScriptedBrowser(),
          `${app.origin}/login?returnTo=${encodeURIComponent('/profile?tab=claims')}`,
        );
        expect(page.status).to.equal(200);
        expect(page.url).to.equal(`${app.origin}/profile?tab=claims`);
        expect(page.history[1]).not.to.include('returnTo').and.not.include('claims');
      });

      it('ignores a returnTo that would leave the site, and lands on /profile', async function () {
        const browser = new ScriptedBrowser();
        for (const returnTo of [
          '//evil.example',
          'https://evil.example/',
          '/\\evil.example',
          '/.//evil.example',
          '/%2e//evil.example',
        ]) {
          const page = await signIn(browser, `${app.origin}/login?returnTo=${encodeURIComponent(returnTo)}`);
          expect(page.url, returnTo).to.equal(`${app.origin}/profile`);
          expect(page.history.slice(1).join(' '), returnTo).not.to.include('evil.example');
        }
      });

      it('sends a signed-out visitor from /profile through the sign-in and back to /profile', async function () {
        const page = await signIn(new ScriptedBrowser(), `${app.origin}/profile`);
        // requireSignIn starts the sign-in itself: /profile, then Okta, and back.
        expect(page.history[0]).to.equal(`${app.origin}/profile`);
        expect(new URL(page.history[1]!).origin).to.equal(okta!.origin);
        expect(page.url).to.equal(`${app.origin}/profile`);
        expect(page.body).to.include('Alice Anderson');
      });

      it("refreshes the tokens with the sign-in's refresh token: new access token, verified ID token for the same sub", async function () {
        await signIn(new ScriptedBrowser(), `${app.origin}/login`);
        const user = app.signIns.at(-1)!;
        expect(user.id).to.equal(alice.sub);
        const client = app.strategy.client;

        const fresh = await client.refreshAccessToken(user.tokens.refreshToken!, { subject: alice.sub });
        expect(fresh.accessToken).to.be.a('string').and.not.equal(user.tokens.accessToken);
        expect(fresh.accessTokenExpiresAt.getTime()).to.be.greaterThan(Date.now());
        expect(fresh.idToken).to.be.a('string');
        const claims = await client.verifyIdToken(fresh.idToken!);
        expect(claims.sub).to.equal(alice.sub);
        expect(claims.iss).to.equal(authServerId ? okta!.issuer(authServerId) : okta!.origin);
        expect(claims.aud).to.equal(CLIENT_ID);
        // The new access token works.
        expect((await client.fetchUserInfo(fresh.accessToken)).sub).to.equal(alice.sub);
      });

      it('signs out with POST /logout: revokes the tokens, ends the Okta session, comes back to /, and the old session is gone', async function () {
        const browser = new ScriptedBrowser();
        await signIn(browser, `${app.origin}/login`);
        const user = app.signIns.at(-1)!;
        const oldSession = browser.cookies('127.0.0.1').get(SESSION_COOKIE);
        expect(oldSession).to.be.a('string');
        const callsBefore = app.oktaCalls.length;
        const warningsBefore = app.warnings.length;

        // What a browser sends when the Sign out button of the app's own page is pressed.
        const page = await browser.follow(`${app.origin}/logout`, {
          method: 'POST',
          body: '',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            origin: app.origin,
            'sec-fetch-site': 'same-origin',
          },
        });

        // The app -> Okta's /v1/logout -> the app's return leg, which checks the state -> home.
        expect(page.history).to.have.lengthOf(4);
        const logout = new URL(page.history[1]!);
        expect(`${logout.origin}${logout.pathname}`).to.equal(endpoint('logout'));
        expect(logout.searchParams.get('id_token_hint')).to.equal(user.tokens.idToken);
        expect(logout.searchParams.get('post_logout_redirect_uri')).to.equal(`${app.origin}/signed-out`);
        const state = logout.searchParams.get('state');
        expect(state).to.match(/^[\w-]{16,}$/);
        expect(page.history[2]).to.equal(`${app.origin}/signed-out?state=${state}`);
        expect(page.url).to.equal(`${app.origin}/`);
        expect(page.status).to.equal(200);
        expect(page.body).to.include('<a class="button" href="/login">Sign in</a>');

        // Both tokens were revoked, without a warning.
        expect(app.oktaCalls.slice(callsBefore)).to.deep.equal([
          new URL(endpoint('revoke')).pathname,
          new URL(endpoint('revoke')).pathname,
        ]);
        expect(app.warnings.slice(warningsBefore)).to.deep.equal([]);

        // The session is gone from the server, not only from this browser.
        expect(browser.cookies('127.0.0.1').has(SESSION_COOKIE)).to.equal(false);
        expect((await browser.get(`${app.origin}/me.json`)).status).to.equal(401);
        const replayed = await fetch(`${app.origin}/me.json`, { headers: { cookie: `${SESSION_COOKIE}=${oldSession}` } });
        expect(replayed.status).to.equal(401);

        // The revoked tokens no longer work.
        const refresh = await rejection(app.strategy.client.refreshAccessToken(user.tokens.refreshToken!));
        expect(refresh).to.be.instanceOf(TokenError).and.to.have.property('error', 'invalid_grant');
        const userInfo = await rejection(app.strategy.client.fetchUserInfo(user.tokens.accessToken));
        expect(userInfo).to.be.instanceOf(TokenError).and.to.have.property('error', 'invalid_token');

        // The Okta session ended too: the next sign-in shows Okta's form again.
        expect(isOktaForm(await browser.get(`${app.origin}/login`))).to.equal(true);
      });

      it('does not sign out on a cross-site POST /logout (403) or on GET /logout: nothing is revoked, alice stays signed in', async function () {
        const browser = new ScriptedBrowser();
        await signIn(browser, `${app.origin}/login`);
        const session = browser.cookies('127.0.0.1').get(SESSION_COOKIE);
        const callsBefore = app.oktaCalls.length;

        // A form on another site posting to /logout, as Fetch Metadata and Origin mark it.
        const attacks: Array<Record<string, string>> = [
          { origin: 'https://evil.example' },
          { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
          { 'sec-fetch-site': 'cross-site' },
        ];
        for (const headers of attacks) {
          const page = await browser.request(`${app.origin}/logout`, {
            method: 'POST',
            body: '',
            headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
          });
          expect(page.status, JSON.stringify(headers)).to.equal(403);
          expect(page.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
          expect(page.body).to.match(/another site/);
          expect(page.headers.get('set-cookie')).to.equal(null);
        }
        // `location = '/logout'` or a link: the sign-out is a POST only.
        const get = await browser.get(`${app.origin}/logout`);
        expect(get.status).to.equal(404);

        expect(app.oktaCalls.slice(callsBefore), 'no revoke call').to.deep.equal([]);
        expect(browser.cookies('127.0.0.1').get(SESSION_COOKIE)).to.equal(session);
        const me = await browser.get(`${app.origin}/me.json`);
        expect(me.status).to.equal(200);
        expect(JSON.parse(me.body)).to.include({ id: alice.sub });
      });

      it('lets a visitor without a session POST /logout and just go home', async function () {
        const visitor = await new ScriptedBrowser().post(`${app.origin}/logout`, {});
        expect(visitor.history[0]).to.equal(`${app.origin}/logout`);
        expect(visitor.history[1]!.startsWith(`${app.origin}/signed-out?state=`)).to.equal(true);
        expect(visitor.url).to.equal(`${app.origin}/`);
        expect(visitor.status).to.equal(200);
      });

      it('shows the failure page with status 401 when the user presses Cancel on the Okta form', async function () {
        const browser = new ScriptedBrowser();
        const form = await browser.get(`${app.origin}/login`);
        expect(isOktaForm(form)).to.equal(true);
        const callsBefore = app.oktaCalls.length;

        const page = await browser.post(formAction(form), { deny: '1' });

        expect(page.history.some((url) => url.startsWith(`${app.origin}/auth/okta/callback?error=access_denied`))).to.equal(true);
        expect(page.url).to.equal(`${app.origin}/login-failed`);
        expect(page.status).to.equal(401);
        expect(page.body).to.include('User denied access').and.include('<a class="button" href="/login">Try again</a>');
        expect(app.oktaCalls.slice(callsBefore)).to.deep.equal([]);
        expect((await browser.get(`${app.origin}/me.json`)).status).to.equal(401);
      });

      it("signs in with response_mode=form_post: the pending sign-in waits in a SameSite=None cookie, and the browser posts Okta's form to the callback", async function () {
        expect(formPostApp.stateStore).to.equal('cookie');
        const browser = new ScriptedBrowser();
        const start = await browser.request(`${formPostApp.origin}/login?returnTo=%2Fme.json`, { method: 'GET' });
        expect(new URL(start.headers.get('location')!).searchParams.get('response_mode')).to.equal('form_post');
        const setCookies = start.headers.getSetCookie();
        // The state cookie and the store's slot counter, oktaSession's marker (no silent
        // sign-in in this browser now), and no session.
        expect(setCookies).to.have.lengthOf(3);
        expect(setCookies[0]).to.equal('okta_silent=1; Path=/; HttpOnly; SameSite=Lax');
        const stateCookies = setCookies.slice(1);
        expect(stateCookies[1]).to.match(/^okta_login_next=1; .*Path=\/;/);
        expect(stateCookies[0]).to.match(/^okta_login\.0=/);
        expect(stateCookies[0]).to.include('Path=/;').and.include('HttpOnly').and.include('Secure');
        expect(stateCookies[0]).to.include('SameSite=None');

        const form = await browser.get(start.headers.get('location')!);
        const autoPost = await browser.post(formAction(form), { username: alice.username, password: alice.password });
        expect(autoPost.status).to.equal(200);
        expect(autoPost.body).to.include(`action="${formPostApp.origin}/auth/okta/callback"`);
        const page = await browser.submitForm(autoPost);

        expect(page.history).to.deep.equal([`${formPostApp.origin}/auth/okta/callback`, `${formPostApp.origin}/me.json`]);
        expect(page.status).to.equal(200);
        expect(JSON.parse(page.body)).to.deep.include({ id: alice.sub, groups: ['Everyone', 'Admins'] });
        // The state cookie was used up; the session cookie holds the sign-in.
        const appCookies = [...browser.cookies('127.0.0.1').keys()].filter((name) => !name.startsWith('okta_'));
        expect(appCookies).to.deep.equal([SESSION_COOKIE]);
        expect(browser.cookies('127.0.0.1').has(stateCookies[0]!.split('=')[0]!)).to.equal(false);
        expect(formPostApp.errors).to.deep.equal([]);

        // Posting the same form again is a replay: its state cookie is gone.
        const replay = await browser.submitForm(autoPost);
        expect(replay.url).to.equal(`${formPostApp.origin}/login-failed`);
        expect(replay.status).to.equal(401);
        expect(replay.body).to.include('already used');
      });

      it('refuses a replayed callback URL: Passport fails it with 403 before any call to Okta, and shows the failure page', async function () {
        // Proof of the 403: the strategy's fail(challenge, status) as Passport receives it
        // (failureRedirect hides the status), plus what the browser and Okta see.
        const browser = new ScriptedBrowser();
        const first = await signIn(browser, `${app.origin}/login`);
        const callbackURL = first.history.find((url) => url.startsWith(`${app.origin}/auth/okta/callback?`))!;
        expect(callbackURL).to.be.a('string');
        const callsBefore = app.oktaCalls.length;
        const recorder = recordFailures(app.strategy);
        try {
          const replay = await browser.get(callbackURL);
          expect(recorder.failures).to.have.lengthOf(1);
          expect(recorder.failures[0]!.status).to.equal(403);
          expect(recorder.failures[0]!.challenge)
            .to.have.property('message')
            .that.matches(/already used/);
          expect(replay.history).to.deep.equal([callbackURL, `${app.origin}/login-failed`]);
          expect(replay.status).to.equal(401);
          expect(replay.body).to.include('already used');

          // The same URL in another browser (a leaked link) signs nobody in either.
          const other = new ScriptedBrowser();
          expect((await other.get(callbackURL)).url).to.equal(`${app.origin}/login-failed`);
          expect(recorder.failures[1]!.status).to.equal(403);
          expect((await other.get(`${app.origin}/me.json`)).status).to.equal(401);
        } finally {
          recorder.restore();
        }
        // Okta's token endpoint (or any other) was not reached.
        expect(app.oktaCalls.slice(callsBefore)).to.deep.equal([]);
      });

      it("shows a friendly 500 page (the error's name and code, no stack) when Okta refuses the client", async function () {
        const page = await signIn(new ScriptedBrowser(), `${wrongSecretApp.origin}/login`);
        expect(page.url.startsWith(`${wrongSecretApp.origin}/auth/okta/callback?code=`)).to.equal(true);
        expect(page.status).to.equal(500);
        expect(page.body).to.include('<strong>TokenError</strong> <code>ERR_OKTA_TOKEN</code>');
        expect(page.body).not.to.match(/\bat .+:\d+:\d+/);
        expect(page.body).not.to.include('not-the-client-secret');
        expect(wrongSecretApp.errors).to.have.lengthOf(1);
        expect(wrongSecretApp.errors[0]).to.match(/^\[example\] TokenError \(ERR_OKTA_TOKEN\): .*invalid_client/);
      });
    });
  }
}

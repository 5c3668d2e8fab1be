import { expect } from 'chai';
import { connect } from 'node:net';
import { IdTokenError, TokenError } from '../../lib/core/errors.js';
import { SessionStateStore, type PendingLogin, type StateStore, type StateStoreContext } from '../../lib/index.js';
import { type OktaRequest } from '../../lib/passport/request.js';
import { CookieBrowser, createTestApp, pendingLoginsIn, type TestApp } from '../support/hostile-app.js';
import {
  callbackRequest,
  describeOutcome,
  makeStrategy,
  signIn,
  startSignIn,
  type Session,
  type TestUser,
} from '../support/hostile-harness.js';
import { CLIENT_ID, HostileOkta, makeKey } from '../support/hostile-okta.js';
import { request, run, type Outcome } from '../support/passport.js';
import { expectNoLeak } from '../support/secret-leaks.js';
import { listen, type Listening } from '../support/server.js';

/** Counts the store calls, to prove that refused callbacks do no work. */
class SpyStore implements StateStore {
  readonly inner = new SessionStateStore();
  takes = 0;
  save(req: OktaRequest, login: PendingLogin): void {
    this.inner.save(req, login);
  }
  take(req: OktaRequest, state: string, context: StateStoreContext): PendingLogin | undefined {
    this.takes++;
    return this.inner.take(req, state, context);
  }
}

/** Sends a GET over a bare TCP socket, as an attacker's script would; returns the status line. */
function rawGet(origin: string, path: string): Promise<string> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(Number(port), hostname, () => {
      socket.end(`GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => undefined); // the server may close while the rest is still being sent
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
  });
}

function pendingIn(session: Session, strategy = 'okta'): number {
  return ((session['passport-okta-oidc'] as Record<string, unknown[]> | undefined)?.[strategy] ?? []).length;
}

function failure(outcome: Outcome): { status: number | undefined; message: string } {
  expect(outcome.kind, describeOutcome(outcome)).to.equal('fail');
  const { status, challenge } = outcome as Extract<Outcome, { kind: 'fail' }>;
  return { status, message: (challenge as { message: string }).message };
}

function errorOf(outcome: Outcome): Error {
  expect(outcome.kind, describeOutcome(outcome)).to.equal('error');
  return (outcome as Extract<Outcome, { kind: 'error' }>).error;
}

describe('attacks on the callback (hostile provider over real HTTP)', () => {
  let okta: HostileOkta;

  before(async () => {
    okta = await HostileOkta.start();
  });
  beforeEach(() => okta.reset());
  after(async () => {
    await okta.close();
  });

  /** An outcome this file produced outside `signIn`, searched for the provider's secrets there and then. */
  function record(where: string, outcome: Outcome): Outcome {
    expectNoLeak({ where, outcome }, okta.secrets);
    return outcome;
  }

  describe('login CSRF and foreign state', () => {
    it("refuses a callback carrying the attacker's code and state in a browser that never started it", async () => {
      const strategy = makeStrategy(okta);
      // The attacker signs in to Okta as himself and stops before his own callback...
      const attackerURL = await okta.authorize(await startSignIn(strategy, {}, { user: 'mallory' }));
      // ...then makes the victim's browser (with a sign-in of its own pending) follow it.
      const victim: Session = {};
      await startSignIn(strategy, victim);
      const outcome = record('login-csrf', await run(strategy, callbackRequest(attackerURL, victim)));
      const { status, message } = failure(outcome);
      expect(status).to.equal(403);
      expect(message).to.match(/state is unknown/);
      expect(okta.hits.token, 'the code was never redeemed').to.equal(0);
      expect(pendingIn(victim), "the victim's own sign-in is untouched").to.equal(1);
      expect(victim).to.not.have.property('passport');
    });

    it('refuses a callback without state even when the code is valid', async () => {
      const strategy = makeStrategy(okta);
      const session: Session = {};
      const url = await okta.authorize(await startSignIn(strategy, session));
      url.searchParams.delete('state');
      const { status } = failure(record('no-state', await run(strategy, callbackRequest(url, session))));
      expect(status).to.equal(403);
      expect(okta.hits.token).to.equal(0);
    });

    it("refuses another session's state, and that session can still finish its own sign-in", async () => {
      const strategy = makeStrategy(okta);
      const owner: Session = {};
      const url = await okta.authorize(await startSignIn(strategy, owner));
      const thief: Session = {};
      expect(failure(record('foreign-state', await run(strategy, callbackRequest(url, thief)))).status).to.equal(403);
      expect(okta.hits.token).to.equal(0);
      const outcome = await run(strategy, callbackRequest(url, owner));
      expect(outcome.kind, describeOutcome(outcome)).to.equal('success');
    });

    it("shows an attacker's error_description only with this browser's own state", async () => {
      const strategy = makeStrategy(okta);
      const session: Session = {};
      await startSignIn(strategy, session);
      const phishing = 'Your account is locked. Call +1 555 0100 to unlock it.';
      const forged = await run(
        strategy,
        request({ query: { error: 'access_denied', error_description: phishing, state: 'guessed' }, session }),
      );
      expect(failure(record('error-injection', forged)).message).to.not.contain('Call');
    });
  });

  describe('replay', () => {
    it('signs in once and refuses the same callback the second time, redeeming the code once', async () => {
      const strategy = makeStrategy(okta);
      const first = await signIn(strategy, okta, { where: 'replay' });
      expect(first.outcome.kind).to.equal('success');
      const again = record('replay', await run(strategy, callbackRequest(first.callbackURL, first.session)));
      expect(failure(again).status).to.equal(403);
      expect(okta.hits.token).to.equal(1);
    });

    it('refuses a replay after a failed exchange: the state is used up either way', async () => {
      const strategy = makeStrategy(okta);
      okta.behaviour = { token: { status: 503 } };
      const first = await signIn(strategy, okta, { where: 'replay-after-error' });
      expect(first.outcome.kind).to.equal('error');
      okta.reset();
      const again = record('replay-after-error', await run(strategy, callbackRequest(first.callbackURL, first.session)));
      expect(failure(again).status).to.equal(403);
      expect(okta.hits.token).to.equal(0);
    });

    it('lets at most one of two simultaneous identical callbacks sign in (Express, express-session)', async () => {
      const { app } = createTestApp(makeStrategy(okta, { name: 'okta' }, async (_t, profile) => ({ id: profile.id })));
      const server = await listen(app);
      try {
        const browser = new CookieBrowser();
        const login = await browser.get(`${server.origin}/login?user=alice`);
        const callback = await okta.authorize(login.location!);
        const answers = await Promise.all([browser.get(callback), browser.get(callback)]);
        const signedIn = answers.filter((a) => a.status === 302 && a.location === '/me');
        expect(signedIn, JSON.stringify(answers.map((a) => [a.status, a.location, a.body]))).to.have.length(1);
        const other = answers.find((a) => a !== signedIn[0])!;
        // Either the state was already gone (403 via /failed), or both read the session
        // before either saved it and Okta refused the second use of the code.
        if (other.status === 302) expect(other.location).to.equal('/failed');
        else expect(JSON.parse(other.body)).to.deep.equal({ error: 'TokenError', code: 'ERR_OKTA_TOKEN' });
      } finally {
        await server.close();
      }
    });
  });

  describe('code injection', () => {
    it("fails cleanly when another login's code is injected: Okta refuses the verifier", async () => {
      const strategy = makeStrategy(okta);
      const stolen = await okta.authorize(await startSignIn(strategy, {}, { user: 'mallory' }));
      const victim: Session = {};
      const url = await okta.authorize(await startSignIn(strategy, victim));
      url.searchParams.set('code', stolen.searchParams.get('code')!);
      const err = errorOf(record('code-injection', await run(strategy, callbackRequest(url, victim))));
      expect(err).to.be.instanceOf(TokenError).and.include({ error: 'invalid_grant', oktaStatus: 400 });
      expect(err.message).to.match(/PKCE verification failed/);
      expect(err.message).to.not.contain(stolen.searchParams.get('code')!);
      expect(pendingIn(victim), 'the state is used up').to.equal(0);
    });

    it('still refuses the injected code when the provider does not enforce PKCE: the nonce differs', async () => {
      const strategy = makeStrategy(okta);
      const stolen = await okta.authorize(await startSignIn(strategy, {}, { user: 'mallory' }));
      okta.behaviour = { ignorePkce: true };
      const victim: Session = {};
      const url = await okta.authorize(await startSignIn(strategy, victim));
      url.searchParams.set('code', stolen.searchParams.get('code')!);
      const err = errorOf(record('code-injection-no-pkce', await run(strategy, callbackRequest(url, victim))));
      expect(err).to.be.instanceOf(IdTokenError).with.property('claim', 'nonce');
    });
  });

  describe('mix-up between Okta orgs and authorization servers', () => {
    let otherOrg: HostileOkta;
    before(async () => {
      otherOrg = await HostileOkta.start({ keys: [await makeKey('other-org-key')] });
    });
    after(async () => {
      await otherOrg.close();
    });

    it("refuses an ID token minted by another Okta org, with that org's key and issuer", async () => {
      okta.behaviour = { idToken: (grant) => otherOrg.idTokenFor(grant) };
      const { outcome } = await signIn(makeStrategy(okta), okta, { where: 'mix-up-org' });
      expect(errorOf(outcome)).to.be.instanceOf(IdTokenError).with.property('claim', 'kid');
    });

    it("refuses an ID token from another org's key that reuses this org's kid", async () => {
      const impostor = await makeKey('key-1');
      okta.behaviour = { idToken: (grant) => otherOrg.sign(otherOrg.claimsFor(grant), impostor) };
      const { outcome } = await signIn(makeStrategy(okta), okta, { where: 'mix-up-kid' });
      expect(errorOf(outcome)).to.be.instanceOf(IdTokenError).with.property('claim', 'signature');
    });

    it('refuses an ID token from another authorization server of the same org', async () => {
      okta.behaviour = { claims: { iss: `${okta.origin}/oauth2/aus-other` } };
      const { outcome } = await signIn(makeStrategy(okta), okta, { where: 'mix-up-server' });
      expect(errorOf(outcome)).to.be.instanceOf(IdTokenError).with.property('claim', 'iss');
    });

    it('refuses a callback whose iss parameter names another authorization server (RFC 9207), before the token call', async () => {
      okta.behaviour = { authorizationIss: otherOrg.issuer };
      const { outcome } = await signIn(makeStrategy(okta), okta, { where: 'mix-up-iss-param' });
      expect(failure(outcome).message).to.match(/another issuer/);
      expect(okta.hits.token).to.equal(0);
      okta.behaviour = { authorizationIss: okta.issuer };
      expect((await signIn(makeStrategy(okta), okta)).outcome.kind).to.equal('success');
    });

    it('refuses to finish a sign-in with a strategy for another authorization server under the same name', async () => {
      const session: Session = {};
      const url = await okta.authorize(await startSignIn(makeStrategy(okta), session));
      const elsewhere = makeStrategy(otherOrg);
      const outcome = record('mix-up-store', await run(elsewhere, callbackRequest(url, session)));
      expect(failure(outcome).message).to.match(/another strategy or Okta authorization server/);
      expect(otherOrg.hits.token + okta.hits.token).to.equal(0);
    });

    it("does not let a strategy with another name take this strategy's pending sign-in", async () => {
      const session: Session = {};
      const mine = makeStrategy(okta, { name: 'okta-us' });
      const url = await okta.authorize(await startSignIn(mine, session));
      const theirs = makeStrategy(otherOrg, { name: 'okta-eu' });
      expect(failure(record('mix-up-name', await run(theirs, callbackRequest(url, session)))).status).to.equal(403);
      expect(pendingIn(session, 'okta-us')).to.equal(1);
      expect((await run(mine, callbackRequest(url, session))).kind).to.equal('success');
    });
  });

  describe('oversized input', () => {
    const MB = 1024 * 1024;
    for (const name of ['state', 'code', 'error_description', 'error_uri', 'iss']) {
      it(`refuses a 1 MB ${name} with 400 at once, before any lookup or request`, async () => {
        const store = new SpyStore();
        const strategy = makeStrategy(okta, { store });
        const session: Session = {};
        await startSignIn(strategy, session);
        const query: Record<string, string> = { code: 'c', state: 's', error: 'access_denied', [name]: 'x'.repeat(MB) };
        if (name !== 'error_description' && name !== 'error_uri') delete query.error;
        const started = process.hrtime.bigint();
        const outcome = record(`oversized-${name}`, await run(strategy, request({ query, session })));
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const { status, message } = failure(outcome);
        expect(status).to.equal(400);
        expect(message)
          .to.contain(name)
          .and.match(/too long/);
        expect(message.length).to.be.below(200);
        expect(store.takes, 'no state lookup').to.equal(0);
        expect(pendingIn(session), 'the pending sign-in is not used up').to.equal(1);
        expect(okta.hits.token + okta.hits.keys).to.equal(0);
        expect(ms).to.be.below(50);
      });
    }

    it('refuses a state repeated 100,000 times (1 MB of parameters) as malformed, at once', async () => {
      const store = new SpyStore();
      const strategy = makeStrategy(okta, { store });
      const query = { code: 'c', state: Array.from({ length: 100_000 }, (_, i) => `s${i}`) };
      const outcome = record('repeated-state', await run(strategy, request({ query, session: {} })));
      expect(failure(outcome)).to.deep.equal({
        status: 400,
        message: 'The sign-in callback parameter state is repeated or malformed',
      });
      expect(store.takes).to.equal(0);
    });

    describe('through Node and Express', () => {
      let testApp: TestApp;
      let server: Listening;
      before(async () => {
        testApp = createTestApp(makeStrategy(okta));
        server = await listen(testApp.app);
      });
      after(async () => {
        await server.close();
      });

      it("refuses a 1 MB query string with 431 in Node's HTTP parser: the app never sees it", async () => {
        const before = testApp.counters.requests;
        const started = Date.now();
        const statusLine = await rawGet(server.origin, `/auth/okta/callback?code=c&state=${'s'.repeat(MB)}`);
        expect(statusLine).to.equal('HTTP/1.1 431 Request Header Fields Too Large');
        expect(testApp.counters.requests).to.equal(before);
        expect(Date.now() - started).to.be.below(2000);
      });

      it('refuses a 1 MB form_post body with 413 in the body parser: the strategy never runs', async () => {
        const before = testApp.counters.callbacks;
        const answer = await new CookieBrowser().post(`${server.origin}/auth/okta/callback`, `code=c&state=${'s'.repeat(MB)}`);
        expect(answer.status).to.equal(413);
        expect(testApp.counters.callbacks).to.equal(before);
        expect(okta.hits.token).to.equal(0);
      });
    });
  });

  describe('session fixation and redirects after sign-in (Express app)', () => {
    let testApp: TestApp;
    let server: Listening;
    before(async () => {
      testApp = createTestApp(makeStrategy(okta, {}, async (_t, profile) => ({ id: profile.id })));
      server = await listen(testApp.app);
    });
    after(async () => {
      await server.close();
    });

    async function signInThroughApp(browser: CookieBrowser, path: string): Promise<string | undefined> {
      const login = await browser.get(`${server.origin}${path}`);
      const callback = await browser.get(await okta.authorize(login.location!));
      expect(callback.status, callback.body).to.equal(302);
      return callback.location;
    }

    it('gives the browser a new session id at sign-in, so a planted session cookie is worthless', async () => {
      const browser = new CookieBrowser();
      await browser.get(`${server.origin}/login?user=alice`);
      const planted = browser.cookies.get('connect.sid');
      expect(planted).to.be.a('string');
      await signInThroughApp(browser, '/login?user=alice');
      expect(browser.cookies.get('connect.sid')).to.not.equal(planted);
      const attacker = new CookieBrowser();
      attacker.cookies.set('connect.sid', planted!);
      expect(JSON.parse((await attacker.get(`${server.origin}/me`)).body)).to.deep.equal({ user: null });
      const me = JSON.parse((await browser.get(`${server.origin}/me`)).body) as { user: TestUser };
      expect(me.user.id).to.equal('00ualice');
      expect(pendingLoginsIn(testApp.sessions).pending).to.equal(1); // the first, abandoned sign-in
    });

    const hostile = [
      '//evil.example',
      '/\\evil.example',
      '\\\\evil.example',
      'https://evil.example/',
      'http:evil.example',
      'javascript:alert(1)',
      '/\r\nLocation: https://evil.example',
      '/%0d%0aLocation:%20https://evil.example',
      '/\t/evil.example',
      ' //evil.example',
    ];
    for (const returnTo of hostile) {
      it(`stays on the app's origin when info.state asks for ${JSON.stringify(returnTo)}`, async () => {
        const location = await signInThroughApp(
          new CookieBrowser(),
          `/login?user=alice&returnTo=${encodeURIComponent(returnTo)}`,
        );
        expect(location).to.match(/^\/(?![/\\])/);
        expect(new URL(location!, server.origin).origin).to.equal(server.origin);
        // Only the percent-encoded one is a path at all; it stays encoded, so no header is injected.
        if (!returnTo.startsWith('/%')) expect(location).to.equal('/me');
      });
    }

    // Dot segments once collapsed this to "//evil.example" (fixed in 6da30b2); see test/unit/app/redirect.test.ts.
    it('redirects to a same-origin path when info.state asks for "/.//evil.example"', async () => {
      const location = await signInThroughApp(
        new CookieBrowser(),
        `/login?user=alice&returnTo=${encodeURIComponent('/.//evil.example')}`,
      );
      expect(new URL(location!, server.origin).origin).to.equal(server.origin);
    });

    it('redirects to a same-origin return path from info.state', async () => {
      const location = await signInThroughApp(new CookieBrowser(), '/login?user=alice&returnTo=%2Freports%3Fq%3D1%23top');
      expect(location).to.equal('/reports?q=1#top');
    });
  });

  describe('ID tokens for audiences this client does not trust (OIDC Core §3.1.3.7 step 3, Express app)', () => {
    const clients: Listening[] = [];
    after(async () => {
      await Promise.all(clients.map((c) => c.close()));
    });

    /** Signs in through an Express app with an ID token carrying `aud`; returns the callback answer and `/me`. */
    async function signInWithAudiences(
      aud: string[],
      trustedAudiences?: string[],
    ): Promise<{ status: number; body: string; me: { user: TestUser | null } }> {
      const strategy = makeStrategy(okta, { trustedAudiences }, async (_t, profile) => ({ id: profile.id }));
      const server = await listen(createTestApp(strategy).app);
      clients.push(server);
      okta.behaviour = { claims: { aud, azp: CLIENT_ID } };
      const browser = new CookieBrowser();
      const login = await browser.get(`${server.origin}/login?user=alice`);
      const callback = await browser.get(await okta.authorize(login.location!));
      const me = JSON.parse((await browser.get(`${server.origin}/me`)).body) as { user: TestUser | null };
      return { status: callback.status, body: callback.body, me };
    }

    it('refuses an extra audience even when azp is this client', async () => {
      const { status, body, me } = await signInWithAudiences([CLIENT_ID, 'api://untrusted']);
      expect(status, body).to.equal(500);
      expect(JSON.parse(body)).to.deep.equal({ error: 'IdTokenError', code: 'ERR_OKTA_ID_TOKEN' });
      expect(me.user).to.equal(null);
    });

    it('accepts an extra audience listed in trustedAudiences, and still refuses one that is not', async () => {
      const trusted = await signInWithAudiences([CLIENT_ID, 'api://default'], ['api://default']);
      expect(trusted.status, trusted.body).to.equal(302);
      expect(trusted.me.user?.id).to.equal('00ualice');
      const other = await signInWithAudiences([CLIENT_ID, 'api://default', 'api://other'], ['api://default']);
      expect(other.status, other.body).to.equal(500);
      expect(other.me.user).to.equal(null);
    });
  });
});

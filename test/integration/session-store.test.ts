import { expect } from 'chai';
import { SessionStateStore, type PendingLogin } from '../../lib/index.js';
import { callbackRequest, makeStrategy, startSignIn, type Session } from '../support/hostile-harness.js';
import { CookieBrowser, createTestApp } from '../support/hostile-app.js';
import { HostileOkta } from '../support/hostile-okta.js';
import { listen, type Listening } from '../support/server.js';

const KEY = 'passport-okta-oidc';

/** The session as a JSON session store (express-session's) writes and reads it. */
const serialized = (session: Session): Session => JSON.parse(JSON.stringify(session)) as Session;

describe('SessionStateStore: what a pending sign-in costs the session', () => {
  let okta: HostileOkta;
  let app: Listening;
  let sessions: ReturnType<typeof createTestApp>['sessions'];
  before(async () => {
    okta = await HostileOkta.start();
    const test = createTestApp(makeStrategy(okta));
    sessions = test.sessions;
    app = await listen(test.app);
  });
  after(async () => {
    await app.close();
    await okta.close();
  });

  it('keeps a pending sign-in in under 200 bytes of session JSON, and signs in from it', async () => {
    const browser = new CookieBrowser();
    const start = await browser.get(`${app.origin}/login?user=alice&returnTo=/deep`);
    const [json] = Object.values((sessions as unknown as { sessions: Record<string, string> }).sessions);
    const bag = (JSON.parse(json!) as Record<string, unknown>)[KEY];
    expect(JSON.stringify({ [KEY]: bag }).length).to.be.below(200);
    expect(json).to.not.include(new URL(start.location!).searchParams.get('state')!);
    const callback = await browser.get(await okta.authorize(start.location!));
    expect(callback.location).to.equal('/deep');
    const me = JSON.parse((await browser.get(`${app.origin}/me`)).body) as { user: { id: string } | null };
    expect(me.user?.id).to.be.a('string');
  });
});

describe('SessionStateStore: pending sign-ins read back from serialized sessions', () => {
  const origin = 'https://acme.okta.example';
  const strategy = makeStrategy({ origin, authServerId: 'default' }, { responseMode: 'form_post' });
  const store = new SessionStateStore();
  const context = { strategy: 'okta', issuer: `${origin}/oauth2/default` };
  const take = (session: Session, state: string, issuer = context.issuer): PendingLogin | undefined =>
    store.take(callbackRequest(new URL('https://app.example/auth/okta/callback'), session), state, { ...context, issuer });

  it('gives back the same pending login, its options included', async () => {
    const session: Session = {};
    const url = await startSignIn(strategy, session, {
      authenticate: { maxAge: 300, acrValues: 'urn:okta:loa:2fa:any', state: { returnTo: '/x' } },
    });
    const inMemory = ((session[KEY] as Record<string, PendingLogin[]>).okta ?? [])[0]!;
    const state = url.searchParams.get('state')!;
    expect(inMemory.state).to.equal(state);
    const login = take(serialized(session), state);
    expect(login).to.deep.equal({ ...inMemory });
    expect(login).to.include({
      responseMode: 'form_post',
      maxAge: 300,
      acrValues: 'urn:okta:loa:2fa:any',
      nonce: url.searchParams.get('nonce'),
    });
  });

  it('names another issuer for a pending login started against another authorization server', async () => {
    const session: Session = {};
    const state = (await startSignIn(strategy, session)).searchParams.get('state')!;
    expect(take(serialized(session), state, `${origin}/oauth2/other`)?.issuer).to.not.equal(`${origin}/oauth2/other`);
  });

  it('never gives the same pending login twice, and finds none for an unknown state', async () => {
    const started: Session = {};
    const state = (await startSignIn(strategy, started)).searchParams.get('state')!;
    const session = serialized(started);
    expect(take(session, 'unknown')).to.equal(undefined);
    expect(take(session, state)?.state).to.equal(state);
    expect(take(session, state)).to.equal(undefined);
  });

  it('still reads pending logins written whole, as earlier versions did', () => {
    const whole: PendingLogin = {
      state: 's'.repeat(43),
      codeVerifier: 'v'.repeat(43),
      nonce: 'n'.repeat(43),
      redirectURI: 'https://app.example/auth/okta/callback',
      strategy: 'okta',
      issuer: context.issuer,
      expiresAt: Date.now() + 60_000,
      responseMode: 'query',
    };
    const session = serialized({ [KEY]: { okta: [whole] } });
    expect(take(session, whole.state)).to.deep.equal(whole);
    expect(session[KEY]).to.equal(undefined);
  });
});

import { expect } from 'chai';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { diagnosticsChannels } from '../../../lib/core/diagnostics.js';
import nock from 'nock';
import { ConfigurationError, StoreUnavailableError, UnknownTenantError } from '../../../lib/core/errors.js';
import {
  CookieStateStore,
  OktaStrategy,
  type OktaTenantStrategyOptions,
  type TenantConfig,
  type TenantResolver,
  type VerifyFunction,
} from '../../../lib/index.js';
import type { OktaRequest } from '../../../lib/passport/request.js';
import { DOMAIN, FakeOkta, makeKey } from '../../support/okta-mock.js';
import { request, run, type Outcome } from '../../support/passport.js';

// Two Okta orgs of one app, as custom authorization servers `a` and `b` of the mocked
// domain (two issuers, two key sets, two token endpoints), each with the app's own client.

type Session = Record<string, unknown>;
const keepUser: VerifyFunction = (_tokens, profile, done) => done(null, { id: profile.id, iss: profile._json.iss });

const ORGS: Record<string, TenantConfig> = {
  a: {
    oktaDomain: DOMAIN,
    authServerId: 'a',
    clientID: 'client-a',
    clientSecret: 'secret-a',
    callbackURL: '/auth/okta/callback/a',
  },
  b: {
    oktaDomain: DOMAIN,
    authServerId: 'b',
    clientID: 'client-b',
    clientSecret: 'secret-b',
    callbackURL: '/auth/okta/callback/b',
  },
};
/** The org a request names: the first label of its host (`a.app.example`). */
const byHost: TenantResolver = (req) => ORGS[String(req.headers.host).split('.')[0]!];

function makeStrategy(options: Partial<Omit<OktaTenantStrategyOptions, 'passReqToCallback'>> = {}): OktaStrategy {
  return new OktaStrategy({ tenant: byHost, callbackURL: '/auth/okta/callback', userInfo: false, ...options }, keepUser);
}

function expectKind<K extends Outcome['kind']>(outcome: Outcome, kind: K): Extract<Outcome, { kind: K }> {
  const said = JSON.stringify(outcome, (_k, v: unknown) => (v instanceof Error ? `${v.name}: ${v.message}` : v));
  expect(outcome.kind, said).to.equal(kind);
  return outcome as Extract<Outcome, { kind: K }>;
}

async function start(strategy: OktaStrategy, org: string, session: Session): Promise<{ url: URL; state: string; nonce: string }> {
  const outcome = await run(strategy, request({ url: '/login', session, headers: { host: `${org}.app.example` } }));
  const url = new URL(expectKind(outcome, 'redirect').url);
  return { url, state: url.searchParams.get('state')!, nonce: url.searchParams.get('nonce')! };
}

function callback(session: Session, path: string, query: Record<string, string>, host = 'a.app.example'): OktaRequest {
  return request({ url: path, query, session, headers: { host } });
}

describe('OktaStrategy with tenant (an Okta org per sign-in)', () => {
  const okta: Record<string, FakeOkta> = {};
  /** Every request that reached no mock: none may be sent. */
  let unmatched: string[];
  const onNoMatch = (req: { method?: string; path?: string }): void => {
    unmatched.push(`${req.method} ${req.path}`);
  };

  before(async () => {
    const key = await makeKey('key-ab');
    for (const id of ['a', 'b']) {
      okta[id] = new FakeOkta(id);
      okta[id].keys = [key];
    }
  });
  beforeEach(() => {
    nock.disableNetConnect();
    unmatched = [];
    nock.emitter.on('no match', onNoMatch);
  });
  afterEach(() => {
    nock.emitter.removeListener('no match', onNoMatch);
    nock.cleanAll();
    nock.enableNetConnect();
  });

  /** Org `id`'s token endpoint, answering for `clientID` with an ID token of `nonce`, once. */
  async function mockToken(id: string, nonce: string): Promise<nock.Scope> {
    const org = okta[id]!;
    const idToken = await org.sign(org.claims(nonce, { aud: ORGS[id]!.clientID }));
    org
      .scope()
      .get(`${org.path}/keys`)
      .reply(200, { keys: org.keys.map((k) => k.jwk) });
    return org
      .scope()
      .post(`${org.path}/token`)
      .basicAuth({ user: ORGS[id]!.clientID, pass: ORGS[id]!.clientSecret! })
      .reply(200, org.tokenBody(idToken, { scope: 'openid' }));
  }

  it("sends each sign-in to the org the resolver chose, with that org's client and callback", async () => {
    const strategy = makeStrategy();
    for (const id of ['a', 'b']) {
      const { url } = await start(strategy, id, {});
      expect(url.origin + url.pathname).to.equal(`${okta[id]!.issuer}/v1/authorize`);
      expect(url.searchParams.get('client_id')).to.equal(`client-${id}`);
      expect(url.searchParams.get('redirect_uri')).to.equal(`https://${id}.app.example/auth/okta/callback/${id}`);
    }
    expect(unmatched).to.deep.equal([]);
  });

  it('finishes each sign-in with the org that started it: its token endpoint, its issuer', async () => {
    const strategy = makeStrategy();
    for (const id of ['a', 'b']) {
      const session: Session = {};
      const { state, nonce } = await start(strategy, id, session);
      const token = await mockToken(id, nonce);
      const outcome = await run(
        strategy,
        callback(session, `/auth/okta/callback/${id}`, { code: 'c0de', state }, `${id}.app.example`),
      );
      expect(expectKind(outcome, 'success').user).to.deep.equal({ id: '00u1alice', iss: okta[id]!.issuer });
      token.done();
    }
    expect(unmatched).to.deep.equal([]);
  });

  it('tells the diagnostics channels of each start (with its org) and callback, with subscribers on them', async () => {
    const strategy = makeStrategy();
    const seen: string[] = [];
    const onStart = (message: unknown): void => {
      seen.push(`start ${(message as { issuer: string }).issuer}`);
    };
    const onEnd = (message: unknown): void => {
      seen.push(`callback ${(message as { outcome: string }).outcome}`);
    };
    subscribe(diagnosticsChannels.signInStart, onStart);
    subscribe(`tracing:${diagnosticsChannels.callback}:asyncEnd`, onEnd);
    try {
      const session: Session = {};
      const { state, nonce } = await start(strategy, 'b', session);
      const token = await mockToken('b', nonce);
      const outcome = await run(strategy, callback(session, '/auth/okta/callback/b', { code: 'c0de', state }, 'b.app.example'));
      expectKind(outcome, 'success');
      token.done();
    } finally {
      unsubscribe(diagnosticsChannels.signInStart, onStart);
      unsubscribe(`tracing:${diagnosticsChannels.callback}:asyncEnd`, onEnd);
    }
    expect(seen).to.deep.equal([`start ${okta.b!.issuer}`, 'callback success']);
  });

  it("never lets the callback request choose the org: a callback on org A's host finishes the sign-in of B with B", async () => {
    let asked = 0;
    const strategy = makeStrategy({ tenant: (req) => (asked++, byHost(req)) });
    const session: Session = {};
    const { state, nonce } = await start(strategy, 'b', session);
    const token = await mockToken('b', nonce);
    // Arrives at B's callback path (its redirect URI) but names org A's host.
    const req = request({
      url: '/auth/okta/callback/b',
      query: { code: 'c0de', state },
      session,
      headers: { host: 'a.app.example' },
    });
    const outcome = await run(strategy, req);
    // The redirect URI recorded for B is on b.app.example: the token request says so, and
    // the resolver was asked at the start only.
    expect(expectKind(outcome, 'success').user).to.deep.equal({ id: '00u1alice', iss: okta.b!.issuer });
    expect(asked).to.equal(1);
    token.done();
  });

  it("refuses a code from org A presented in a sign-in started for org B at A's callback, with no request to either", async () => {
    const strategy = makeStrategy();
    const session: Session = {};
    await start(strategy, 'a', session);
    const { state: stateB } = await start(strategy, 'b', session);
    // Org A can send the browser only to A's redirect URI: with B's state, that is not B's callback.
    const outcome = await run(strategy, callback(session, '/auth/okta/callback/a', { code: 'code-of-a', state: stateB }));
    expect(expectKind(outcome, 'fail').status).to.equal(403);
    expect(String((outcome as { challenge: { message: string } }).challenge.message)).to.match(/mix-up defence/);
    expect(unmatched).to.deep.equal([]);
  });

  it("refuses a callback whose iss is another org than the sign-in's (RFC 9207), with no request to either", async () => {
    const shared = (req: OktaRequest) => {
      const org = byHost(req);
      return org && { ...org, callbackURL: undefined };
    };
    const strategy = makeStrategy({ tenant: shared, requireIss: true });
    const session: Session = {};
    const { state: stateB, url } = await start(strategy, 'b', session);
    expect(url.searchParams.get('redirect_uri')).to.equal('https://b.app.example/auth/okta/callback');
    const withIssOfA = { code: 'code-of-a', state: stateB, iss: okta.a!.issuer };
    const outcome = await run(strategy, callback(session, '/auth/okta/callback', withIssOfA, 'b.app.example'));
    expect(expectKind(outcome, 'fail').status).to.equal(403);
    const { state: again } = await start(strategy, 'b', session);
    const withoutIss = await run(
      strategy,
      callback(session, '/auth/okta/callback', { code: 'x', state: again }, 'b.app.example'),
    );
    expect(expectKind(withoutIss, 'fail').status).to.equal(403);
    expect(unmatched).to.deep.equal([]);
  });

  it('refuses an org without a callback of its own unless requireIss, and two orgs on one callback path', async () => {
    const noCallback = makeStrategy({ tenant: () => ({ ...ORGS.a!, callbackURL: undefined }) });
    const error = expectKind(await run(noCallback, request({ url: '/login', session: {} })), 'error').error;
    expect(error)
      .to.be.instanceOf(ConfigurationError)
      .with.property('message')
      .that.matches(/callbackURL of its own/);
    const sameCallback = makeStrategy({ tenant: (req) => ({ ...byHost(req)!, callbackURL: '/auth/okta/callback/x' }) });
    await start(sameCallback, 'a', {});
    const second = expectKind(
      await run(sameCallback, request({ url: '/login', session: {}, headers: { host: 'b.app.example' } })),
      'error',
    );
    expect(second.error)
      .to.be.instanceOf(ConfigurationError)
      .with.property('message')
      .that.matches(/Two Okta orgs/);
    expect(unmatched).to.deep.equal([]);
  });

  it("refuses a config whose issuer is not at its oktaDomain: one tenant cannot claim another org's issuer", async () => {
    // A self-service tenant naming acme's issuer and client id, with its own server: its
    // sign-ins would mint acme's users, and it would take the codes of acme's pending sign-ins.
    const EVIL = 'https://evil.example.com';
    const evil: TenantConfig = { ...ORGS.a!, oktaDomain: EVIL, issuer: okta.a!.issuer, callbackURL: '/auth/okta/callback/evil' };
    const strategy = makeStrategy({ tenant: (req) => (String(req.headers.host).startsWith('evil.') ? evil : byHost(req)) });
    const victim: Session = {};
    const { state, nonce } = await start(strategy, 'a', victim);
    const refused = expectKind(
      await run(strategy, request({ url: '/login', session: {}, headers: { host: 'evil.app.example' } })),
      'error',
    );
    expect(refused.error)
      .to.be.instanceOf(ConfigurationError)
      .with.property('message')
      .that.matches(/is not at oktaDomain/);
    // acme's pending sign-in still finishes with acme, at acme's token endpoint.
    const token = await mockToken('a', nonce);
    const outcome = await run(strategy, callback(victim, '/auth/okta/callback/a', { code: 'c0de', state }, 'a.app.example'));
    expect(expectKind(outcome, 'success').user).to.deep.equal({ id: '00u1alice', iss: okta.a!.issuer });
    token.done();
    expect(unmatched).to.deep.equal([]);
  });

  it('refuses two held orgs on one callback path whatever order they were used in', async () => {
    const org = (id: string, path: string): TenantConfig => ({ ...ORGS.a!, clientID: `client-${id}`, callbackURL: path });
    const orgs: Record<string, TenantConfig> = {
      p: org('p', '/auth/okta/callback/p'),
      q: org('q', '/auth/okta/callback/q'),
      r: org('r', '/auth/okta/callback/r'),
      s: org('s', '/auth/okta/callback/p'), // p's path
    };
    const strategy = makeStrategy({ maxTenants: 2, tenant: (req) => orgs[String(req.headers.host).split('.')[0]!] });
    const startAt = (id: string) =>
      run(strategy, request({ url: '/login', session: {}, headers: { host: `${id}.app.example` } }));
    // p, q, p again (most recently used), r: q is let go, p is held with its path.
    for (const id of ['p', 'q', 'p', 'r', 'p']) expectKind(await startAt(id), 'redirect');
    const clash = expectKind(await startAt('s'), 'error');
    expect(clash.error)
      .to.be.instanceOf(ConfigurationError)
      .with.property('message')
      .that.matches(/Two Okta orgs/);
    // Once p is let go (two other orgs used since), its path is free for s.
    for (const id of ['q', 'r']) expectKind(await startAt(id), 'redirect');
    expectKind(await startAt('s'), 'redirect');
  });

  it('answers a resolver that does not answer in tenantTimeout with a 503 StoreUnavailableError', async () => {
    const strategy = makeStrategy({ tenantTimeout: 50, tenant: () => new Promise<TenantConfig>(() => undefined) });
    const started = Date.now();
    const { error } = expectKind(await run(strategy, request({ url: '/login', session: {} })), 'error');
    expect(error).to.be.instanceOf(StoreUnavailableError).with.property('status', 503);
    expect(Date.now() - started).to.be.below(1000);
  });

  it('answers an unknown org with a 400 UnknownTenantError and no request anywhere', async () => {
    const strategy = makeStrategy();
    const outcome = await run(strategy, request({ url: '/login', session: {}, headers: { host: 'evil.app.example' } }));
    const { error } = expectKind(outcome, 'error');
    expect(error).to.be.instanceOf(UnknownTenantError);
    expect(error).to.include({ code: 'ERR_OKTA_UNKNOWN_TENANT', status: 400 });
    const refusing = makeStrategy({
      tenant: () => {
        throw new ConfigurationError('no such org');
      },
    });
    const refused = expectKind(await run(refusing, request({ url: '/login', session: {} })), 'error').error;
    expect(refused).to.be.instanceOf(UnknownTenantError).with.property('status', 400);
    expect(refused.cause).to.be.instanceOf(ConfigurationError);
    const failing = makeStrategy({
      tenant: () => Promise.reject(new Error('database down')),
    });
    const down = expectKind(await run(failing, request({ url: '/login', session: {} })), 'error').error;
    expect(down.message).to.equal('database down');
    expect(unmatched).to.deep.equal([]);
  });

  it("checks each org's config like the strategy's own options", async () => {
    const cases: [Partial<TenantConfig> & Record<string, unknown>, RegExp][] = [
      [{ oktaDomain: 'http://acme.okta.com' }, /http/],
      [{ clientID: '' }, /clientID/],
      [{ clientId: 'x' }, /did you mean clientID/],
      [{ tokenEndpointAuthMethod: 'magic' as never }, /tokenEndpointAuthMethod/],
      [{ callbackURL: 'auth/cb' }, /relative path/],
    ];
    for (const [change, message] of cases) {
      const strategy = makeStrategy({ tenant: () => ({ ...ORGS.a!, ...change }) as TenantConfig });
      const { error } = expectKind(await run(strategy, request({ url: '/login', session: {} })), 'error');
      expect(error, JSON.stringify(change)).to.be.instanceOf(ConfigurationError).with.property('message').that.matches(message);
    }
    expect(unmatched).to.deep.equal([]);
  });

  it('asks the resolver again for an org it let go, with the pending org, and accepts only that org', async () => {
    const pendings: unknown[] = [];
    let answer: (pending: unknown) => TenantConfig | undefined = () => undefined;
    const strategy = makeStrategy({
      maxTenants: 1,
      tenant: (req, pending) => {
        if (pending === undefined) return byHost(req);
        pendings.push(pending);
        return answer(pending);
      },
    });
    const sessionA: Session = {};
    const { state, nonce } = await start(strategy, 'a', sessionA);
    await start(strategy, 'b', {}); // org A's client is let go
    expect(strategy.tenantCount).to.equal(1);
    const session = (): Session => structuredClone(sessionA);
    const cb = (s: Session) => callback(s, '/auth/okta/callback/a', { code: 'c0de', state });

    answer = () => ORGS.b; // another org: refused
    const other = expectKind(await run(strategy, cb(session())), 'error').error;
    expect(other).to.be.instanceOf(UnknownTenantError).with.property('status', 403);
    expect(pendings[0]).to.deep.equal({ issuer: okta.a!.issuer, clientID: 'client-a' });
    answer = () => undefined; // forgotten: refused
    expect(expectKind(await run(strategy, cb(session())), 'error').error).to.be.instanceOf(UnknownTenantError);
    expect(unmatched).to.deep.equal([]);

    answer = () => ORGS.a;
    const token = await mockToken('a', nonce);
    expect(expectKind(await run(strategy, cb(session())), 'success').user).to.deep.include({ iss: okta.a!.issuer });
    token.done();
  });

  it('holds at most maxTenants clients however many orgs sign in', async () => {
    const strategy = makeStrategy({
      maxTenants: 10,
      tenant: (req) => {
        const n = String(req.headers.host).split('.')[0]!;
        return { oktaDomain: `org${n}.okta.com`, clientID: `client-${n}`, clientSecret: 's', callbackURL: `/cb/${n}` };
      },
    });
    for (let n = 0; n < 300; n++) {
      await start(strategy, String(n), {});
      expect(strategy.tenantCount).to.be.at.most(10);
    }
    expect(strategy.tenantCount).to.equal(10);
    expect(unmatched).to.deep.equal([]);
  });

  it('finishes sign-ins with the cookie store too: the org travels in the sealed cookie', async () => {
    const store = new CookieStateStore({ secret: 'a-cookie-secret-of-at-least-32-characters' });
    const strategy = makeStrategy({ store });
    const setCookies: string[] = [];
    const res = { appendHeader: (_name: string, value: string) => setCookies.push(value) };
    const req = {
      ...request({ url: '/login', session: null, headers: { host: 'b.app.example' } }),
      res,
    } as unknown as OktaRequest;
    const url = new URL(expectKind(await run(strategy, req), 'redirect').url);
    const state = url.searchParams.get('state')!;
    const token = await mockToken('b', url.searchParams.get('nonce')!);
    const cookie = setCookies.map((c) => c.split(';')[0]).join('; ');
    const query = { code: 'c0de', state };
    const headers = { host: 'b.app.example', cookie };
    const back = { ...request({ url: '/auth/okta/callback/b', query, session: null, headers }), res } as unknown as OktaRequest;
    expect(expectKind(await run(strategy, back), 'success').user).to.deep.include({ iss: okta.b!.issuer });
    token.done();
  });

  it('is configured with tenant alone: the org options beside it are refused, and there is no one client', () => {
    expect(() => makeStrategy({ oktaDomain: DOMAIN } as never)).to.throw(ConfigurationError, /oktaDomain is given per Okta org/);
    expect(() => makeStrategy({ maxTenants: 0 })).to.throw(ConfigurationError, /maxTenants/);
    expect(() => makeStrategy({ tenant: 'acme' as never })).to.throw(ConfigurationError, /tenant must be a function/);
    expect(() => makeStrategy({ tenants: byHost } as never)).to.throw(ConfigurationError, /did you mean tenant/);
    const strategy = makeStrategy();
    expect(() => strategy.client).to.throw(ConfigurationError, /client per Okta org/);
    return strategy.check().then(
      () => expect.fail('check() resolved'),
      (err: unknown) => expect(err).to.be.instanceOf(ConfigurationError),
    );
  });
});

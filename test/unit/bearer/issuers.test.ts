import { expect } from 'chai';
import { createHash } from 'node:crypto';
import nock from 'nock';
import { SignJWT, type JWTPayload } from 'jose';
import { ConfigurationError } from '../../../lib/core/errors.js';
import {
  OktaBearerStrategy,
  oktaBearer,
  type IntrospectionCache,
  type OktaAccessTokenClaims,
  type OktaBearerIssuer,
  type OktaBearerIssuersOptions,
} from '../../../lib/bearer.js';
import { DOMAIN, makeKey, type TestKey } from '../../support/okta-mock.js';
import { request, run, type Outcome } from '../../support/passport.js';

// An API that accepts the access tokens of two authorization servers (`a` and `b` of the
// mocked domain: two issuers, two key sets), each for its own audience.

const ISS = { a: `${DOMAIN}/oauth2/a`, b: `${DOMAIN}/oauth2/b` } as const;
const ISSUERS: OktaBearerIssuer[] = [
  { oktaDomain: DOMAIN, authServerId: 'a', audience: 'api://a' },
  { oktaDomain: DOMAIN, authServerId: 'b', audience: 'api://b', clientIds: ['client-b'] },
];

function claims(iss: string, extra: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return { iss, aud: 'api://a', sub: 'alice', cid: 'client-a', scp: ['orders:read'], iat: now, exp: now + 3600, ...extra };
}

function sign(key: TestKey, payload: JWTPayload): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: key.kid }).sign(key.privateKey);
}

async function present(strategy: OktaBearerStrategy, token: string): Promise<Outcome> {
  return run(strategy, request({ url: '/api/orders', headers: { authorization: `Bearer ${token}` } }));
}

function expectRefused(outcome: Outcome, description: RegExp): void {
  expect(outcome.kind, JSON.stringify(outcome)).to.equal('fail');
  const { challenge, status } = outcome as Extract<Outcome, { kind: 'fail' }>;
  expect(status).to.equal(401);
  expect(String(challenge))
    .to.match(/error="invalid_token"/)
    .and.to.match(description);
}

describe('OktaBearerStrategy with issuers (several authorization servers)', () => {
  let keyA: TestKey;
  let keyB: TestKey;
  let unmatched: string[];
  const onNoMatch = (req: { method?: string; path?: string }): void => {
    unmatched.push(`${req.method} ${req.path}`);
  };
  before(async () => {
    [keyA, keyB] = await Promise.all([makeKey('kid-a'), makeKey('kid-b')]);
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

  function mockKeys(id: 'a' | 'b', times = 1): nock.Scope {
    const key = id === 'a' ? keyA : keyB;
    return nock(DOMAIN)
      .get(`/oauth2/${id}/v1/keys`)
      .times(times)
      .reply(200, { keys: [key.jwk] });
  }

  const makeStrategy = (options: Partial<Omit<OktaBearerIssuersOptions, 'passReqToCallback'>> = {}): OktaBearerStrategy =>
    // prefetchKeys off: these tests count every request to Okta (test/integration/sign-in-latency covers the prefetch).
    new OktaBearerStrategy({ issuers: ISSUERS, prefetchKeys: false, ...options });

  it("fetches each listed issuer's key set in the background when made (prefetchKeys, the default)", async () => {
    const fetched = (['a', 'b'] as const).map((id) => mockKeys(id));
    makeStrategy({ prefetchKeys: true });
    for (let i = 0; i < 50 && !fetched.every((scope) => scope.isDone()); i++) await new Promise((r) => setTimeout(r, 10));
    for (const scope of fetched) scope.done();
  });

  it('applies the same allow-list without Passport (oktaBearer)', async () => {
    const bearer = oktaBearer({ issuers: ISSUERS, prefetchKeys: false });
    const keys = mockKeys('b');
    const ask = (token: string) => bearer.check(request({ url: '/api/orders', headers: { authorization: `Bearer ${token}` } }));
    const b = await ask(await sign(keyB, claims(ISS.b, { aud: 'api://b', cid: 'client-b' })));
    expect(b.kind, JSON.stringify(b)).to.equal('pass');
    const stranger = await ask(await sign(keyA, claims('https://evil.example')));
    expect(stranger).to.deep.include({ kind: 'refuse', status: 401 });
    keys.done();
    expect(unmatched).to.deep.equal([]);
  });

  it("accepts each issuer's tokens for its own audience, with its own keys", async () => {
    const strategy = makeStrategy();
    const keys = [mockKeys('a'), mockKeys('b')];
    const a = await present(strategy, await sign(keyA, claims(ISS.a)));
    expect(a.kind, JSON.stringify(a)).to.equal('success');
    const b = await present(strategy, await sign(keyB, claims(ISS.b, { aud: 'api://b', cid: 'client-b' })));
    expect(b.kind, JSON.stringify(b)).to.equal('success');
    expect((b as { user: OktaAccessTokenClaims }).user.iss).to.equal(ISS.b);
    keys.forEach((scope) => scope.done());
    expect(unmatched).to.deep.equal([]);
  });

  it("refuses a token by the rules of the issuer it names: another issuer's audience, another client", async () => {
    const strategy = makeStrategy();
    mockKeys('a');
    mockKeys('b');
    expectRefused(await present(strategy, await sign(keyA, claims(ISS.a, { aud: 'api://b' }))), /not meant for this API/);
    const wrongClient = claims(ISS.b, { aud: 'api://b', cid: 'client-a' });
    expectRefused(await present(strategy, await sign(keyB, wrongClient)), /client this API does not accept/);
  });

  it('refuses an unlisted issuer, and an opaque token, before any request', async () => {
    const strategy = makeStrategy();
    const evil = await sign(keyA, claims('https://evil.example/oauth2/default', { aud: 'api://a' }));
    expectRefused(await present(strategy, evil), /does not accept \(iss\)/);
    expectRefused(await present(strategy, 'opaqueTokenValue0123456789'), /JWT access tokens only/);
    expect(unmatched).to.deep.equal([]);
  });

  it("never accepts a token of A under B's rules: B's keys, B's cached introspection answers", async () => {
    const strategy = makeStrategy();
    mockKeys('a');
    // A's token, verified and cached under A.
    expect((await present(strategy, await sign(keyA, claims(ISS.a)))).kind).to.equal('success');
    // The same key claiming B: B's key set has no kid-a (fetched, then refused).
    mockKeys('b');
    const forged = await sign(keyA, claims(ISS.b, { aud: 'api://b', cid: 'client-b' }));
    expectRefused(await present(strategy, forged), /unknown key/);

    // One introspection cache for both issuers, holding A's answer under B's key for a token.
    const entries = new Map<string, OktaAccessTokenClaims>();
    const cache: IntrospectionCache = { get: (k) => entries.get(k), set: (k, c) => void entries.set(k, c) };
    const introspecting = makeStrategy({
      introspect: 'always',
      introspectionCache: cache,
      issuers: ISSUERS.map((issuer) => ({ ...issuer, clientID: 'api-client', clientSecret: 'api-secret' })),
    });
    const token = await sign(keyB, claims(ISS.b, { aud: 'api://b', cid: 'client-b' }));
    const now = Math.floor(Date.now() / 1000);
    const answerOfA = { ...claims(ISS.a), exp: now + 600 } as OktaAccessTokenClaims;
    entries.set(createHash('sha256').update(`${ISS.b} ${token}`).digest('base64url'), answerOfA);
    expectRefused(await present(introspecting, token), /another authorization server/);
    expect(unmatched).to.deep.equal([]);
  });

  it('takes issuers from a resolver, only those it returns for the iss asked, and holds at most maxIssuers', async () => {
    const asked: string[] = [];
    const strategy = makeStrategy({
      maxIssuers: 2,
      issuers: (iss) => {
        asked.push(iss);
        const id = /\/oauth2\/(t\d+)$/.exec(iss)?.[1];
        if (iss === `${DOMAIN}/oauth2/liar`) return ISSUERS[0]; // answers another issuer
        return id === undefined ? undefined : { oktaDomain: DOMAIN, authServerId: id, audience: 'api://a' };
      },
    });
    for (let n = 0; n < 20; n++) {
      nock(DOMAIN)
        .get(`/oauth2/t${n}/v1/keys`)
        .reply(200, { keys: [keyA.jwk] });
      const outcome = await present(strategy, await sign(keyA, claims(`${DOMAIN}/oauth2/t${n}`)));
      expect(outcome.kind, JSON.stringify(outcome)).to.equal('success');
      expect(
        (strategy as unknown as { bearer: { settings: { issuer: { size: number } } } }).bearer.settings.issuer.size,
      ).to.be.at.most(2);
    }
    expectRefused(await present(strategy, await sign(keyA, claims(`${DOMAIN}/oauth2/liar`))), /does not accept/);
    expectRefused(await present(strategy, await sign(keyA, claims('https://evil.example'))), /does not accept/);
    expect(asked).to.include('https://evil.example');
    expect(unmatched).to.deep.equal([]);
  });

  it('is configured with issuers alone, each checked like the options of one', () => {
    expect(() => makeStrategy({ oktaDomain: DOMAIN } as never)).to.throw(ConfigurationError, /given per issuer/);
    expect(() => makeStrategy({ issuers: [] })).to.throw(ConfigurationError, /non-empty list/);
    expect(() => makeStrategy({ issuers: [ISSUERS[0]!, ISSUERS[0]!] })).to.throw(ConfigurationError, /twice/);
    expect(() => makeStrategy({ issuers: [{ ...ISSUERS[0]!, audience: '' }] })).to.throw(ConfigurationError, /audience/);
    expect(() => makeStrategy({ issuers: [{ ...ISSUERS[0]!, oktaDomain: 'http://acme.okta.com' }] })).to.throw(
      ConfigurationError,
      /http/,
    );
    expect(() => makeStrategy({ issuers: [{ ...ISSUERS[0]!, audiences: ['x'] } as never] })).to.throw(
      ConfigurationError,
      /did you mean audience/,
    );
    expect(() => makeStrategy({ maxIssuers: 0 })).to.throw(ConfigurationError, /maxIssuers/);
  });
});

import { expect } from 'chai';
import { tracingChannel } from 'node:diagnostics_channel';
import nock from 'nock';
import { SignJWT, type JWTPayload } from 'jose';
import { ConfigurationError, StoreUnavailableError } from '../../../lib/core/errors.js';
import { diagnosticsChannels, type DiagnosticsMessages } from '../../../lib/core/diagnostics.js';
import { OktaBearerStrategy, type OktaBearerIssuer, type OktaBearerIssuersOptions } from '../../../lib/bearer.js';
import { DOMAIN, makeKey, type TestKey } from '../../support/okta-mock.js';
import { request, run, type Outcome } from '../../support/passport.js';

// What a resolver of issuers costs, and what it may answer: tokens naming more issuers than
// maxIssuers, unknown issuers, issuers asked for at once, a resolver that never answers, an
// answer that would take an issuer's keys from another origin.

const issuerOf = (id: string): string => `${DOMAIN}/oauth2/${id}`;
const configOf = (id: string): OktaBearerIssuer => ({ oktaDomain: DOMAIN, authServerId: id, audience: 'api://x' });

describe('OktaBearerStrategy with an issuers resolver: its cost and its answers', () => {
  let real: TestKey;
  let forger: TestKey;
  let unmatched: string[];
  let clock: number;
  const onNoMatch = (req: { method?: string; hostname?: string; path?: string }): void => {
    unmatched.push(`${req.method} ${req.hostname}${req.path}`);
  };
  before(async () => {
    [real, forger] = await Promise.all([makeKey('real'), makeKey('forged')]);
  });
  beforeEach(() => {
    nock.disableNetConnect();
    unmatched = [];
    clock = Date.now();
    nock.emitter.on('no match', onNoMatch);
  });
  afterEach(() => {
    nock.emitter.removeListener('no match', onNoMatch);
    nock.cleanAll();
    nock.enableNetConnect();
  });

  const sign = (key: TestKey, iss: string, extra: JWTPayload = {}): Promise<string> => {
    const now = Math.floor(clock / 1000);
    return new SignJWT({ iss, aud: 'api://x', sub: 'alice', cid: 'c', scp: [], iat: now, exp: now + 600, ...extra })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .sign(key.privateKey);
  };
  const present = (strategy: OktaBearerStrategy, token: string): Promise<Outcome> =>
    run(strategy, request({ url: '/api', headers: { authorization: `Bearer ${token}` } }));
  const makeStrategy = (options: Omit<OktaBearerIssuersOptions, 'passReqToCallback'>): OktaBearerStrategy =>
    new OktaBearerStrategy({ now: () => clock, ...options });

  /** Counts the fetches of each issuer's key set (`status`: what Okta answers). */
  function keySets(ids: readonly string[], status = 200): Map<string, number> {
    const fetches = new Map(ids.map((id) => [id, 0]));
    for (const id of ids) {
      nock(DOMAIN)
        .get(`/oauth2/${id}/v1/keys`)
        .times(1000)
        .reply(() => {
          fetches.set(id, (fetches.get(id) ?? 0) + 1);
          return status === 200 ? [200, { keys: [real.jwk] }] : [status, 'down'];
        });
    }
    return fetches;
  }

  const total = (fetches: Map<string, number>): number => [...fetches.values()].reduce((a, b) => a + b, 0);
  const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  for (const status of [200, 500]) {
    it(`keeps each key set's cooldown when tokens name more issuers than maxIssuers in turn (Okta answering ${status})`, async () => {
      const ids = ['a', 'b', 'c'];
      const fetches = keySets(ids, status);
      const strategy = makeStrategy({ issuers: (iss) => configOf(iss.slice(`${DOMAIN}/oauth2/`.length)), maxIssuers: 2 });
      for (let i = 0; i < 30; i++) {
        const outcome = await present(strategy, await sign(forger, issuerOf(ids[i % 3]!)));
        expect(outcome.kind, JSON.stringify(outcome)).to.equal(status === 200 ? 'fail' : 'error');
        // A little time passes, far less than the cooldown (30 s).
        clock += 200;
        await pause(1);
      }
      console.log(`      30 forged requests: ${total(fetches)} key set fetches`);
      // Before: 30 requests, 30 fetches (each eviction forgot its key set's cooldown).
      for (const id of ids) expect(fetches.get(id), `fetches of ${id}'s key set`).to.be.at.most(2);
      expect(total(fetches)).to.be.at.most(ids.length * 2);
      // A real token of an evicted issuer is still accepted, with its kept keys.
      if (status === 200) expect((await present(strategy, await sign(real, issuerOf('a')))).kind).to.equal('success');
      expect(unmatched).to.deep.equal([]);
    });
  }

  it('remembers for a minute that the resolver does not accept an iss, and refuses without asking it again', async () => {
    const asked: string[] = [];
    const strategy = makeStrategy({
      issuers: (iss) => {
        asked.push(iss);
        return undefined;
      },
    });
    const stranger = await sign(forger, 'https://stranger.example/oauth2/default');
    for (let i = 0; i < 20; i++) {
      const outcome = await present(strategy, stranger);
      expect(outcome.kind).to.equal('fail');
      expect(String((outcome as { challenge: unknown }).challenge)).to.match(/does not accept \(iss\)/);
    }
    expect(asked, 'asked once in the minute').to.have.length(1);
    clock += 61_000;
    await present(strategy, await sign(forger, 'https://stranger.example/oauth2/default'));
    expect(asked, 'asked again after it').to.have.length(2);
    // An iss longer than any Okta issuer is refused without asking.
    const long = `https://${'x'.repeat(2000)}.example`;
    expect((await present(strategy, await sign(forger, long))).kind).to.equal('fail');
    expect(asked).to.not.include(long);
    expect(unmatched).to.deep.equal([]);
  });

  it('asks the resolver once, and builds one issuer, for requests naming the same new issuer at once', async () => {
    const fetches = keySets(['a']);
    let asked = 0;
    const strategy = makeStrategy({
      issuers: async (iss) => {
        asked++;
        await pause(30);
        return iss === issuerOf('a') ? configOf('a') : undefined;
      },
    });
    const token = await sign(real, issuerOf('a'));
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => present(strategy, token)));
    expect(outcomes.map((o) => o.kind)).to.deep.equal(Array(10).fill('success'));
    expect(asked).to.equal(1);
    expect(fetches.get('a')).to.equal(1);
    // An unknown issuer asked for at once: one question as well.
    const stranger = await sign(real, 'https://stranger.example');
    await Promise.all(Array.from({ length: 5 }, () => present(strategy, stranger)));
    expect(asked).to.equal(2);
  });

  it('answers 503 when the resolver does not answer within resolverTimeout, and asks again on the next request', async () => {
    let asked = 0;
    const strategy = makeStrategy({
      resolverTimeout: 50,
      issuers: () => {
        asked++;
        return new Promise<undefined>(() => undefined);
      },
    });
    const started = Date.now();
    const outcome = await present(strategy, await sign(real, issuerOf('a')));
    expect(Date.now() - started).to.be.below(1000);
    expect(outcome.kind).to.equal('error');
    const { error } = outcome as { error: Error };
    expect(error).to.be.instanceOf(StoreUnavailableError);
    expect(error).to.include({ code: 'ERR_OKTA_STORE_UNAVAILABLE', status: 503 });
    expect(error.message).to.match(/issuers resolver did not answer within 50 ms/);
    expect((await present(strategy, await sign(real, issuerOf('a')))).kind).to.equal('error');
    expect(asked, 'a timeout is not remembered as a refusal').to.equal(2);
    expect(() => makeStrategy({ issuers: () => undefined, resolverTimeout: 0 })).to.throw(ConfigurationError, /resolverTimeout/);
  });

  it("refuses an issuer whose keys would come from another origin than its own: a listed one at set-up, a resolver's answer with 401", async () => {
    const elsewhere = { ...configOf('a'), oktaDomain: 'https://evil.example', issuer: issuerOf('a') };
    expect(() => makeStrategy({ issuers: [elsewhere] })).to.throw(ConfigurationError, /not served by its oktaDomain/);
    const listed = [{ ...configOf('a'), issuer: issuerOf('a') }];
    expect(() => makeStrategy({ issuers: listed, prefetchKeys: false }), 'same origin').to.not.throw();

    const evilKeys = nock('https://evil.example')
      .get('/oauth2/a/v1/keys')
      .reply(200, { keys: [forger.jwk] });
    let asked = 0;
    const strategy = makeStrategy({
      issuers: () => {
        asked++;
        return elsewhere;
      },
    });
    const told: DiagnosticsMessages['passport-okta-oidc:bearer:verify'][] = [];
    const channel = tracingChannel<unknown, DiagnosticsMessages['passport-okta-oidc:bearer:verify']>(diagnosticsChannels.bearer);
    const subscriber = {
      start: () => undefined,
      end: () => undefined,
      asyncStart: () => undefined,
      error: () => undefined,
      asyncEnd: (message: DiagnosticsMessages['passport-okta-oidc:bearer:verify']) => {
        told.push({ ...message });
      },
    };
    channel.subscribe(subscriber);
    try {
      // Signed with evil's key, claiming acme's issuer.
      const forged = await sign(forger, issuerOf('a'));
      for (let i = 0; i < 3; i++) {
        const outcome = await present(strategy, forged);
        expect(outcome).to.deep.include({ kind: 'fail', status: 401 });
        expect(String((outcome as { challenge: unknown }).challenge)).to.match(/keys from another origin/);
      }
      await pause(20);
    } finally {
      channel.unsubscribe(subscriber);
    }
    expect(evilKeys.isDone(), "evil's key set was never fetched").to.equal(false);
    expect(asked, 'the refusal is remembered').to.equal(1);
    expect(told.map((m) => [m.outcome, m.reason, m.status])).to.deep.equal(Array(3).fill(['fail', 'invalid_token', 401]));
    expect(told[0]?.description).to.match(/issuers resolver gave it keys from another origin/);
    expect(unmatched).to.deep.equal([]);
  });
});

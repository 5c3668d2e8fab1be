import { expect } from 'chai';
import { OktaBearerStrategy } from '../../lib/bearer.js';
import { eventually, makeStrategy, signIn, sleep, type TestUser } from '../support/hostile-harness.js';
import { HostileOkta, type Endpoint } from '../support/hostile-okta.js';

// What a user waits for: requests to Okta in series. The provider delays every answer by
// DELAY ms and records when each request arrived and was answered; "in series" is the longest
// chain of requests each of which arrived after the one before it had been answered.

const DELAY = 50;
const delays: Partial<Record<Endpoint, number>> = { token: DELAY, keys: DELAY, userinfo: DELAY };

type Recorded = HostileOkta['recent'][number];

/** The longest chain of requests, each arriving after the previous one finished. */
function inSeries(requests: readonly Recorded[]): number {
  const sorted = [...requests].sort((a, b) => a.arrivedAt - b.arrivedAt);
  const depth: number[] = [];
  for (const [i, r] of sorted.entries()) {
    let best = 1;
    for (let j = 0; j < i; j++) {
      const before = sorted[j]!;
      if (before.finishedAt !== undefined && before.finishedAt <= r.arrivedAt) best = Math.max(best, depth[j]! + 1);
    }
    depth.push(best);
  }
  return Math.max(0, ...depth);
}

/** The requests of the callback: to the token, keys and userinfo endpoints. */
const backChannel = (okta: HostileOkta): Recorded[] =>
  okta.recent.filter((r) => r.endpoint === 'token' || r.endpoint === 'keys' || r.endpoint === 'userinfo');

/** Signs in and returns the callback's back-channel requests (the provider's log is emptied first). */
async function timedSignIn(okta: HostileOkta, strategy: ReturnType<typeof makeStrategy>): Promise<Recorded[]> {
  okta.recent.length = 0;
  const { outcome } = await signIn(strategy, okta);
  expect(outcome.kind, JSON.stringify(outcome)).to.equal('success');
  expect((outcome as { user: TestUser }).user.id).to.equal('00ualice');
  return backChannel(okta);
}

const endpoints = (requests: readonly Recorded[]): string[] => requests.map((r) => r.endpoint).sort();

describe('sign-in latency: requests to Okta in series (a provider delaying each answer)', function () {
  let okta: HostileOkta;
  let warn: string[];
  const consoleWarn = console.warn;

  before(async () => {
    okta = await HostileOkta.start();
  });
  after(() => okta.close());
  beforeEach(() => {
    okta.reset();
    okta.behaviour = { delay: delays };
    warn = [];
    console.warn = (message: string) => warn.push(message);
  });
  afterEach(() => {
    console.warn = consoleWarn;
  });

  it('first sign-in with prefetchKeys: false: the key set is fetched beside the token request, not after it', async () => {
    const strategy = makeStrategy(okta, { prefetchKeys: false });
    await sleep(20);
    expect(okta.hits.keys, 'nothing fetched at construction').to.equal(0);
    const requests = await timedSignIn(okta, strategy);
    expect(endpoints(requests)).to.deep.equal(['keys', 'token']);
    expect(inSeries(requests), 'token and keys overlap').to.equal(1);
  });

  it('first sign-in (default): the key set was fetched when the strategy was made, so only the token request is waited for', async () => {
    const strategy = makeStrategy(okta, { prefetchKeys: true });
    expect(await eventually(() => backChannel(okta).some((r) => r.finishedAt !== undefined))).to.equal(true);
    expect(endpoints(backChannel(okta))).to.deep.equal(['keys']);
    const requests = await timedSignIn(okta, strategy);
    expect(endpoints(requests)).to.deep.equal(['token']);
  });

  it('a callback arriving while the start-up fetch is on its way waits for that fetch, and makes no second one', async () => {
    const strategy = makeStrategy(okta, { prefetchKeys: true });
    const requests = await timedSignIn(okta, strategy);
    expect(okta.hits.keys).to.equal(1);
    expect(inSeries(requests)).to.equal(1);
  });

  it('warm sign-in: the token request alone; with userinfo, two in series (userinfo needs the access token)', async () => {
    const strategy = makeStrategy(okta, { prefetchKeys: false });
    await timedSignIn(okta, strategy);
    const warm = await timedSignIn(okta, strategy);
    expect(endpoints(warm)).to.deep.equal(['token']);
    expect(inSeries(warm)).to.equal(1);
    const withUserInfo = makeStrategy(okta, { prefetchKeys: false, userInfo: true });
    await timedSignIn(okta, withUserInfo);
    const warmWithUserInfo = await timedSignIn(okta, withUserInfo);
    expect(endpoints(warmWithUserInfo)).to.deep.equal(['token', 'userinfo']);
    expect(inSeries(warmWithUserInfo)).to.equal(2);
  });

  it('a failed start-up fetch warns once, rejects nothing, and the first sign-in fetches the key set again', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      okta.behaviour = { delay: delays, keys: { status: 503, body: { errorCode: 'E0000009' } } };
      const strategy = makeStrategy(okta, { prefetchKeys: true });
      expect(await eventually(() => warn.length > 0)).to.equal(true);
      expect(warn).to.have.length(1);
      expect(warn[0]).to.match(/key set at start-up failed .*503.*fetches it again/);
      okta.behaviour = { delay: delays };
      const requests = await timedSignIn(okta, strategy);
      expect(endpoints(requests), 'no backoff after a start-up failure').to.deep.equal(['keys', 'token']);
      expect(inSeries(requests)).to.equal(1);
      await sleep(10);
      expect(unhandled).to.deep.equal([]);
      expect(warn, 'warned once').to.have.length(1);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a key set fetched beside a token request that fails is the next sign-in’s, with no unhandled rejection', async () => {
    okta.behaviour = { delay: delays, token: { status: 400, body: { error: 'invalid_grant' } } };
    const strategy = makeStrategy(okta, { prefetchKeys: false });
    const { outcome } = await signIn(strategy, okta);
    expect(outcome.kind).to.equal('error');
    okta.behaviour = { delay: delays };
    expect(await eventually(() => okta.recent.some((r) => r.endpoint === 'keys' && r.finishedAt !== undefined))).to.equal(true);
    const requests = await timedSignIn(okta, strategy);
    expect(endpoints(requests)).to.deep.equal(['token']);
  });

  it('refreshes the key set ahead of jwksMaxAge in the background: no sign-in waits for it, and the new set is then used', async () => {
    let now = Date.now();
    const strategy = makeStrategy(okta, { prefetchKeys: false, jwksMaxAge: 600_000, now: () => now });
    await timedSignIn(okta, strategy);
    now += 590_000; // in the last tenth of jwksMaxAge (at most 5 minutes before it)
    const started = performance.now();
    const requests = await timedSignIn(okta, strategy);
    const took = performance.now() - started;
    const refreshed = (): boolean => okta.recent.some((r) => r.endpoint === 'keys' && r.finishedAt !== undefined);
    expect(await eventually(refreshed), 'refreshed in the background').to.equal(true);
    const token = requests.find((r) => r.endpoint === 'token')!;
    const keys = okta.recent.find((r) => r.endpoint === 'keys')!;
    expect(keys.arrivedAt, 'asked for once the ID token was checked').to.be.greaterThan(token.finishedAt!);
    expect(took, 'the sign-in did not wait for the refresh').to.be.lessThan(keys.finishedAt! - started);
    now += 20_000; // past jwksMaxAge of the first set, but the refreshed one is fresh
    const after = await timedSignIn(okta, strategy);
    expect(endpoints(after)).to.deep.equal(['token']);
  });

  it('OktaBearerStrategy fetches the key set at construction too, once with a sign-in strategy of the same server', async () => {
    const bearer = new OktaBearerStrategy(
      { oktaDomain: okta.origin, authServerId: okta.authServerId, audience: 'api://default', timeout: 2000 }, // prefetchKeys by default
      async (claims) => ({ sub: claims.sub }),
    );
    const strategy = makeStrategy(okta, { prefetchKeys: true });
    expect(await eventually(() => okta.hits.keys === 1)).to.equal(true);
    await sleep(100);
    expect(okta.hits.keys, 'one fetch for both strategies').to.equal(1);
    const requests = await timedSignIn(okta, strategy);
    expect(endpoints(requests)).to.deep.equal(['token']);
    expect(bearer.name).to.equal('okta-bearer');
    okta.reset();
    const alone = new OktaBearerStrategy(
      { oktaDomain: okta.origin, authServerId: okta.authServerId, audience: 'api://default', timeout: 2000, prefetchKeys: false },
      async (claims) => ({ sub: claims.sub }),
    );
    await sleep(50);
    expect(okta.hits.keys, 'prefetchKeys: false').to.equal(0);
    expect(alone.name).to.equal('okta-bearer');
  });
});

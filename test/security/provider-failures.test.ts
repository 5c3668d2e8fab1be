import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { IdTokenError, KeySetUnavailableError, RateLimitError, RequestError, ResponseError } from '../../lib/core/errors.js';
import { failureModes, mismatch } from '../support/hostile-cases.js';
import {
  callbackRequest,
  describeOutcome,
  eventually,
  makeStrategy,
  signIn,
  sleep,
  startSignIn,
  type Session,
} from '../support/hostile-harness.js';
import { HostileOkta, sharedKey, type TestKey } from '../support/hostile-okta.js';
import { track, type Outcome } from '../support/passport.js';
import { CookieBrowser, createTestApp } from '../support/hostile-app.js';
import { expectNoLeak } from '../support/secret-leaks.js';
import { listen, type Listening } from '../support/server.js';

const MB = 1024 * 1024;

function errorOf(outcome: Outcome): Error {
  expect(outcome.kind, describeOutcome(outcome)).to.equal('error');
  return (outcome as Extract<Outcome, { kind: 'error' }>).error;
}

/** Timers and sockets this process holds, by kind. */
function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** `global.gc` without --expose-gc (and without touching the global). */
function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('a provider that is slow, down or wrong (real HTTP, small timeouts)', () => {
  let okta: HostileOkta;
  let firstKey: TestKey;

  before(async () => {
    okta = await HostileOkta.start();
    firstKey = okta.signingKey;
  });
  beforeEach(() => {
    okta.reset();
    okta.rotate([firstKey]);
  });
  after(async () => {
    await okta.close();
  });

  describe('every failure mode ends in the right error, never in success, with nothing left pending', () => {
    for (const mode of failureModes) {
      it(`${mode.name}: ${mode.expect.errorClass?.name ?? mode.expect.kind}`, async () => {
        mode.arrange(okta);
        const strategy = makeStrategy(okta, mode.strategy);
        const started = Date.now();
        const { outcome } = await signIn(strategy, okta, { where: mode.name });
        const elapsed = Date.now() - started;
        expect(outcome.kind, 'never success').to.not.equal('success');
        expect(mismatch(outcome, mode.expect), describeOutcome(outcome)).to.equal(undefined);
        expect(elapsed, 'ends within the timeout').to.be.below((mode.strategy?.timeout ?? 2000) + 1000);
        expect(await eventually(() => okta.pendingRequests() === 0), 'no request left open at the provider').to.equal(true);
        expect(okta.fillerBytesWritten, 'a huge answer is cut off near the 1 MiB cap').to.be.below(8 * MB);
      });
    }
  });

  describe('a token endpoint that never answers', () => {
    it('errors with timeout: true within the timeout and leaves no timer, socket or request behind', async () => {
      const strategy = makeStrategy(okta, { timeout: 300 });
      await signIn(strategy, okta); // warm: the key set is cached, the connection pool exists
      await eventually(() => okta.pendingRequests() === 0);
      const before = activeResources();
      okta.behaviour = { token: { hang: true } };
      const started = Date.now();
      const { outcome } = await signIn(strategy, okta, { where: 'token-hang' });
      const elapsed = Date.now() - started;
      const err = errorOf(outcome);
      expect(err).to.be.instanceOf(RequestError).with.property('timeout', true);
      expect(elapsed).to.be.within(300, 1300);
      expect(await eventually(() => okta.pendingRequests() === 0), 'the provider saw the client go away').to.equal(true);
      const after = activeResources();
      expect(after.Timeout ?? 0, 'no timer left').to.be.at.most(before.Timeout ?? 0);
      expect(after.TCPSocketWrap ?? 0, 'no socket added').to.be.at.most((before.TCPSocketWrap ?? 0) + 1);
    });

    it('reports once, and ignores the answer that comes after the timeout', async () => {
      const strategy = makeStrategy(okta, { timeout: 200 });
      const session: Session = {};
      const url = await okta.authorize(await startSignIn(strategy, session));
      okta.behaviour = { delay: { token: 400 } }; // then a valid token response
      const tracked = track(strategy, callbackRequest(url, session));
      const first = await tracked.first;
      expect(errorOf(first)).to.be.instanceOf(RequestError).with.property('timeout', true);
      await sleep(500); // the late, valid answer has arrived by now
      expect(okta.hits.token).to.equal(1);
      expect(tracked.all.map((o) => o.kind)).to.deep.equal(['error']);
      expect(tracked.threw).to.deep.equal([]);
    });
  });

  it('reports a provider that is down (connection refused) as a RequestError, quickly', async () => {
    const closed = await listen((_req, res) => res.end());
    await closed.close();
    const strategy = makeStrategy({ origin: closed.origin, authServerId: 'default' });
    const session: Session = {};
    await startSignIn(strategy, session);
    const { state, codeVerifier } = ((
      session['passport-okta-oidc'] as Record<string, Array<{ state: string; codeVerifier: string }>>
    ).okta ?? [])[0]!;
    const started = Date.now();
    const tracked = track(
      strategy,
      callbackRequest(new URL(`https://app.example/auth/okta/callback?code=c&state=${state}`), session),
    );
    const err = errorOf(await tracked.first);
    // No provider saw this sign-in: the secrets are the client secret and the verifier sent.
    expectNoLeak({ where: 'provider-down', outcome: { kind: 'error', error: err } }, [codeVerifier]);
    expect(err).to.be.instanceOf(RequestError).with.property('timeout', false);
    expect(err.message).to.match(/token endpoint failed/);
    expect(Date.now() - started).to.be.below(1000);
  });

  it('does not follow a redirect from the token endpoint', async () => {
    let stolen = 0;
    const trap = await listen((_req, res) => {
      stolen++;
      res.end('{}');
    });
    try {
      okta.behaviour = { token: { status: 307, headers: { location: `${trap.origin}/steal` } } };
      const { outcome } = await signIn(makeStrategy(okta), okta, { where: 'token-redirect' });
      expect(errorOf(outcome)).to.be.instanceOf(ResponseError).with.property('oktaStatus', 307);
      expect(stolen, 'the code and credentials never went elsewhere').to.equal(0);
    } finally {
      await trap.close();
    }
  });

  it("hands Okta's rate-limit headers to the app on 429", async () => {
    okta.behaviour = {
      token: {
        status: 429,
        headers: { 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': '1900000000' },
      },
    };
    const err = errorOf((await signIn(makeStrategy(okta), okta, { where: 'token-429' })).outcome) as RateLimitError;
    expect(err).to.be.instanceOf(RateLimitError);
    expect(err.code).to.equal('ERR_OKTA_RATE_LIMITED');
    expect(err.rateLimit).to.deep.equal({ limit: 600, remaining: 0, reset: new Date(1_900_000_000_000) });
    expect(err.message).to.contain('2030-03-17T17:46:40.000Z');
  });

  describe('the key set endpoint', () => {
    it('keeps using cached keys when the key set is due for refresh but the endpoint is down', async () => {
      const clock = { skew: 0 };
      const strategy = makeStrategy(okta, { now: () => Date.now() + clock.skew });
      expect((await signIn(strategy, okta)).outcome.kind).to.equal('success');
      okta.behaviour = { keys: { status: 503 } };
      clock.skew += 3_600_000 + 1000; // past jwksMaxAge
      const { outcome } = await signIn(strategy, okta, { where: 'keys-down-cached' });
      expect(outcome.kind, describeOutcome(outcome)).to.equal('success');
      expect(okta.hits.keys, 'one refresh attempt').to.equal(2);
      expect((await signIn(strategy, okta)).outcome.kind).to.equal('success');
      expect(okta.hits.keys, 'no second attempt within the cooldown').to.equal(2);
    });

    it('keeps using cached keys when the endpoint hangs, after at most one timeout', async () => {
      const clock = { skew: 0 };
      const strategy = makeStrategy(okta, { now: () => Date.now() + clock.skew, timeout: 300 });
      expect((await signIn(strategy, okta)).outcome.kind).to.equal('success');
      okta.behaviour = { keys: { hang: true } };
      clock.skew += 3_600_000 + 1000;
      const started = Date.now();
      const { outcome } = await signIn(strategy, okta, { where: 'keys-hang-cached' });
      expect(outcome.kind, describeOutcome(outcome)).to.equal('success');
      expect(Date.now() - started).to.be.within(300, 1500);
      expect(await eventually(() => okta.pendingRequests() === 0)).to.equal(true);
    });

    it('refuses a kid unknown to a key set fetched a moment ago (under 5 s), and follows the rotation later', async () => {
      const clock = { skew: 0 };
      const strategy = makeStrategy(okta, { now: () => Date.now() + clock.skew });
      expect((await signIn(strategy, okta)).outcome.kind).to.equal('success');
      okta.rotate([await sharedKey('key-rotated-early')]);
      const early = await signIn(strategy, okta, { where: 'rotation-in-cooldown' });
      expect(errorOf(early.outcome)).to.be.instanceOf(IdTokenError).with.property('claim', 'kid');
      expect(okta.hits.keys, 'no refetch of a set fetched a moment ago').to.equal(1);
      clock.skew += 30_001;
      expect((await signIn(strategy, okta)).outcome.kind).to.equal('success');
      expect(okta.hits.keys).to.equal(2);
    });

    async function flood(strategy: ReturnType<typeof makeStrategy>, count: number): Promise<Outcome[]> {
      const results = await Promise.all(
        Array.from({ length: count }, () => signIn(strategy, okta, { where: 'kid-flood', directAuthorize: true })),
      );
      return results.map((r) => r.outcome);
    }

    it('refetches the key set at most once per cooldown however many unknown kids arrive', async () => {
      const clock = { skew: 0 };
      const strategy = makeStrategy(okta, { now: () => Date.now() + clock.skew });
      const stranger = await sharedKey('stranger');
      expect((await signIn(strategy, okta)).outcome.kind).to.equal('success');
      expect(okta.hits.keys).to.equal(1);
      okta.behaviour = { signWith: stranger, header: () => ({ kid: randomBytes(8).toString('hex') }) };

      clock.skew += 31_000;
      for (const outcome of await flood(strategy, 100)) {
        expect(errorOf(outcome)).to.be.instanceOf(IdTokenError).with.property('claim', 'kid');
      }
      expect(okta.hits.keys, '100 unknown kids, one refetch').to.equal(2);
      await flood(strategy, 100);
      expect(okta.hits.keys, 'another 100 within the cooldown, no refetch').to.equal(2);
      clock.skew += 31_000;
      await flood(strategy, 100);
      expect(okta.hits.keys, 'the next cooldown, one more').to.equal(3);
      okta.behaviour = {};
      expect((await signIn(strategy, okta)).outcome.kind, 'real sign-ins still work').to.equal('success');
    });

    it('fetches the key set once when a flood of unknown kids arrives before any key is cached', async () => {
      const strategy = makeStrategy(okta);
      okta.behaviour = { signWith: await sharedKey('stranger'), header: () => ({ kid: randomBytes(8).toString('hex') }) };
      const outcomes = await flood(strategy, 100);
      expect(outcomes.every((o) => o.kind === 'error')).to.equal(true);
      expect(okta.hits.keys).to.equal(1);
    });
  });

  describe('a key set endpoint that keeps failing before any key is cached (Express app)', () => {
    const servers: Listening[] = [];
    after(async () => {
      await Promise.all(servers.map((server) => server.close()));
    });

    /** An app whose strategy runs on a clock the test moves forward. */
    async function appWithClock(): Promise<{ clock: { skew: number }; signIn: () => Promise<string> }> {
      const clock = { skew: 0 };
      const server = await listen(createTestApp(makeStrategy(okta, { now: () => Date.now() + clock.skew })).app);
      servers.push(server);
      /** A sign-in through the app: `signed-in`, or the code of the error the app got. */
      const signInThroughApp = async (): Promise<string> => {
        const browser = new CookieBrowser();
        const login = await browser.get(`${server.origin}/login?user=alice`);
        const callback = await browser.get(await okta.authorize(login.location!));
        if (callback.status === 302 && callback.location === '/me') return 'signed-in';
        return (JSON.parse(callback.body) as { code: string }).code;
      };
      return { clock, signIn: signInThroughApp };
    }

    const times = async (count: number, signInOnce: () => Promise<string>): Promise<string[]> => {
      const results: string[] = [];
      for (let i = 0; i < count; i++) results.push(await signInOnce());
      return results;
    };

    for (const [label, reply, firstError] of [
      ['503', { status: 503 }, 'ERR_OKTA_RESPONSE'],
      ['429', { status: 429 }, 'ERR_OKTA_RATE_LIMITED'],
    ] as const) {
      it(`asks Okta once per (doubling) cooldown while it answers ${label}, fails fast meanwhile, then recovers`, async () => {
        const { clock, signIn: signInOnce } = await appWithClock();
        okta.behaviour = { keys: reply };
        const first = await times(5, signInOnce);
        expect(okta.hits.keys, '5 sign-ins, one request for the key set').to.equal(1);
        expect(first).to.deep.equal([firstError, ...Array<string>(4).fill('ERR_OKTA_KEYS_UNAVAILABLE')]);

        clock.skew += 31_000; // past the 30 s cooldown: one more attempt, which fails too
        expect(await times(3, signInOnce)).to.deep.equal([firstError, 'ERR_OKTA_KEYS_UNAVAILABLE', 'ERR_OKTA_KEYS_UNAVAILABLE']);
        expect(okta.hits.keys).to.equal(2);

        okta.behaviour = {}; // Okta is back, but the second failure doubled the wait to 60 s
        clock.skew += 31_000;
        expect(await times(2, signInOnce)).to.deep.equal(['ERR_OKTA_KEYS_UNAVAILABLE', 'ERR_OKTA_KEYS_UNAVAILABLE']);
        expect(okta.hits.keys).to.equal(2);

        clock.skew += 30_000;
        expect(await times(3, signInOnce)).to.deep.equal(['signed-in', 'signed-in', 'signed-in']);
        expect(okta.hits.keys, 'fetched once more, then cached').to.equal(3);
      });
    }

    it("waits for the rate limit's reset when it is later than the cooldown", async () => {
      const { clock, signIn: signInOnce } = await appWithClock();
      const reset = Math.floor((Date.now() + clock.skew) / 1000) + 100;
      okta.behaviour = { keys: { status: 429, headers: { 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) } } };
      expect(await signInOnce()).to.equal('ERR_OKTA_RATE_LIMITED');
      okta.behaviour = {};
      clock.skew += 61_000;
      expect(await signInOnce()).to.equal('ERR_OKTA_KEYS_UNAVAILABLE');
      expect(okta.hits.keys).to.equal(1);
      clock.skew += 40_000;
      expect(await signInOnce()).to.equal('signed-in');
      expect(okta.hits.keys).to.equal(2);
    });
  });

  describe('a 50 MB answer', () => {
    const gc = collectGarbage();
    const endpoints = [
      { name: 'token', arrange: () => void (okta.behaviour = { token: { hugeBytes: 50 * MB } }), options: {} },
      { name: 'keys', arrange: () => void (okta.behaviour = { keys: { hugeBytes: 50 * MB } }), options: {} },
      {
        name: 'userinfo',
        arrange: () => void (okta.behaviour = { userinfo: { hugeBytes: 50 * MB } }),
        options: { userInfo: true as const },
      },
    ];
    for (const endpoint of endpoints) {
      it(`is refused at the 1 MiB cap on the ${endpoint.name} endpoint, and memory stays flat`, async () => {
        const strategy = makeStrategy(okta, endpoint.options);
        endpoint.arrange();
        gc();
        const base = process.memoryUsage();
        const peak = { arrayBuffers: base.arrayBuffers, rss: base.rss, heapUsed: base.heapUsed };
        const sampler = setInterval(() => {
          const now = process.memoryUsage();
          peak.arrayBuffers = Math.max(peak.arrayBuffers, now.arrayBuffers);
          peak.rss = Math.max(peak.rss, now.rss);
          peak.heapUsed = Math.max(peak.heapUsed, now.heapUsed);
        }, 2);
        let outcomes: Outcome[];
        try {
          outcomes = await Promise.all([1, 2, 3].map(() => signIn(strategy, okta).then((r) => r.outcome)));
        } finally {
          clearInterval(sampler);
        }
        gc();
        const end = process.memoryUsage();
        for (const outcome of outcomes) {
          // A sign-in that reaches the key set after the refused fetch fails fast with the
          // cooldown's error, whose cause is that refusal.
          const error = errorOf(outcome);
          const refusal = error instanceof KeySetUnavailableError ? error.cause : error;
          expect(refusal)
            .to.be.instanceOf(ResponseError)
            .and.match(/larger than 1048576 bytes/);
        }
        const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)} MB`;
        console.log(
          `      3 × 50 MB from ${endpoint.name}: provider wrote ${mb(okta.fillerBytesWritten)}; ` +
            `peak +${mb(peak.arrayBuffers - base.arrayBuffers)} arrayBuffers, +${mb(peak.heapUsed - base.heapUsed)} heap, ` +
            `+${mb(peak.rss - base.rss)} rss; after gc ${mb(end.arrayBuffers - base.arrayBuffers)} arrayBuffers`,
        );
        expect(okta.fillerBytesWritten, 'the transfers were cut off').to.be.below(3 * 8 * MB);
        expect(peak.arrayBuffers - base.arrayBuffers, 'peak buffers').to.be.below(16 * MB);
        expect(peak.heapUsed - base.heapUsed, 'peak heap').to.be.below(32 * MB);
        // Far below the 150 MB sent; sockets being torn down may still hold a few buffers.
        expect(end.arrayBuffers - base.arrayBuffers, 'buffers after gc').to.be.below(16 * MB);
        expect(await eventually(() => okta.pendingRequests() === 0)).to.equal(true);
      });
    }
  });
});

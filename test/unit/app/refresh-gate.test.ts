import { expect } from 'chai';
import { inspect } from 'node:util';
import { RateLimitError, RefreshUnavailableError, ResponseError } from '../../../lib/core/errors.js';
import { RefreshGate, refreshUnavailable } from '../../../lib/app/refresh-gate.js';

// The waits behind keepTokensFresh (lib/app/refresh-gate.ts), on a frozen clock. The behaviour
// through an app over real HTTP is in test/security/refresh.test.ts; these pin the bounds, which
// would take thousands of requests or minutes of waiting there.

const T = Date.UTC(2031, 0, 1);
const outage = (): ResponseError => new ResponseError("Okta's token endpoint answered with unexpected status 500", 500);
const rateLimited = (reset: Date | undefined): RateLimitError =>
  new RateLimitError("Okta's token endpoint is rate limiting this client (429)", { limit: undefined, remaining: 0, reset });

/** Seconds a refresh for `key` waits from `now`, 0 when it may go. */
function waitOf(gate: RefreshGate, key: string, now = T): number {
  const wait = gate.closed(key, now);
  return wait === undefined ? 0 : (wait.retryAt - now) / 1000;
}

describe('RefreshGate: when keepTokensFresh may ask Okta again', () => {
  it("doubles a session's wait per failure in a row from 5 s up to 5 minutes, and forgets it on a success", () => {
    const gate = new RefreshGate();
    const key = gate.keyOf('rt-session');
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      gate.failed(key, outage(), T);
      waits.push(waitOf(gate, key));
    }
    expect(waits).to.deep.equal([5, 10, 20, 40, 80, 160, 300, 300, 300]);
    expect(waitOf(gate, gate.keyOf('rt-other')), 'other sessions do not wait').to.equal(0);
    gate.succeeded(key);
    expect(waitOf(gate, key)).to.equal(0);
    gate.failed(key, outage(), T);
    expect(waitOf(gate, key)).to.equal(5);
  });

  it('holds every session after a 429 until its reset, within 1 s and 5 minutes, or a minute when it gives none', () => {
    const cases: Array<[Date | undefined, number]> = [
      [new Date(T + 30_000), 30],
      [undefined, 60],
      [new Date(T - 10_000), 1], // a reset already past (our clock is ahead of Okta's)
      [new Date(Date.UTC(2100, 0, 1)), 300],
    ];
    for (const [reset, seconds] of cases) {
      const gate = new RefreshGate();
      gate.failed(gate.keyOf('rt-a'), rateLimited(reset), T);
      expect([reset, waitOf(gate, gate.keyOf('rt-b'))]).to.deep.equal([reset, seconds]);
    }
  });

  it('keeps the later of two waits, and a 429 does not count as a failure of the session', () => {
    const gate = new RefreshGate();
    const key = gate.keyOf('rt-session');
    gate.failed(key, rateLimited(new Date(T + 30_000)), T);
    gate.failed(key, rateLimited(new Date(T + 10_000)), T);
    expect(waitOf(gate, key)).to.equal(30);
    gate.failed(key, outage(), T);
    expect(waitOf(gate, key), 'the rate limit is longer').to.equal(30);
    expect(waitOf(gate, key, T + 30_000), 'first failure of the session: 5 s from when it happened').to.equal(0);
    const error = refreshUnavailable(gate.closed(key, T)!);
    expect(error).to.be.instanceOf(RefreshUnavailableError).and.include({ status: 503, code: 'ERR_OKTA_REFRESH_UNAVAILABLE' });
    expect(error.retryAt).to.deep.equal(new Date(T + 30_000));
    expect(error.cause).to.be.instanceOf(RateLimitError);
  });

  it('remembers at most 10,000 failing sessions, forgetting the oldest first, and keeps no refresh token', () => {
    const gate = new RefreshGate();
    const token = (i: number): string => `rt-bound-${i}-0123456789`;
    for (let i = 0; i <= 10_000; i++) gate.failed(gate.keyOf(token(i)), outage(), T);
    expect(waitOf(gate, gate.keyOf(token(0))), 'the oldest was forgotten').to.equal(0);
    expect(waitOf(gate, gate.keyOf(token(1)))).to.equal(5);
    expect(waitOf(gate, gate.keyOf(token(10_000)))).to.equal(5);
    // A session that fails again moves to the newest end.
    gate.failed(gate.keyOf(token(1)), outage(), T);
    gate.failed(gate.keyOf(token(0)), outage(), T);
    expect(waitOf(gate, gate.keyOf(token(1)))).to.equal(10);
    expect(waitOf(gate, gate.keyOf(token(2))), 'the oldest now').to.equal(0);
    const held = inspect(gate, { depth: 4, maxArrayLength: null, maxStringLength: null });
    expect(held).to.not.match(/rt-bound/);
  });
});

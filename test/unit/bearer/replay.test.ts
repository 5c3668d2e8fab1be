import { expect } from 'chai';
import { ConfigurationError, ReplayStoreFullError } from '../../../lib/core/errors.js';
import { MemoryDPoPReplayStore } from '../../../lib/bearer/replay.js';

// Over HTTP (a replayed proof refused, a full store answered 503, one holder unable to lock
// others out): test/integration/bearer.test.ts and test/security/bearer-hardening.test.ts.

describe('MemoryDPoPReplayStore (bearer/replay.ts, RFC 9449 §11.1)', () => {
  let now = 1_000_000;
  const clock = (): number => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('accepts a proof once while its window lasts, and again after', () => {
    const store = new MemoryDPoPReplayStore({ now: clock });
    expect(store.claim('p1', now + 300, 'k')).to.equal(true);
    expect(store.claim('p1', now + 300, 'k')).to.equal(false);
    expect(store.claim('p1', now + 300, 'other-key'), 'the id alone decides').to.equal(false);
    now += 300;
    expect(store.claim('p1', now + 300, 'k')).to.equal(true);
    expect(store.size).to.equal(1);
  });

  it('refuses a new proof when full of live ones, rather than forget one that could be replayed', () => {
    const store = new MemoryDPoPReplayStore({ maxEntries: 3, maxEntriesPerKey: 3, now: clock });
    for (const id of ['a', 'b', 'c']) expect(store.claim(id, now + 100, 'k')).to.equal(true);
    expect(() => store.claim('d', now + 100, 'k'))
      .to.throw(ReplayStoreFullError)
      .with.property('message')
      .that.contains('holds 3 proofs still inside their window');
    expect(store.claim('a', now + 100, 'k'), 'the first is still remembered').to.equal(false);
  });

  it('makes room by dropping the proofs whose window has passed', () => {
    const store = new MemoryDPoPReplayStore({ maxEntries: 2, maxEntriesPerKey: 2, now: clock });
    store.claim('a', now + 10, 'k');
    store.claim('b', now + 100, 'k');
    now += 10;
    expect(store.claim('c', now + 100, 'k')).to.equal(true);
    expect(store.size).to.equal(2);
    expect(store.claim('b', now + 100, 'k')).to.equal(false);
  });

  it('bounds the proofs of one key, so that one token holder cannot fill the store for everyone', () => {
    const store = new MemoryDPoPReplayStore({ maxEntries: 10, maxEntriesPerKey: 2, now: clock });
    expect(store.claim('g1', now + 100, 'greedy')).to.equal(true);
    expect(store.claim('g2', now + 100, 'greedy')).to.equal(true);
    expect(() => store.claim('g3', now + 100, 'greedy'))
      .to.throw(ReplayStoreFullError)
      .with.property('message')
      .that.contains('maxEntriesPerKey');
    expect(store.claim('o1', now + 100, 'other')).to.equal(true);
    now += 100;
    expect(store.claim('g3', now + 100, 'greedy'), 'once its proofs expire').to.equal(true);
  });

  it('gives each key a tenth of maxEntries by default, at least one', () => {
    const store = new MemoryDPoPReplayStore({ maxEntries: 20, now: clock });
    expect(store.claim('a', now + 100, 'k')).to.equal(true);
    expect(store.claim('b', now + 100, 'k')).to.equal(true);
    expect(() => store.claim('c', now + 100, 'k')).to.throw(ReplayStoreFullError);
    const tiny = new MemoryDPoPReplayStore({ maxEntries: 3, now: clock });
    expect(tiny.claim('a', now + 100, 'k')).to.equal(true);
    expect(() => tiny.claim('b', now + 100, 'k')).to.throw(ReplayStoreFullError);
  });

  it('counts a proof claimed again after its window once for its key', () => {
    const store = new MemoryDPoPReplayStore({ maxEntries: 10, maxEntriesPerKey: 1, now: clock });
    expect(store.claim('p', now + 10, 'k')).to.equal(true);
    now += 10;
    expect(store.claim('p', now + 10, 'k'), 'its old entry no longer counts').to.equal(true);
    expect(store.size).to.equal(1);
  });

  it('refuses bounds that are not whole numbers >= 1', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN]) {
      expect(() => new MemoryDPoPReplayStore({ maxEntries }), String(maxEntries)).to.throw(
        ConfigurationError,
        'maxEntries must be a positive whole number',
      );
    }
    expect(() => new MemoryDPoPReplayStore({ maxEntriesPerKey: 0 })).to.throw(
      ConfigurationError,
      'maxEntriesPerKey must be a positive whole number',
    );
  });
});

import { expect } from 'chai';
import { BoundedCache } from '../../../lib/core/cache.js';

describe('BoundedCache (core/cache.ts)', () => {
  it('holds at most maxEntries, dropping the entry written longest ago', () => {
    const cache = new BoundedCache<string, number>({ maxEntries: 3 });
    for (const [i, key] of ['a', 'b', 'c', 'd', 'e'].entries()) cache.set(key, i);
    expect(cache.size).to.equal(3);
    expect(['a', 'b', 'c', 'd', 'e'].map((key) => cache.get(key))).to.deep.equal([undefined, undefined, 2, 3, 4]);
  });

  it('moves a key written again to the back, so it is dropped last', () => {
    const cache = new BoundedCache<string, number>({ maxEntries: 3 });
    cache.set('a', 1).set('b', 2).set('a', 3).set('c', 4);
    cache.set('d', 5);
    expect(['a', 'b', 'c', 'd'].map((key) => cache.get(key))).to.deep.equal([3, undefined, 4, 5]);
  });

  it('does not move a key that is only read: reading is not writing', () => {
    const cache = new BoundedCache<string, number>({ maxEntries: 2 });
    cache.set('a', 1).set('b', 2);
    expect(cache.get('a')).to.equal(1);
    cache.set('c', 3);
    expect(cache.get('a')).to.equal(undefined);
    expect(cache.get('b')).to.equal(2);
  });

  it('forgets an entry ttl milliseconds after it was written, by its clock', () => {
    let now = 1_000_000;
    const cache = new BoundedCache<string, string>({ maxEntries: 10, ttl: 500, now: () => now });
    cache.set('k', 'v');
    now += 499;
    expect(cache.get('k')).to.equal('v');
    expect(cache.has('k')).to.equal(true);
    now += 1;
    expect(cache.get('k')).to.equal(undefined);
    expect(cache.has('k')).to.equal(false);
    expect(cache.size, 'the expired entry is dropped when met').to.equal(0);
  });

  it('takes a ttl per entry over its own, and keeps entries forever without one', () => {
    let now = 0;
    const cache = new BoundedCache<string, string>({ maxEntries: 10, ttl: 100, now: () => now });
    cache.set('short', 's', 10).set('default', 'd').set('forever', 'f', Number.POSITIVE_INFINITY);
    now = 50;
    expect([cache.get('short'), cache.get('default'), cache.get('forever')]).to.deep.equal([undefined, 'd', 'f']);
    now = 1e15;
    expect([cache.get('default'), cache.get('forever')]).to.deep.equal([undefined, 'f']);
    const untimed = new BoundedCache<string, string>({ maxEntries: 1, now: () => now });
    untimed.set('k', 'v');
    now = Number.MAX_SAFE_INTEGER;
    expect(untimed.get('k')).to.equal('v');
  });

  it('knows a key whose value is undefined', () => {
    const cache = new BoundedCache<string, undefined>({ maxEntries: 2 });
    cache.set('k', undefined);
    expect(cache.has('k')).to.equal(true);
    expect(cache.has('other')).to.equal(false);
  });

  it('keeps nothing with maxEntries 0', () => {
    const cache = new BoundedCache<string, number>({ maxEntries: 0 });
    cache.set('k', 1);
    expect(cache.size).to.equal(0);
    expect(cache.get('k')).to.equal(undefined);
  });

  it('deletes one entry, or all', () => {
    const cache = new BoundedCache<string, number>({ maxEntries: 5 });
    cache.set('a', 1).set('b', 2).set('c', 3);
    expect(cache.delete('b')).to.equal(true);
    expect(cache.delete('b')).to.equal(false);
    expect(cache.size).to.equal(2);
    cache.clear();
    expect(cache.size).to.equal(0);
    expect(cache.get('a')).to.equal(undefined);
  });
});

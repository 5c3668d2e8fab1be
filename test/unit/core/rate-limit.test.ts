import { expect } from 'chai';
import { readRateLimit } from '../../../lib/core/rate-limit.js';

// The header forms (X-Rate-Limit-*, Retry-After in seconds and the three HTTP date forms,
// values to ignore) are checked through a 429 of the token endpoint in
// test/unit/client/client.test.ts; these are the edges only the reader itself shows.

const NOW = Date.UTC(2031, 4, 6, 7, 8, 9);
/** Headers as given, untouched (WHATWG `Headers` would trim the values itself). */
const read = (headers: Record<string, string>): ReturnType<typeof readRateLimit> =>
  readRateLimit({ get: (name) => headers[name] ?? null }, NOW);

describe('rate-limit headers (core/rate-limit.ts)', () => {
  it('reads nothing from an answer without rate-limit headers', () => {
    expect(read({})).to.deep.equal({ limit: undefined, remaining: undefined, reset: undefined });
  });

  it('reads values with spaces around them', () => {
    expect(read({ 'x-rate-limit-limit': ' 600 ', 'x-rate-limit-remaining': '\t0', 'retry-after': ' 30 ' })).to.deep.equal({
      limit: 600,
      remaining: 0,
      reset: new Date(NOW + 30_000),
    });
  });

  it('reads Retry-After: 0 as now', () => {
    expect(read({ 'retry-after': '0' }).reset).to.deep.equal(new Date(NOW));
  });

  it('drops a reset too far away to be a date, rather than report an invalid one', () => {
    expect(read({ 'x-rate-limit-reset': '9'.repeat(20) }).reset).to.equal(undefined);
    expect(read({ 'retry-after': '9'.repeat(20) }).reset).to.equal(undefined);
  });

  it('drops an HTTP date of the right shape that names no real day or month', () => {
    expect(read({ 'retry-after': 'Tue, 99 May 2031 07:09:00 GMT' }).reset).to.equal(undefined);
    expect(read({ 'retry-after': 'Tue, 06 Foo 2031 07:09:00 GMT' }).reset).to.equal(undefined);
  });
});

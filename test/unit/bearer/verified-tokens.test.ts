import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { OktaAccessTokenClaims } from '../../../lib/bearer/access-token.js';
import { VerifiedTokens } from '../../../lib/bearer/verified-tokens.js';

// How many verifications an API makes with and without the cache, over HTTP:
// test/integration/bearer.test.ts ("the verified-token cache"); a key removed from the set:
// test/security/bearer-hardening.test.ts (findings 11 and 12).

const NOW = Date.UTC(2031, 0, 1);
const claims = (extra: Partial<OktaAccessTokenClaims> = {}): OktaAccessTokenClaims =>
  ({
    iss: 'https://acme.okta.com/oauth2/default',
    sub: 'alice',
    exp: NOW / 1000 + 600,
    scp: ['orders:read'],
    ...extra,
  }) as OktaAccessTokenClaims;
const PUBLISHED = '{"kid":"k1","n":"..."}';
const published = { published: (kid: string | undefined): string | undefined => (kid === 'k1' ? PUBLISHED : undefined) };
const rotated = { published: () => '{"kid":"k1","n":"rotated"}' };
const none = { published: () => undefined };

describe('VerifiedTokens (bearer/verified-tokens.ts)', () => {
  let now = NOW;
  beforeEach(() => {
    now = NOW;
  });
  const cache = (max = 10, tolerance = 0): VerifiedTokens => new VerifiedTokens(max, tolerance, () => now);

  /** What the strategy does on a miss: verifies, then remembers the verdict when given a key. */
  function miss(tokens: VerifiedTokens, token: string, verified = claims()): boolean {
    const { key, claims: found } = tokens.get(token, published);
    expect(found, 'a miss').to.equal(undefined);
    if (key !== undefined) tokens.set(key, verified, 'k1', PUBLISHED);
    return key !== undefined;
  }
  /** A token seen twice: verified on both sights, remembered from the second. */
  function remember(tokens: VerifiedTokens, token: string, verified = claims()): void {
    expect(miss(tokens, token, verified), 'first sight: not remembered').to.equal(false);
    expect(miss(tokens, token, verified), 'second sight: remembered').to.equal(true);
  }

  it('keys a verdict by the SHA-256 of the token, never the token itself, from its second sight', () => {
    const tokens = cache();
    const first = tokens.get('eyJ.token.sig', published);
    expect(first, 'first sight: no hash, nothing to remember').to.deep.equal({ key: undefined, claims: undefined });
    const { key, claims: found } = tokens.get('eyJ.token.sig', published);
    expect(found).to.equal(undefined);
    expect(key).to.equal(createHash('sha256').update('eyJ.token.sig').digest('base64url'));
  });

  it('remembers nothing of tokens seen once: an API whose every request brings a new token pays no hash or entry', () => {
    const tokens = cache(10);
    for (let i = 0; i < 500; i++) expect(miss(tokens, `eyJ.claims.signature-${i}-${'x'.repeat(i % 7)}`)).to.equal(false);
    expect((tokens as unknown as { entries: { size: number } }).entries.size).to.equal(0);
    remember(tokens, 'eyJ.claims.repeated');
    expect(tokens.get('eyJ.claims.repeated', published).claims).to.deep.equal(claims());
  });

  it('still finds a remembered token once new tokens have taken its fingerprint slot: verified again, then found', () => {
    const tokens = cache(1); // 1,024 slots
    remember(tokens, 'eyJ.claims.kept');
    for (let i = 0; i < 20_000; i++) tokens.get(`eyJ.claims.flood-${i}`, published);
    // Its slot was taken (20,000 fingerprints in 1,024 slots: all but surely): a first sight
    // again, so a full verification, and found after it; never a wrong answer.
    expect(tokens.get('eyJ.claims.kept', published)).to.deep.equal({ key: undefined, claims: undefined });
    expect(tokens.get('eyJ.claims.kept', published).claims).to.deep.equal(claims());
  });

  it('gives back a copy of the claims, which a verify function may change without harm', () => {
    const tokens = cache();
    remember(tokens, 't');
    const first = tokens.get('t', published).claims!;
    first.scp.push('admin');
    first.sub = 'mallory';
    expect(tokens.get('t', published).claims).to.deep.equal(claims());
  });

  it('forgets a verdict once the token expires, with the clock tolerance', () => {
    const tokens = cache(10, 30);
    remember(tokens, 't', claims({ exp: NOW / 1000 + 60 }));
    now = NOW + 89_000; // exp passed 29 s ago: inside the 30 s tolerance
    expect(tokens.get('t', published).claims).to.not.equal(undefined);
    now = NOW + 90_000;
    expect(tokens.get('t', published).claims).to.equal(undefined);
    now = NOW;
    expect(tokens.get('t', published).claims, 'forgotten, not hidden').to.equal(undefined);
  });

  it('forgets a verdict when its key is no longer published the same', () => {
    const tokens = cache();
    remember(tokens, 't');
    expect(tokens.get('t', rotated).claims).to.equal(undefined);
    expect(tokens.get('t', published).claims).to.equal(undefined);
  });

  it('keeps nothing with size 0, or for a key that was not published', () => {
    const off = cache(0);
    for (let i = 0; i < 3; i++) expect(off.get('t', published)).to.deep.equal({ key: undefined, claims: undefined });
    const tokens = cache();
    tokens.get('t', published);
    const { key } = tokens.get('t', published);
    tokens.set(key!, claims(), 'k9', undefined);
    expect(tokens.get('t', none).claims).to.equal(undefined);
  });

  it('holds at most its size, dropping the oldest', () => {
    const tokens = cache(2);
    for (const t of ['a', 'b', 'c']) remember(tokens, t);
    expect(['a', 'b', 'c'].map((t) => tokens.get(t, published).claims !== undefined)).to.deep.equal([false, true, true]);
  });
});

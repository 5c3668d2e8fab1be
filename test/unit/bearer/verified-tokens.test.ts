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
const published = (kid: string | undefined): string | undefined => (kid === 'k1' ? PUBLISHED : undefined);

describe('VerifiedTokens (bearer/verified-tokens.ts)', () => {
  let now = NOW;
  beforeEach(() => {
    now = NOW;
  });
  const cache = (max = 10, tolerance = 0): VerifiedTokens => new VerifiedTokens(max, tolerance, () => now);

  function remember(tokens: VerifiedTokens, token: string, verified = claims()): void {
    const { key } = tokens.get(token, published);
    tokens.set(key, verified, 'k1', PUBLISHED);
  }

  it('keys a verdict by the SHA-256 of the token, never the token itself', () => {
    const { key, claims: found } = cache().get('eyJ.token.sig', published);
    expect(found).to.equal(undefined);
    expect(key).to.equal(createHash('sha256').update('eyJ.token.sig').digest('base64url'));
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
    expect(tokens.get('t', () => '{"kid":"k1","n":"rotated"}').claims).to.equal(undefined);
    expect(tokens.get('t', published).claims).to.equal(undefined);
  });

  it('keeps nothing with size 0, or for a key that was not published', () => {
    const none = cache(0);
    remember(none, 't');
    expect(none.get('t', published).claims).to.equal(undefined);
    const tokens = cache();
    tokens.set(tokens.get('t', published).key, claims(), 'k9', undefined);
    expect(tokens.get('t', () => undefined).claims).to.equal(undefined);
  });

  it('holds at most its size, dropping the oldest', () => {
    const tokens = cache(2);
    for (const t of ['a', 'b', 'c']) remember(tokens, t);
    expect(['a', 'b', 'c'].map((t) => tokens.get(t, published).claims !== undefined)).to.deep.equal([false, true, true]);
  });
});

import { expect } from 'chai';
import {
  MemoryRevocationStore,
  revocationKey,
  Revocations,
  revocationsOf,
  type RevocationStore,
} from '../../../lib/app/revocation.js';
import { recordOf } from '../../../lib/app/session-record.js';
import { StoreUnavailableError } from '../../../lib/core/errors.js';

const ISS = 'https://acme.okta.com/oauth2/default';
const T0 = Date.UTC(2026, 11, 6, 12);

function service(
  store: RevocationStore,
  overrides: { cacheFor?: number; timeout?: number; now?: () => number } = {},
): Revocations {
  return new Revocations({ store, keepFor: 8 * 3600_000, cacheFor: 0, timeout: 200, now: () => T0, ...overrides });
}

const alice = (signedInAt: number, extra: Record<string, unknown> = {}) =>
  recordOf({ iss: ISS, sub: '00u1alice', sid: 'sid-a', email: 'Alice@Example.com', ...extra }, signedInAt);

describe('unit: app/revocation', () => {
  it('keys name a user, an email at an org (case and path aside) or a session, hashed: no user data in the store', () => {
    const key = revocationKey({ kind: 'email', org: 'https://acme.okta.com/oauth2/default', email: ' Alice@Example.com' });
    expect(key).to.equal(revocationKey({ kind: 'email', org: 'https://acme.okta.com', email: 'alice@example.com' }));
    for (const revocation of revocationsOf(alice(T0))) {
      const text = revocationKey(revocation);
      expect(text).to.match(/^okta:rv:[ues]:[\w-]{43}$/);
      expect(text).to.not.include('alice').and.not.include('00u1');
    }
    expect(revocationKey({ kind: 'subject', iss: ISS, sub: 'a' })).to.not.equal(
      revocationKey({ kind: 'subject', iss: `${ISS}x`, sub: 'a' }),
    );
  });

  it('a revocation ends the sessions signed in until it, not those signed in after', async () => {
    const revocations = service(new MemoryRevocationStore({ now: () => T0 }));
    await revocations.revoke({ kind: 'subject', iss: ISS, sub: '00u1alice' });
    expect(await revocations.isRevoked(alice(T0 - 1))).to.equal(true);
    expect(await revocations.isRevoked(alice(T0))).to.equal(true);
    expect(await revocations.isRevoked(alice(T0 + 1))).to.equal(false);
    expect(await revocations.isRevoked(recordOf({ iss: ISS, sub: '00u2bob' }, T0 - 1))).to.equal(false);
  });

  it('by email at the org, by session id at the issuer: only what they name', async () => {
    const revocations = service(new MemoryRevocationStore({ now: () => T0 }));
    await revocations.revoke({ kind: 'email', org: 'https://acme.okta.com', email: 'alice@example.com' });
    expect(await revocations.isRevoked(alice(T0 - 1))).to.equal(true);
    expect(await revocations.isRevoked(alice(T0 - 1, { iss: 'https://other.okta.com' }))).to.equal(false);
    const bySession = service(new MemoryRevocationStore({ now: () => T0 }));
    await bySession.revoke({ kind: 'session', iss: ISS, sid: 'sid-a' });
    expect(await bySession.isRevoked(alice(T0 - 1))).to.equal(true);
    expect(await bySession.isRevoked(alice(T0 - 1, { sid: 'sid-b' }))).to.equal(false);
  });

  it('a used jti is refused the second time, also by another instance over the same store', async () => {
    const store = new MemoryRevocationStore({ now: () => T0 });
    expect(await service(store).firstUse('bcl', ISS, 'j-1', T0 + 60_000)).to.equal(true);
    expect(await service(store).firstUse('bcl', ISS, 'j-1', T0 + 60_000)).to.equal(false);
    expect(await service(store).firstUse('ul', ISS, 'j-1', T0 + 60_000)).to.equal(true);
  });

  it('revocations expire after keepFor', async () => {
    let now = T0;
    const store = new MemoryRevocationStore({ now: () => now });
    const revocations = new Revocations({ store, keepFor: 1000, cacheFor: 0, timeout: 200, now: () => now });
    await revocations.revoke({ kind: 'subject', iss: ISS, sub: '00u1alice' });
    now += 1001;
    expect(await revocations.isRevoked(alice(T0 - 1))).to.equal(false);
  });

  it('reuses an answer for cacheFor on this instance; a revocation recorded here clears it', async () => {
    let now = T0;
    const store = new MemoryRevocationStore({ now: () => now });
    const here = service(store, { cacheFor: 1000, now: () => now });
    expect(await here.isRevoked(alice(T0 - 1))).to.equal(false);
    await service(store, { now: () => now }).revoke({ kind: 'subject', iss: ISS, sub: '00u1alice' });
    expect(await here.isRevoked(alice(T0 - 1)), 'cached on this instance').to.equal(false);
    now += 1001;
    expect(await here.isRevoked(alice(T0 - 1))).to.equal(true);
    const other = service(store, { cacheFor: 1000, now: () => now });
    expect(await other.isRevoked(alice(now + 5))).to.equal(false);
    await other.revoke({ kind: 'subject', iss: ISS, sub: '00u1alice' });
    expect(await other.isRevoked(alice(now - 1))).to.equal(true);
  });

  it('fails closed: a store that throws or does not answer in time is a StoreUnavailableError', async () => {
    const broken: RevocationStore = {
      put: () => Promise.reject(new Error('ECONNREFUSED')),
      get: () => new Promise(() => undefined),
      claim: () => {
        throw new Error('down');
      },
    };
    const revocations = service(broken, { timeout: 50 });
    for (const attempt of [
      () => revocations.revoke({ kind: 'subject', iss: ISS, sub: 'a' }),
      () => revocations.isRevoked(alice(T0)),
      () => revocations.firstUse('bcl', ISS, 'j', T0 + 1),
    ]) {
      const started = Date.now();
      const err = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(StoreUnavailableError);
      expect(Date.now() - started).to.be.below(2000);
    }
  });

  it('the memory store is bounded: full of live entries it refuses rather than forget', () => {
    let now = T0;
    const store = new MemoryRevocationStore({ maxEntries: 2, now: () => now });
    store.put('a', 1, T0 + 10);
    store.put('b', 1, T0 + 1000);
    expect(() => store.put('c', 1, T0 + 1000)).to.throw(StoreUnavailableError);
    expect(() => store.claim('c', T0 + 1000)).to.throw(StoreUnavailableError);
    now += 11; // 'a' expired: room again
    store.put('c', 1, T0 + 1000);
    expect(store.get(['a', 'b', 'c'])).to.deep.equal([undefined, 1, 1]);
    expect(() => new MemoryRevocationStore({ maxEntries: 0 })).to.throw(/maxEntries/);
  });
});

import { expect } from 'chai';
import { decideLifetime, type LifetimeSettings } from '../../../lib/app/lifetime.js';
import { readRecord, recordOf, RECORD_KEY, type SignInRecord } from '../../../lib/app/session-record.js';
import type { OktaRequest } from '../../../lib/passport/request.js';

const T0 = Date.UTC(2026, 11, 6, 12);

function request(user: unknown, record?: SignInRecord): OktaRequest {
  const session: Record<string, unknown> = {};
  if (record) session[RECORD_KEY] = record;
  return { method: 'GET', url: '/', headers: {}, session, user } as unknown as OktaRequest;
}

/** A record of a sign-in at Okta `authAgo` ms before T0, signed in here then, last used `idleAgo` ms before T0. */
function record(authAgo: number | undefined, idleAgo: number): SignInRecord {
  const claims: Record<string, unknown> = { iss: 'https://acme.okta.com', sub: '00u1' };
  if (authAgo !== undefined) claims.auth_time = Math.floor((T0 - authAgo) / 1000);
  return { ...recordOf(claims, T0 - (authAgo ?? 3_600_000)), lastSeenAt: T0 - idleAgo };
}

function settings(overrides: Partial<LifetimeSettings> = {}): LifetimeSettings & { warnings: number } {
  const s = {
    warnings: 0,
    absoluteLifetime: 8 * 3600,
    idleTimeout: 1800,
    now: () => T0,
    warnNoRecord: () => {
      s.warnings++;
    },
    ...overrides,
  };
  return s;
}

describe('unit: app/lifetime', () => {
  it('a session within both limits goes on', () => {
    expect(decideLifetime(request({}, record(3_600_000, 10_000)), settings())).to.deep.equal({ kind: 'pass' });
  });

  it('ends a session at its absolute lifetime, counted from auth_time', () => {
    expect(decideLifetime(request({}, record(8 * 3_600_000, 1000)), settings())).to.deep.equal({
      kind: 'end',
      reason: 'absolute',
    });
    expect(decideLifetime(request({}, record(8 * 3_600_000 - 2000, 1000)), settings()).kind).to.equal('pass');
  });

  it('counts from the sign-in here when the ID token had no auth_time', () => {
    const old = { ...record(undefined, 1000), signedInAt: T0 - 8 * 3_600_000 };
    expect(decideLifetime(request({}, old), settings())).to.deep.equal({ kind: 'end', reason: 'absolute' });
  });

  it('ends a session idle for idleTimeout', () => {
    expect(decideLifetime(request({}, record(60_000, 1_800_000)), settings())).to.deep.equal({ kind: 'end', reason: 'idle' });
  });

  it('notes the last use at most once a minute', () => {
    const fresh = request({}, record(60_000, 30_000));
    decideLifetime(fresh, settings());
    expect(readRecord(fresh)!.lastSeenAt).to.equal(T0 - 30_000);
    const due = request({}, record(60_000, 61_000));
    decideLifetime(due, settings());
    expect(readRecord(due)!.lastSeenAt).to.equal(T0);
  });

  it('a short idle timeout notes the last use every quarter of it', () => {
    const req = request({}, record(60_000, 16_000));
    decideLifetime(req, settings({ idleTimeout: 60 }));
    expect(readRecord(req)!.lastSeenAt).to.equal(T0);
  });

  it('ends (fails closed) a signed-in session without a record when a limit is set, and warns', () => {
    const s = settings();
    expect(decideLifetime(request({}), s)).to.deep.equal({ kind: 'end', reason: 'no_record' });
    expect(s.warnings).to.equal(1);
    expect(decideLifetime(request({}), settings({ absoluteLifetime: undefined, idleTimeout: undefined })).kind).to.equal('pass');
  });

  it('drops a record left without a signed-in user, so it cannot speak for the next one', () => {
    const req = request(undefined, record(60_000, 1000));
    expect(decideLifetime(req, settings()).kind).to.equal('pass');
    expect(readRecord(req)).to.equal(undefined);
  });
});

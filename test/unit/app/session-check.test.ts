import { expect } from 'chai';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { MemoryRevocationStore, Revocations, type RevocationStore } from '../../../lib/app/revocation.js';
import { decideSession, sessionCheck, type SessionCheckSettings } from '../../../lib/app/session-check.js';
import { readRecord, recordOf, RECORD_KEY } from '../../../lib/app/session-record.js';
import { StoreUnavailableError } from '../../../lib/core/errors.js';
import type { OktaRequest } from '../../../lib/passport/request.js';

const ISS = 'https://acme.okta.com/oauth2/default';
const T0 = Date.UTC(2026, 11, 6, 12);

interface FakeSession extends Record<string, unknown> {
  regenerate?: (done: (err?: unknown) => void) => void;
}

function signedIn(
  signedInAt = T0 - 60_000,
): OktaRequest & { user?: unknown; session: FakeSession; logout: (done: () => void) => void } {
  const req = {
    method: 'GET',
    url: '/',
    headers: {},
    user: { id: 'alice' } as unknown,
    session: { [RECORD_KEY]: recordOf({ iss: ISS, sub: '00u1alice', sid: 'sid-1' }, signedInAt) } as FakeSession,
    logout(done: () => void) {
      req.user = undefined;
      done();
    },
  };
  req.session.regenerate = (done) => {
    req.session = { regenerate: req.session.regenerate };
    done();
  };
  return req as never;
}

function settings(
  store: RevocationStore,
  extra: Partial<SessionCheckSettings> = {},
): SessionCheckSettings & { revoked: string[]; ended: string[] } {
  const revoked: string[] = [];
  const ended: string[] = [];
  return {
    lifetime: { absoluteLifetime: undefined, idleTimeout: undefined, now: () => T0, warnNoRecord: () => undefined },
    revocations: new Revocations({ store, keepFor: 3600_000, cacheFor: 0, timeout: 100, now: () => T0 }),
    client: {
      revokeToken: async (token: string) => {
        revoked.push(token);
      },
    },
    getTokens: () => ({ refreshToken: 'rt-0123' }),
    onSessionEnded: (_req, reason) => {
      ended.push(reason);
    },
    revoked,
    ended,
    ...extra,
  };
}

function run(middleware: ReturnType<typeof sessionCheck>, req: OktaRequest): Promise<unknown> {
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  return new Promise((resolve) => middleware(req as never, res, (err?: unknown) => resolve(err)));
}

describe('unit: app/session-check', () => {
  it('a session that no revocation names goes on, and the store is read once', async () => {
    let reads = 0;
    const store = new MemoryRevocationStore({ now: () => T0 });
    const counting: RevocationStore = {
      put: (...a) => store.put(...a),
      claim: (...a) => store.claim(...a),
      get: (keys) => (reads++, store.get(keys)),
    };
    expect(await decideSession(signedIn(), settings(counting))).to.deep.equal({ kind: 'pass' });
    expect(reads).to.equal(1);
  });

  it('a revoked session ends on its next request: signed out, a fresh session, its refresh token revoked at Okta', async () => {
    const store = new MemoryRevocationStore({ now: () => T0 });
    const s = settings(store);
    await s.revocations.revoke({ kind: 'session', iss: ISS, sid: 'sid-1' });
    const req = signedIn();
    expect(await run(sessionCheck(s), req)).to.equal(undefined);
    expect(req.user).to.equal(undefined);
    expect(readRecord(req)).to.equal(undefined);
    expect(s.revoked).to.deep.equal(['rt-0123']);
    expect(s.ended).to.deep.equal(['revoked']);
  });

  it('a sign-in after the revocation is not ended by it', async () => {
    const s = settings(new MemoryRevocationStore({ now: () => T0 }));
    await s.revocations.revoke({ kind: 'subject', iss: ISS, sub: '00u1alice' });
    expect(await decideSession(signedIn(T0 + 1), s)).to.deep.equal({ kind: 'pass' });
  });

  it('fails closed: a store that does not answer gives 503 (StoreUnavailableError), and the session is not let through', async () => {
    const hanging: RevocationStore = { put: () => undefined, claim: () => true, get: () => new Promise(() => undefined) };
    const req = signedIn();
    const err = await run(sessionCheck(settings(hanging)), req);
    expect(err).to.be.instanceOf(StoreUnavailableError);
    expect((err as StoreUnavailableError).status).to.equal(503);
    expect(req.user, 'not signed out either: the store may come back').to.deep.equal({ id: 'alice' });
  });

  it('an anonymous request never waits for the store', async () => {
    const hanging: RevocationStore = { put: () => undefined, claim: () => true, get: () => new Promise(() => undefined) };
    const req = signedIn();
    req.user = undefined;
    expect(await run(sessionCheck(settings(hanging)), req)).to.equal(undefined);
  });
});

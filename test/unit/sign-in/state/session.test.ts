import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { ConfigurationError } from '../../../../lib/core/errors.js';
import { loginSecrets, nonceFor, stateFor } from '../../../../lib/sign-in/login-secrets.js';
import { SessionStateStore } from '../../../../lib/sign-in/state/session.js';
import type { PendingLogin } from '../../../../lib/sign-in/state/store.js';
import { request } from '../../../support/passport.js';

// Round trips through a strategy, and entries written whole by earlier versions, are in
// test/integration/session-store.test.ts. These pin the stored format itself
// (ARCHITECTURE.md, "Stored formats that must stay readable").

const KEY = 'passport-okta-oidc';
const ISSUER = 'https://acme.okta.com/oauth2/default';
const REDIRECT = 'https://app.example/auth/okta/callback';
const context = { strategy: 'okta', issuer: ISSUER };
const tag = (issuer: string): string => createHash('sha256').update(issuer).digest('base64url').slice(0, 22);

type Session = Record<string, unknown>;
/** The session after a trip through JSON, as express-session stores it. */
const serialized = (session: Session): Session => JSON.parse(JSON.stringify(session)) as Session;
const entries = (session: Session): unknown[] => (session[KEY] as Record<string, unknown[]> | undefined)?.okta ?? [];

describe('SessionStateStore (sign-in/state/session.ts)', () => {
  const now = Date.now();
  const store = new SessionStateStore({ now: () => now });
  const take = (session: Session, state: string, ctx = context): PendingLogin | undefined =>
    store.take(request({ session }), state, ctx) as PendingLogin | undefined;

  function login(extra: Partial<PendingLogin> = {}): PendingLogin {
    const { state, codeVerifier, nonce } = loginSecrets();
    return {
      state,
      codeVerifier,
      nonce,
      redirectURI: REDIRECT,
      strategy: 'okta',
      issuer: ISSUER,
      expiresAt: now + 60_000,
      responseMode: 'query',
      ...extra,
    };
  }

  describe('writes', () => {
    it('a login whose state and nonce derive from its verifier as [format, verifier, expiry, issuer tag, redirect URI]', () => {
      const session: Session = {};
      const pending = login();
      store.save(request({ session }), pending);
      expect(entries(serialized(session))).to.deep.equal([[1, pending.codeVerifier, pending.expiresAt, tag(ISSUER), REDIRECT]]);
    });

    it('what only some sign-ins carry in a last element: f for form_post, m max age, a ACR values, s app state', () => {
      const session: Session = {};
      const pending = login({
        responseMode: 'form_post',
        maxAge: 300,
        acrValues: 'urn:okta:loa:2fa:any',
        appState: { to: '/x' },
      });
      store.save(request({ session }), pending);
      expect(entries(serialized(session))[0]).to.deep.equal([
        1,
        pending.codeVerifier,
        pending.expiresAt,
        tag(ISSUER),
        REDIRECT,
        { f: 1, m: 300, a: 'urn:okta:loa:2fa:any', s: { to: '/x' } },
      ]);
    });

    it('a login whose state or nonce do not derive from its verifier whole', () => {
      const session: Session = {};
      const foreign = login({ state: 'chosen-by-a-custom-caller-0123456789' });
      store.save(request({ session }), foreign);
      expect(entries(serialized(session))).to.deep.equal([foreign]);
    });
  });

  describe('reads', () => {
    const verifier = 'v'.repeat(43);
    const expected = (extra: Partial<PendingLogin> = {}): PendingLogin => ({
      state: stateFor(verifier),
      codeVerifier: verifier,
      nonce: nonceFor(verifier),
      redirectURI: REDIRECT,
      strategy: 'okta',
      issuer: ISSUER,
      expiresAt: now + 60_000,
      responseMode: 'query',
      ...extra,
    });

    it('an entry of format 1', () => {
      const session = {
        [KEY]: { okta: [[1, verifier, now + 60_000, tag(ISSUER), REDIRECT, { f: 1, m: 60, a: 'acr', s: 'app' }]] },
      };
      expect(take(session, stateFor(verifier))).to.deep.equal(
        expected({ responseMode: 'form_post', maxAge: 60, acrValues: 'acr', appState: 'app' }),
      );
      expect(session[KEY], 'taken out').to.equal(undefined);
    });

    it('a compact entry without a format, as 0.1 wrote it: format 1', () => {
      const session = { [KEY]: { okta: [[verifier, now + 60_000, tag(ISSUER), REDIRECT]] } };
      expect(take(session, stateFor(verifier))).to.deep.equal(expected());
    });

    it('both kinds side by side, each once', () => {
      const other = 'w'.repeat(43);
      const session = {
        [KEY]: {
          okta: [
            [verifier, now + 60_000, tag(ISSUER), REDIRECT],
            [1, other, now + 60_000, tag(ISSUER), REDIRECT],
          ],
        },
      };
      expect(take(session, stateFor(other))?.codeVerifier).to.equal(other);
      expect(take(session, stateFor(verifier))?.codeVerifier).to.equal(verifier);
      expect(take(session, stateFor(verifier))).to.equal(undefined);
    });

    it('no entry of a format it does not know, and drops it at the next write', () => {
      const kept = 'k'.repeat(43);
      const session = {
        [KEY]: {
          okta: [
            [2, verifier, now + 60_000, tag(ISSUER), REDIRECT],
            [1, kept, now + 60_000, tag(ISSUER), REDIRECT],
          ],
        },
      };
      expect(take(session, stateFor(verifier)), 'labels of format 2 are unknown: no state matches').to.equal(undefined);
      expect(entries(session)).to.deep.equal([[1, kept, now + 60_000, tag(ISSUER), REDIRECT]]);
    });

    it('an entry of another authorization server as such, so that the strategy refuses it', () => {
      const session = { [KEY]: { okta: [[1, verifier, now + 60_000, tag('https://evil.example'), REDIRECT]] } };
      expect(take(session, stateFor(verifier))?.issuer).to.equal('another authorization server');
    });

    it('an expired entry for the strategy to refuse (it says why), and drops the other expired ones', () => {
      const stale = 's'.repeat(43);
      const session = {
        [KEY]: {
          okta: [
            [1, verifier, now - 1, tag(ISSUER), REDIRECT],
            [1, stale, now - 1, tag(ISSUER), REDIRECT],
          ],
        },
      };
      expect(take(session, stateFor(verifier))).to.deep.equal(expected({ expiresAt: now - 1 }));
      expect(session[KEY]).to.equal(undefined);
    });

    it("no entry of another strategy's list", () => {
      const session = { [KEY]: { okta: [[1, verifier, now + 60_000, tag(ISSUER), REDIRECT]] } };
      expect(take(session, stateFor(verifier), { strategy: 'okta-admin', issuer: ISSUER })).to.equal(undefined);
      expect(entries(session)).to.have.length(1);
    });
  });

  it('keeps the newest maxPending per strategy, and refuses a maxPending that is not a whole number >= 1', () => {
    const small = new SessionStateStore({ maxPending: 2, now: () => now });
    const session: Session = {};
    const logins = [login(), login(), login()];
    for (const pending of logins) small.save(request({ session }), pending);
    expect(entries(serialized(session)).map((entry) => (entry as unknown[])[1])).to.deep.equal(
      logins.slice(1).map((l) => l.codeVerifier),
    );
    for (const bad of [0, 1.5, -1]) expect(() => new SessionStateStore({ maxPending: bad })).to.throw(ConfigurationError);
  });

  it('uses get and set on sessions that have them (@fastify/secure-session), under its key', () => {
    const values = new Map<string, unknown>();
    const session = { get: (key: string) => values.get(key), set: (key: string, value: unknown) => values.set(key, value) };
    const custom = new SessionStateStore({ key: 'pending', now: () => now });
    const pending = login();
    custom.save(request({ session }), pending);
    expect([...values.keys()]).to.deep.equal(['pending']);
    expect(custom.take(request({ session }), pending.state, context)).to.deep.include({ codeVerifier: pending.codeVerifier });
    expect(values.get('pending'), 'emptied').to.equal(undefined);
  });

  it('says what to add when there is no session', () => {
    expect(() => store.save(request({ session: null }), login())).to.throw(ConfigurationError, /add express-session/);
  });
});

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { expect } from 'chai';
import { diagnosticsChannels } from '../../../lib/core/diagnostics.js';
import type { Outcome } from '../../../lib/passport/strategy-base.js';
import { failReason, observeCallback } from '../../../lib/sign-in/events.js';

const strategy = { name: 'okta', client: { issuer: 'https://acme.okta.com/oauth2/default' } };

describe('sign-in/events', () => {
  it('with no subscriber, hands back the phase itself: no message, no trace', () => {
    const phase = Promise.resolve<Outcome>({ kind: 'redirect', url: '/' });
    expect(observeCallback(strategy.name, strategy.client.issuer, () => phase)).to.equal(phase);
  });

  it('with a subscriber, tells the outcome of the callback without the user or the claims', async () => {
    const seen: unknown[] = [];
    const name = `tracing:${diagnosticsChannels.callback}:asyncEnd`;
    const listener = (message: unknown): void => {
      seen.push({ ...(message as object) });
    };
    subscribe(name, listener);
    try {
      const success: Outcome = { kind: 'success', user: { email: 'alice@example.com' }, info: { claims: { sub: '00u1' } } };
      await observeCallback(strategy.name, strategy.client.issuer, async () => success);
    } finally {
      unsubscribe(name, listener);
    }
    expect(seen).to.have.length(1);
    expect(seen[0]).to.include({ strategy: 'okta', issuer: strategy.client.issuer, outcome: 'success' });
    expect(JSON.stringify(seen)).to.not.include('alice').and.not.include('00u1');
  });

  it('names the reason of each failure the callback reports', () => {
    const reasons = {
      'The sign-in callback parameter state is repeated or malformed': 'malformed-parameter',
      'The sign-in callback parameter code is too long': 'malformed-parameter',
      'The sign-in callback has no code parameter': 'no-code',
      'The sign-in callback has no state parameter': 'no-state',
      'The sign-in state is unknown: it expired, was already used, or was not started in this browser': 'unknown-state',
      'This sign-in was started on a.example, but Okta sent the browser back to b.example': 'unknown-state',
      'The sign-in cookie is expired, tampered with, or was made with another secret': 'bad-state-cookie',
      'The sign-in was started by another strategy or Okta authorization server': 'wrong-strategy',
      'The sign-in took too long and expired; please start again': 'expired',
      'The sign-in response arrived at /a, but this sign-in was started for the callback /b': 'wrong-callback',
      'The callback names another issuer than this Okta authorization server': 'wrong-issuer',
      'The callback has no iss parameter, which this strategy requires (requireIss)': 'no-iss',
      'The application refused this user': 'user-refused',
      'Something new': 'other',
    };
    for (const [message, reason] of Object.entries(reasons)) expect(failReason({ message }), message).to.equal(reason);
    expect(failReason({ message: 'User canceled', error: 'access_denied' })).to.equal('access_denied');
  });
});

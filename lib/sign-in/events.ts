import { events, type DiagnosticsMessages } from '../core/diagnostics.js';
import { traceOutcome } from '../passport/outcome-events.js';
import type { FailureChallenge, Outcome } from '../passport/strategy-base.js';

// The sign-in's messages on the diagnostics channels (core/diagnostics.ts): built only when
// a channel has a subscriber.

/** A sign-in starts, at the issuer of its Okta org. */
export function tellStart(strategy: string, issuer: string, responseMode: string): void {
  if (!events.signInStart.hasSubscribers) return;
  events.signInStart.publish({ strategy, issuer, responseMode });
}

/**
 * The callback phase, traced: its outcome, a failure's reason, an error's code. `issuer` is
 * undefined for a strategy with `tenant` (the org is read from the pending login, later).
 */
export function observeCallback(strategy: string, issuer: string | undefined, phase: () => Promise<Outcome>): Promise<Outcome> {
  if (!events.callback.hasSubscribers) return phase();
  const message: DiagnosticsMessages['passport-okta-oidc:sign-in:callback'] = { strategy, issuer };
  return traceOutcome(events.callback, message, phase, failReason);
}

/**
 * The reason of each failure the callback reports, read from its message (the messages are
 * the strategy's own; test/unit/sign-in/events.test.ts goes through each). A failure Okta
 * sent (`access_denied`...) is its OAuth `error`.
 */
const REASONS: readonly [RegExp, string][] = [
  [/^The sign-in callback parameter \w+ is (repeated|malformed|too long)/, 'malformed-parameter'],
  [/^The sign-in callback has no code/, 'no-code'],
  [/^The sign-in callback has no state/, 'no-state'],
  [/^The sign-in state is unknown|^This sign-in was started on/, 'unknown-state'],
  [/^The sign-in cookie/, 'bad-state-cookie'],
  [/^The sign-in was started by another/, 'wrong-strategy'],
  [/^The sign-in took too long/, 'expired'],
  [/^The sign-in response arrived at/, 'wrong-callback'],
  [/^The callback names another issuer/, 'wrong-issuer'],
  [/^The callback has no iss/, 'no-iss'],
  [/^The application refused this user/, 'user-refused'],
];

export function failReason(challenge: FailureChallenge | string): string {
  if (typeof challenge !== 'string' && typeof challenge.error === 'string') return challenge.error;
  const text = typeof challenge === 'string' ? challenge : challenge.message;
  for (const [pattern, reason] of REASONS) if (pattern.test(text)) return reason;
  return 'other';
}

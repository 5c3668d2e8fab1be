import { events, trace, type DiagnosticsMessages } from '../core/diagnostics.js';
import { traceOutcome } from '../passport/outcome-events.js';
import type { FailureChallenge, Outcome } from '../passport/strategy-base.js';

// The API side's messages on the diagnostics channels (core/diagnostics.ts): built only
// when a channel has a subscriber.

type BearerMessage = DiagnosticsMessages['passport-okta-oidc:bearer:verify'];
type IntrospectionMessage = DiagnosticsMessages['passport-okta-oidc:bearer:introspect'];

/** An API request's check, traced: success, or the OAuth error of the refusal and its description. */
export function observeBearer(strategy: string, check: () => Promise<Outcome>): Promise<Outcome> {
  if (!events.bearer.hasSubscribers) return check();
  const message: BearerMessage = { strategy };
  return traceOutcome(events.bearer, message, check, refusal);
}

/** The `error` and `error_description` of a `WWW-Authenticate` challenge (RFC 6750 §3), which the client is told anyway. */
function refusal(challenge: FailureChallenge | string, message: BearerMessage): string {
  const text = typeof challenge === 'string' ? challenge : challenge.message;
  const description = /error_description="([^"]*)"/.exec(text)?.[1];
  if (description !== undefined) message.description = description;
  return /\berror="([^"]*)"/.exec(text)?.[1] ?? 'no-token';
}

/** A call to Okta's introspection endpoint, traced: whether Okta said the token is active. */
export function observeIntrospection<T>(issuer: string, ask: () => Promise<T>): Promise<T> {
  if (!events.introspection.hasSubscribers) return ask();
  const message: IntrospectionMessage = { issuer };
  return trace(events.introspection, message, ask, (m) => {
    m.active = true;
  });
}

/** A DPoP proof refused by the replay check. */
export function tellReplay(reason: DiagnosticsMessages['passport-okta-oidc:bearer:replay']['reason']): void {
  if (events.replay.hasSubscribers) events.replay.publish({ reason });
}

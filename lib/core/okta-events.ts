import { events, trace, type DiagnosticsMessages, type OktaEndpointKind } from './diagnostics.js';
import type { AnswerHeaders } from './rate-limit.js';

interface Answer {
  status: number;
  headers: AnswerHeaders;
}

// The messages of requests to Okta and of key set fetches (core/diagnostics.ts): built
// only when their channel has a subscriber.

/** The endpoint kind of each name `send` is given ("token endpoint"). */
const KINDS: Readonly<Record<string, OktaEndpointKind>> = {
  'token endpoint': 'token',
  'keys endpoint': 'keys',
  'userinfo endpoint': 'userinfo',
  'introspection endpoint': 'introspect',
  'revoke endpoint': 'revoke',
  'PAR endpoint': 'par',
  'discovery document': 'discovery',
};

const RATE_LIMIT = [
  ['limit', 'x-rate-limit-limit'],
  ['remaining', 'x-rate-limit-remaining'],
  ['reset', 'x-rate-limit-reset'],
] as const;

export function traceRequest<A extends Answer>(
  go: () => Promise<A>,
  url: string,
  method: 'GET' | 'POST',
  what: string,
  retry: boolean,
): Promise<A> {
  const message: DiagnosticsMessages['passport-okta-oidc:okta:request'] = {
    endpoint: KINDS[what] ?? 'other',
    method,
    origin: URL.parse(url)?.origin ?? '',
    retry,
  };
  return trace(events.oktaRequest, message, go, (m, answer) => {
    m.status = answer.status;
    const rateLimit: { limit?: number; remaining?: number; reset?: number } = {};
    for (const [field, header] of RATE_LIMIT) {
      const value = Number(answer.headers.get(header) ?? Number.NaN);
      if (Number.isSafeInteger(value)) rateLimit[field] = value;
    }
    if (Object.keys(rateLimit).length > 0) m.rateLimit = rateLimit;
  });
}

type KeySetFetch = DiagnosticsMessages['passport-okta-oidc:keys:fetch'];

/** A key set fetch, traced; `count` tells how many keys the fetched set has. */
export function traceKeySetFetch(
  url: string,
  reason: KeySetFetch['reason'],
  go: () => Promise<void>,
  count: () => number,
): Promise<void> {
  const message: KeySetFetch = { url, reason };
  return trace(events.keySetFetch, message, go, (m) => {
    m.keys = count();
  });
}

/** Tells the key ids a fetched set gained or lost against the one before it (none before: no rotation). */
export function tellRotation(url: string, before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): void {
  if (before.size === 0) return;
  const added = [...after.keys()].filter((kid) => !before.has(kid));
  const removed = [...before.keys()].filter((kid) => !after.has(kid));
  if (added.length > 0 || removed.length > 0) events.keyRotation.publish({ url, added, removed });
}

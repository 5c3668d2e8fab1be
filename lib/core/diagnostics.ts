import { channel, subscribe, tracingChannel, type Channel, type TracingChannel } from 'node:diagnostics_channel';
import { debuglog } from 'node:util';

// What the package tells of its work on node:diagnostics_channel, and the names of Node's
// own channels it listens to. Every message is built only when its channel has a
// subscriber, and none carries a token, code, state, nonce, verifier, secret, cookie or
// claim (no sub, email or name): kinds, statuses, durations, error codes, key ids.

/** The names of the package's channels (docs/diagnostics.md). Tracing channels are subscribed with `tracingChannel(name)`. */
export const diagnosticsChannels = {
  /** A sign-in starts: the browser is about to be sent to Okta. */
  signInStart: 'passport-okta-oidc:sign-in:start',
  /** Tracing: a sign-in callback, from Okta's redirect to its outcome. */
  callback: 'passport-okta-oidc:sign-in:callback',
  /** Tracing: one request to Okta. */
  oktaRequest: 'passport-okta-oidc:okta:request',
  /** Tracing: one fetch of a key set. */
  keySetFetch: 'passport-okta-oidc:keys:fetch',
  /** A fetched key set has keys the previous one had not (or lost some). */
  keyRotation: 'passport-okta-oidc:keys:rotation',
  /** Tracing: a refresh by `keepTokensFresh`. */
  refresh: 'passport-okta-oidc:refresh',
  /** A sign-out, its return leg, or a logout Okta sent (back-channel, front-channel, Universal Logout). */
  logout: 'passport-okta-oidc:logout',
  /** Tracing: an API request's access token checked by `OktaBearerStrategy`. */
  bearer: 'passport-okta-oidc:bearer:verify',
  /** Tracing: a token sent to Okta's introspection endpoint. */
  introspection: 'passport-okta-oidc:bearer:introspect',
  /** A DPoP proof refused by the replay check. */
  replay: 'passport-okta-oidc:bearer:replay',
} as const;

/** Node's own channel that `CookieStateStore` listens to (sign-in/state/cookie-sink.ts). */
export const NODE_REQUEST_START = 'http.server.request.start';

/** What every tracing message gains once its step ends. */
export interface TracedStep {
  /** Milliseconds from start to end. */
  duration?: number;
  /** The error code (`OktaError.code`, else the error's `code` or name) when the step ended in an error. */
  code?: string;
  /** The error the step ended in, on the `error` event (its message holds no secret: see `errors`). */
  error?: unknown;
}

/** How a sign-in callback, an API request or a refresh ended. */
export interface StepOutcome extends TracedStep {
  outcome?: 'success' | 'fail' | 'error';
  /** Why it failed: a fixed reason (`unknown-state`, `expired`...) or the OAuth `error` (`access_denied`, `invalid_token`). */
  reason?: string;
  /** The HTTP status Passport answers a failure with. */
  status?: number;
}

/** The kinds of Okta endpoint the package calls. */
export type OktaEndpointKind = 'token' | 'keys' | 'userinfo' | 'introspect' | 'revoke' | 'par' | 'discovery' | 'other';

export interface DiagnosticsMessages {
  'passport-okta-oidc:sign-in:start': { strategy: string; issuer: string; responseMode: string };
  /** `issuer` is absent for a strategy with `tenant`: the org is known only once the pending login is read. */
  'passport-okta-oidc:sign-in:callback': StepOutcome & { strategy: string; issuer?: string | undefined };
  'passport-okta-oidc:okta:request': TracedStep & {
    endpoint: OktaEndpointKind;
    method: 'GET' | 'POST';
    /** Scheme, host and port of Okta: never a path or query. */
    origin: string;
    /** A second attempt (Okta asked for a DPoP nonce). */
    retry: boolean;
    status?: number;
    /** Okta's `X-Rate-Limit-*` headers, as numbers (`reset` in epoch seconds). */
    rateLimit?: { limit?: number; remaining?: number; reset?: number };
  };
  'passport-okta-oidc:keys:fetch': TracedStep & {
    url: string;
    /** `start-up`: fetched at construction; `max-age`: refreshed ahead of or past `jwksMaxAge`. */
    reason: 'start-up' | 'first-use' | 'max-age' | 'unknown-kid' | 'check';
    keys?: number;
  };
  'passport-okta-oidc:keys:rotation': { url: string; added: string[]; removed: string[] };
  'passport-okta-oidc:refresh': StepOutcome & { issuer: string };
  'passport-okta-oidc:logout': {
    kind: 'sign-out' | 'return' | 'back-channel' | 'front-channel' | 'universal-logout';
    status: number;
  };
  'passport-okta-oidc:bearer:verify': StepOutcome & { strategy: string; description?: string };
  'passport-okta-oidc:bearer:introspect': TracedStep & { issuer: string; active?: boolean };
  'passport-okta-oidc:bearer:replay': { reason: 'replayed' | 'store-full' | 'store-unavailable' };
}

type Names = DiagnosticsMessages;
const plain = <N extends keyof Names>(name: N): Channel<unknown, Names[N]> => channel(name) as Channel<unknown, Names[N]>;
const traced = <N extends keyof Names>(name: N): TracingChannel<unknown, Names[N]> => tracingChannel<unknown, Names[N]>(name);

/** The channels, made once. Publish sites check `hasSubscribers` before they build a message. */
export const events = {
  signInStart: plain(diagnosticsChannels.signInStart),
  callback: traced(diagnosticsChannels.callback),
  oktaRequest: traced(diagnosticsChannels.oktaRequest),
  keySetFetch: traced(diagnosticsChannels.keySetFetch),
  keyRotation: plain(diagnosticsChannels.keyRotation),
  refresh: traced(diagnosticsChannels.refresh),
  logout: plain(diagnosticsChannels.logout),
  bearer: traced(diagnosticsChannels.bearer),
  introspection: traced(diagnosticsChannels.introspection),
  replay: plain(diagnosticsChannels.replay),
};

/**
 * Runs `run` as a traced step: `start` (with `run` inside the channel's bound stores, so a
 * span started there is the parent of the steps `run` traces), `end` once it returned its
 * promise, then `asyncStart` and `asyncEnd` when it settles, `error` before them if it
 * rejects or `settle` names an error (a synchronous throw is told, and passed on, as a
 * rejection). Unlike Node's `tracePromise`, the result is not put
 * in the message: `settle` copies what may be told. Call it only when `tc.hasSubscribers`.
 */
export function trace<C extends TracedStep, T>(
  tc: TracingChannel<unknown, C>,
  message: C,
  run: () => Promise<T>,
  settle?: (message: C, value: T) => void,
): Promise<T> {
  const started = performance.now();
  let promise: Promise<T>;
  try {
    promise = tc.start.runStores(message, run);
  } catch (err) {
    // Told like a rejection: each start has one asyncEnd, where a subscriber ends its span.
    promise = Promise.reject(err);
  }
  tc.end.publish(message);
  const finish = (): void => {
    message.duration = performance.now() - started;
    if (message.error !== undefined) tc.error.publish(message);
    tc.asyncStart.publish(message);
    tc.asyncEnd.publish(message);
  };
  return promise.then(
    (value) => {
      settle?.(message, value);
      finish();
      return value;
    },
    (err: unknown) => {
      failed(message, err);
      finish();
      throw err;
    },
  );
}

function failed(message: TracedStep, err: unknown): void {
  message.error = err;
  message.code = codeOf(err);
}

/** An error's stable code: `OktaError.code`, a Node error's `code`, else its class name. */
export function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.name : typeof err;
}

// NODE_DEBUG=passport-okta-oidc: one line per event on stderr, through util.debuglog.
const log = debuglog('passport-okta-oidc');
if (log.enabled) printEvents(log);

function printEvents(print: (line: string) => void): void {
  for (const [key, name] of Object.entries(diagnosticsChannels)) {
    const short = name.slice('passport-okta-oidc:'.length);
    const tc = events[key as keyof typeof events];
    if ('asyncEnd' in tc) {
      tc.subscribe({
        start: (m) => {
          print(`${short} start ${fields(m)}`);
        },
        end: () => undefined,
        asyncStart: () => undefined,
        asyncEnd: (m) => {
          print(`${short} end ${fields(m)}`);
        },
        error: () => undefined,
      });
    } else {
      subscribe(name, (m) => {
        print(`${short} ${fields(m)}`);
      });
    }
  }
}

/** `key=value` pairs, the error left out (its code is there). */
function fields(message: unknown): string {
  return Object.entries(message as Record<string, unknown>)
    .filter(([key, value]) => key !== 'error' && value !== undefined)
    .map(([key, value]) => `${key}=${key === 'duration' ? (value as number).toFixed(1) : JSON.stringify(value)}`)
    .join(' ');
}

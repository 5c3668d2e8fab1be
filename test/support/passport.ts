import type { OktaRequest } from '../../lib/passport/request.js';

export type Outcome =
  | { kind: 'redirect'; url: string; status: number | undefined }
  | { kind: 'success'; user: unknown; info: Record<string, unknown> | undefined }
  | { kind: 'fail'; challenge: unknown; status: number | undefined }
  | { kind: 'error'; error: Error }
  | { kind: 'pass' };

interface Authenticator {
  authenticate(req: OktaRequest, options?: object): void;
}

/** A strategy's run: its first outcome, and every outcome and exception it produced, late ones included. */
export interface Tracked {
  first: Promise<Outcome>;
  all: Outcome[];
  threw: unknown[];
}

/**
 * Runs a strategy the way Passport does: on `Object.create(strategy)` with the outcome
 * methods (`redirect`, `success`, `fail`, `error`, `pass`) added, so that per-request state
 * on `this` stays on the request's object. Records every outcome, and what `authenticate`
 * threw: the one Passport runner of the tests ({@link run} is built on it).
 */
export function track(strategy: Authenticator, req: OktaRequest, options?: object): Tracked {
  const all: Outcome[] = [];
  const threw: unknown[] = [];
  let resolveFirst!: (outcome: Outcome) => void;
  const first = new Promise<Outcome>((resolve) => {
    resolveFirst = resolve;
  });
  const record = (outcome: Outcome): void => {
    all.push(outcome);
    if (all.length === 1) resolveFirst(outcome);
  };
  const instance = Object.create(strategy) as Authenticator & Record<string, unknown>;
  instance.redirect = (url: string, status?: number) => record({ kind: 'redirect', url, status });
  instance.success = (user: unknown, info?: Record<string, unknown>) => record({ kind: 'success', user, info });
  instance.fail = (challenge: unknown, status?: number) => record({ kind: 'fail', challenge, status });
  instance.error = (error: Error) => record({ kind: 'error', error });
  instance.pass = () => record({ kind: 'pass' });
  try {
    instance.authenticate(req, options);
  } catch (err) {
    threw.push(err);
  }
  return { first, all, threw };
}

/**
 * Runs a strategy as Passport does ({@link track}) and resolves with its outcome. Rejects
 * if `authenticate` throws, or if a second outcome follows within a few milliseconds.
 */
export function run(strategy: Authenticator, req: OktaRequest, options?: object): Promise<Outcome> {
  const tracked = track(strategy, req, options);
  if (tracked.threw.length > 0) {
    const err = tracked.threw[0];
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  return tracked.first.then(
    (outcome) =>
      new Promise((resolve, reject) => {
        // Give a buggy strategy the chance to report twice before settling.
        setTimeout(
          () =>
            tracked.all.length === 1
              ? resolve(outcome)
              : reject(new Error(`two outcomes: ${tracked.all.map((o) => o.kind).join(', ')}`)),
          5,
        );
      }),
  );
}

/** A request as Express would hand it to the strategy. */
export function request(init: {
  method?: string;
  url?: string;
  query?: Record<string, unknown>;
  body?: unknown;
  session?: Record<string, unknown> | null;
  headers?: Record<string, string>;
  protocol?: string;
}): OktaRequest {
  const url = init.url ?? '/auth/okta/callback';
  const query = init.query ?? Object.fromEntries(new URL(url, 'http://x').searchParams);
  return {
    method: init.method ?? 'GET',
    url,
    query,
    body: init.body,
    session: init.session === null ? undefined : (init.session ?? {}),
    headers: { host: 'app.example', ...init.headers },
    protocol: init.protocol ?? 'https',
    socket: {},
  } as unknown as OktaRequest;
}

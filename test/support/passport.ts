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

/**
 * Runs a strategy the way Passport does (`Object.create(strategy)` with the outcome
 * methods added) and resolves with its outcome. Rejects if a second outcome follows.
 */
export function run(strategy: Authenticator, req: OktaRequest, options?: object): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const outcomes: Outcome[] = [];
    const record = (outcome: Outcome): void => {
      outcomes.push(outcome);
      if (outcomes.length === 1) {
        // Give a buggy strategy the chance to report twice before settling.
        setTimeout(
          () =>
            outcomes.length === 1
              ? resolve(outcome)
              : reject(new Error(`two outcomes: ${outcomes.map((o) => o.kind).join(', ')}`)),
          5,
        );
      }
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
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
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

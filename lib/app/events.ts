import { events, trace, type DiagnosticsMessages } from '../core/diagnostics.js';

// The app helpers' messages on the diagnostics channels (core/diagnostics.ts): built only
// when a channel has a subscriber.

type RefreshMessage = DiagnosticsMessages['passport-okta-oidc:refresh'];
type LogoutKind = DiagnosticsMessages['passport-okta-oidc:logout']['kind'];

/**
 * A refresh, traced: `success`, `fail` when Okta or the checks refused it (the reason is
 * Okta's `error`, or `id-token`), `error` when Okta could not be asked.
 */
export function observeRefresh<T>(issuer: string, run: () => Promise<T>, isRefusal: (err: unknown) => boolean): Promise<T> {
  if (!events.refresh.hasSubscribers) return run();
  const message: RefreshMessage = { issuer };
  const told = (): Promise<T> =>
    run().catch((err: unknown) => {
      if (isRefusal(err)) {
        message.outcome = 'fail';
        const error = (err as { error?: unknown }).error;
        message.reason = typeof error === 'string' ? error : 'id-token';
      } else {
        message.outcome = 'error';
      }
      throw err;
    });
  return trace(events.refresh, message, told, (m) => {
    m.outcome = 'success';
  });
}

/** A logout handler that tells the status of each answer it gives. */
export function toldLogout<A extends unknown[], R extends { status: number } | Promise<{ status: number }>>(
  kind: LogoutKind,
  handle: (...args: A) => R,
): (...args: A) => R {
  return (...args) => {
    const answer = handle(...args);
    if (!events.logout.hasSubscribers) return answer;
    if (answer instanceof Promise) {
      void answer.then(
        ({ status }) => {
          events.logout.publish({ kind, status });
        },
        () => undefined,
      );
    } else {
      events.logout.publish({ kind, status: answer.status });
    }
    return answer;
  };
}

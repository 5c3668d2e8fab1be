import { codeOf, trace, type StepOutcome } from '../core/diagnostics.js';
import type { TracingChannel } from 'node:diagnostics_channel';
import type { FailureChallenge, Outcome } from './strategy-base.js';

/**
 * Traces a strategy's phase and tells how it ended (core/diagnostics.ts): success, a
 * failure with its reason and status, or an error with its code. Neither the user, the
 * claims nor the challenge's text is put in the message: `reasonOf` names the failure.
 */
export function traceOutcome<C extends StepOutcome>(
  tc: TracingChannel<unknown, C>,
  message: C,
  phase: () => Promise<Outcome>,
  reasonOf: (challenge: FailureChallenge | string, message: C) => string,
): Promise<Outcome> {
  return trace(tc, message, phase, (m, outcome) => {
    switch (outcome.kind) {
      case 'fail':
        m.outcome = 'fail';
        m.status = outcome.status;
        m.reason = reasonOf(outcome.challenge, m);
        return;
      case 'error': {
        m.outcome = 'error';
        m.error = outcome.error;
        m.code = codeOf(outcome.error);
        const status = (outcome.error as { status?: unknown }).status;
        m.status = typeof status === 'number' ? status : 500;
        return;
      }
      default:
        m.outcome = 'success';
    }
  });
}

import { IdTokenError } from '../core/errors.js';
import type { OktaRequest } from '../passport/request.js';
import { redirectAnswer, refusalAnswer, type OktaAnswer } from './answers.js';
import { isSignedIn, markerCookie, type GuardContext, type OktaSignInState } from './guards.js';
import { safeRedirectPath } from './redirect.js';
import { readRecord, recordOf, writeRecord, type SignInRecord } from './session-record.js';

/**
 * What to do with the outcome of a sign-in callback (Passport's custom callback: `err`,
 * `user`, `info`): log the user in and then send `finish(req)`'s answer (which keeps the
 * sign-in record and returns to the page), send an answer, or pass an error on.
 */
export type OktaSignInSettlement =
  | { kind: 'log-in'; user: unknown; finish(req: OktaRequest): OktaAnswer }
  | { kind: 'answer'; answer: OktaAnswer }
  | { kind: 'error'; error: unknown };

export interface SettleContext extends GuardContext {
  /** Where a failed sign-in goes, with its message in `req.session.messages`; else a page with its status. */
  failureRedirect: string | undefined;
}

interface Challenge {
  message?: unknown;
  error?: unknown;
  state?: unknown;
}

/** The state {@link oktaSession} started the sign-in with, checked again (the app may have started it with its own). */
export function signInStateOf(value: unknown, fallback: string): OktaSignInState {
  const state = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  const parsed: OktaSignInState = { returnTo: safeRedirectPath(state.returnTo, fallback) };
  if (state.silent === true) parsed.silent = true;
  if (typeof state.stepUp === 'string') parsed.stepUp = state.stepUp;
  return parsed;
}

/**
 * Decides what a callback ends in. A silent attempt that Okta refused returns quietly to
 * its page. A step-up that failed (Okta refused it, the ID token's `acr` or `auth_time` fell
 * short, or it came back for another user) gets a 403 page and leaves the session as it
 * was. Any other failure goes to `failureRedirect` (or gets its status). A success is logged
 * in and its record written: for a step-up of the same user, the record keeps its sign-in
 * time and notes the step-up.
 */
export function settleSignIn(
  ctx: SettleContext,
  req: OktaRequest,
  err: unknown,
  user: unknown,
  info: unknown,
  status?: number,
): OktaSignInSettlement {
  const previous = readRecord(req);
  if (err) return erred(req, previous, err);
  if (!user) return failed(ctx, req, previous, info ?? {}, status);
  const successInfo = (info ?? {}) as { state?: unknown; claims?: unknown };
  const state = signInStateOf(successInfo.state, ctx.defaultReturnTo);
  const claims = isObject(successInfo.claims) ? successInfo.claims : {};
  if (state.stepUp !== undefined && previous !== undefined && isSignedIn(req)) {
    if (claims.sub !== previous.sub || claims.iss !== previous.iss) {
      return stepUpFailed(req, previous, 'The stronger sign-in was made as another user: you are still signed in as before.');
    }
  }
  if (tooOld(ctx, claims.auth_time)) return tooOldAnswer(req, state);
  return {
    kind: 'log-in',
    user,
    finish: (after) => {
      const now = ctx.now();
      const record = recordOf(claims, now);
      if (state.stepUp !== undefined && previous?.sub === record.sub) {
        record.signedInAt = previous.signedInAt;
        record.stepUp = { acr: state.stepUp, startedAt: previous.stepUp?.startedAt ?? now, completedAt: now };
      }
      writeRecord(after, record);
      return redirectAnswer(state.returnTo, [markerCookie(ctx, after)]);
    },
  };
}

/** An error on the way (Okta's, the network's, a check's): a step-up that fell short gets its page, the rest goes to `next`. */
function erred(req: OktaRequest, previous: SignInRecord | undefined, err: unknown): OktaSignInSettlement {
  if (err instanceof IdTokenError && (err.claim === 'acr' || err.claim === 'auth_time') && previous?.stepUp) {
    return stepUpFailed(req, previous, 'The sign-in did not give the assurance this page needs.');
  }
  return { kind: 'error', error: err };
}

/** An authentication already past the absolute lifetime (see {@link tooOld}). */
function tooOldAnswer(req: OktaRequest, state: OktaSignInState): OktaSignInSettlement {
  if (state.silent) return { kind: 'answer', answer: redirectAnswer(state.returnTo) };
  const message =
    "Okta's authentication is already older than this app's session lifetime, although a newer one was asked " +
    "for (max_age): check this server's clock.";
  return { kind: 'answer', answer: refusalAnswer(req, { status: 403, reason: 'authentication_too_old', message }, true) };
}

function failed(
  ctx: SettleContext,
  req: OktaRequest,
  previous: SignInRecord | undefined,
  challenge: Challenge,
  status: number | undefined,
): OktaSignInSettlement {
  const state = signInStateOf(challenge.state, ctx.defaultReturnTo);
  if (state.silent) return { kind: 'answer', answer: redirectAnswer(state.returnTo) };
  if (state.stepUp !== undefined && previous !== undefined) {
    const message =
      challenge.error === 'unmet_authentication_requirements'
        ? 'Your account cannot give the sign-in this page needs (for example, it has no second factor): ask your administrator.'
        : 'The stronger sign-in this page needs was not completed.';
    return stepUpFailed(req, previous, message);
  }
  const message =
    typeof challenge.message === 'string' && challenge.message !== '' ? challenge.message : 'The sign-in did not complete.';
  if (ctx.failureRedirect !== undefined) {
    const session = req.session as { messages?: unknown } | undefined;
    if (session) session.messages = [...(Array.isArray(session.messages) ? (session.messages as unknown[]) : []), message];
    return { kind: 'answer', answer: redirectAnswer(ctx.failureRedirect) };
  }
  const refusal = { status: status === 401 ? 401 : 403, reason: 'sign_in_failed', message } as const;
  const answer = refusalAnswer(req, refusal, true);
  if (status !== undefined && status >= 400 && status < 500) answer.status = status;
  return { kind: 'answer', answer };
}

/** A failed step-up: 403, the session kept as it was, ready for another try. */
function stepUpFailed(req: OktaRequest, previous: SignInRecord, message: string): OktaSignInSettlement {
  writeRecord(req, { ...previous, stepUp: undefined });
  return { kind: 'answer', answer: refusalAnswer(req, { status: 403, reason: 'step_up_failed', message }, true) };
}

/**
 * Whether an `auth_time` is already past the absolute lifetime: a session made of it would
 * end at once and send the user through Okta again, a loop. Okta was asked for `max_age`,
 * so only a wrong clock gets here.
 */
function tooOld(ctx: SettleContext, authTime: unknown): boolean {
  return (
    ctx.absoluteLifetime !== undefined &&
    typeof authTime === 'number' &&
    ctx.now() - authTime * 1000 >= ctx.absoluteLifetime * 1000
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

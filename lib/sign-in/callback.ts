import { AuthorizationError, ConfigurationError } from '../core/errors.js';
import { requestPath, type OktaRequest } from '../passport/request.js';
import type { Outcome } from '../passport/strategy-base.js';

const MAX_PARAM_LENGTH = 4096;
const CALLBACK_PARAMS = ['code', 'state', 'error', 'error_description', 'error_uri', 'iss'] as const;

/** The authorization response's parameters (RFC 6749 §4.1.2, RFC 9207's `iss`). */
export type CallbackParams = Partial<Record<(typeof CALLBACK_PARAMS)[number], string>>;

/**
 * Okta redirect errors that mean "this user did not sign in", not "something broke": a
 * sign-in failure (`failureRedirect`, with Okta's description), never an error page. The
 * user could not meet `acr_values` (step-up: `unmet_authentication_requirements`), Okta
 * could not create the user just in time (`jit_failure`), was not assigned, cancelled, is
 * outside the network zones... `server_error`, `temporarily_unavailable`, `invalid_scope`
 * and the like stay errors: the app or Okta must change.
 */
const USER_FACING_ERRORS = new Set([
  'access_denied',
  'login_required',
  'consent_required',
  'interaction_required',
  'user_canceled_request',
  'unmet_authentication_requirements',
  'jit_failure',
]);

/** A sign-in failure: Passport's `fail()` with a message and an HTTP status. */
export const fail = (message: string, status: number): Outcome => ({ kind: 'fail', challenge: { message }, status });

/**
 * Reads the callback parameters from the query string, or from the body of a POST
 * (form_post). Returns undefined when the request is not a callback (no code, no error).
 */
export function readCallbackParams(
  req: OktaRequest,
  responseMode: string,
  callbackPath: string,
): CallbackParams | Outcome | undefined {
  let source: unknown;
  if (req.method === 'POST') {
    source = req.body;
    if (source === undefined) {
      // Only the callback is a callback: a POST elsewhere (a sign-in form) starts a sign-in.
      if (responseMode !== 'form_post' || requestPath(req) !== callbackPath) return undefined;
      throw new ConfigurationError(
        'The callback was POSTed (form_post) but req.body is not parsed: add express.urlencoded() to the callback route',
      );
    }
  } else {
    source = req.query ?? Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams);
  }
  if (source === null || typeof source !== 'object') return undefined;
  const raw = source as Record<string, unknown>;
  if (raw.code === undefined && raw.error === undefined) return undefined;
  const params: CallbackParams = {};
  for (const name of CALLBACK_PARAMS) {
    const value = raw[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') return fail(`The sign-in callback parameter ${name} is repeated or malformed`, 400);
    if (value.length > MAX_PARAM_LENGTH) return fail(`The sign-in callback parameter ${name} is too long`, 400);
    params[name] = value;
  }
  return params;
}

/**
 * The outcome of an `error` Okta sent to the callback: a failure the user caused (its
 * challenge carries the OAuth `error` and the sign-in's app `state`, for a custom callback
 * to tell a quiet `login_required` of a silent sign-in from a refusal), or an error.
 */
export function authorizationFailure(params: CallbackParams & { error: string }, appState: unknown): Outcome {
  const error = new AuthorizationError({ error: params.error, description: params.error_description, uri: params.error_uri });
  if (!USER_FACING_ERRORS.has(params.error)) return { kind: 'error', error };
  const challenge: { message: string; error: string; state?: unknown } = {
    message: error.description ?? error.error,
    error: error.error,
  };
  if (appState !== undefined) challenge.state = appState;
  return { kind: 'fail', challenge, status: 403 };
}

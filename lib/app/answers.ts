import type { ServerResponse } from 'node:http';
import type { OktaRequest } from '../passport/request.js';

/**
 * An answer for any framework to send: status, headers (`Set-Cookie` as a list) and body.
 * The Express middlewares send it on Node's response; with Koa or Fastify, the app sends it
 * through its framework so that the framework's own hooks run.
 */
export interface OktaAnswer {
  status: number;
  headers: { 'Set-Cookie': string[] } & Record<string, string | string[]>;
  body: string;
}

/** Why a guard of {@link oktaSession} stopped a request. */
export type OktaRefusalReason =
  /** Nobody is signed in, and the request is not a page a browser navigates to (401). */
  | 'sign_in_required'
  /** The sign-in callback failed (Okta refused it, or a check did): its page, without `failureRedirect`. */
  | 'sign_in_failed'
  /** The signed-in user is in none (or, with `all`, not in each) of the groups asked for (403). */
  | 'missing_group'
  /** The signed-in user's claims do not meet the rule (403). */
  | 'missing_claim'
  /** The sign-in is not of the class, or not recent enough, and the request cannot be sent to Okta (401). */
  | 'step_up_required'
  /** A step-up was tried and did not give what was asked, or came back for another user (403). */
  | 'step_up_failed'
  /** A sign-in came back with an `auth_time` already past the absolute lifetime (a clock is wrong) (403). */
  | 'authentication_too_old'
  /** The user is signed in, but no sign-in record was kept (signed in by another callback than `oktaSession`'s) (403). */
  | 'no_sign_in_record';

/** A guard's refusal: its status, why, and for a step-up what would meet it. */
export interface OktaRefusal {
  status: 401 | 403;
  reason: OktaRefusalReason;
  message: string;
  /** With `step_up_required`: the `acr` class asked for. */
  acrValues?: string | undefined;
  /** With `step_up_required`: the most seconds since the user's authentication. */
  maxAge?: number | undefined;
}

/**
 * Whether the request is a browser navigating to a page: a GET (or HEAD) that accepts
 * `text/html`, not marked as a script's (`X-Requested-With`), and, where the browser says so
 * (`Sec-Fetch-Mode`), a navigation. Only such a request is sent to sign in; any other gets
 * a status it can act on.
 */
export function isNavigation(req: OktaRequest): boolean {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') return false;
  const { headers } = req;
  if (headers['x-requested-with'] !== undefined) return false;
  const mode = headers['sec-fetch-mode'];
  if (typeof mode === 'string' && mode !== 'navigate') return false;
  const accept = headers.accept;
  return typeof accept === 'string' && /(^|[\s,])text\/html($|[\s,;])/i.test(accept);
}

/**
 * The answer to a refusal: a short HTML page for a browser's navigation, else JSON
 * (`{ "error": reason, "message": ... }`, with `acr_values` and `max_age` for a step-up).
 * Never cached; the messages are escaped.
 */
export function refusalAnswer(req: OktaRequest, refusal: OktaRefusal, page = isNavigation(req)): OktaAnswer {
  const headers: OktaAnswer['headers'] = { 'Set-Cookie': [], 'Cache-Control': 'no-store', Vary: 'Accept' };
  if (page) {
    const title = refusal.status === 401 ? 'Sign-in required' : 'Forbidden';
    headers['Content-Type'] = 'text/html; charset=utf-8';
    const body = `<!doctype html>\n<meta charset="utf-8">\n<title>${title}</title>\n<h1>${title}</h1>\n<p>${escapeHtml(refusal.message)}</p>\n`;
    return { status: refusal.status, headers, body };
  }
  const json: Record<string, unknown> = { error: refusal.reason, message: refusal.message };
  if (refusal.acrValues !== undefined) json.acr_values = refusal.acrValues;
  if (refusal.maxAge !== undefined) json.max_age = refusal.maxAge;
  headers['Content-Type'] = 'application/json; charset=utf-8';
  return { status: refusal.status, headers, body: JSON.stringify(json) };
}

/** A redirect answer, with cookies to set. */
export function redirectAnswer(location: string, cookies: string[] = []): OktaAnswer {
  return { status: 302, headers: { 'Set-Cookie': cookies, Location: location, 'Cache-Control': 'no-store' }, body: '' };
}

/** Sends an answer on Node's response, adding to the cookies already set on it. */
export function sendAnswer(res: ServerResponse, answer: OktaAnswer): void {
  const { 'Set-Cookie': cookies, ...rest } = answer.headers;
  for (const cookie of cookies) res.appendHeader('Set-Cookie', cookie);
  for (const [name, value] of Object.entries(rest)) res.setHeader(name, value);
  res.statusCode = answer.status;
  res.end(answer.body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

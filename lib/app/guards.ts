import { parse as parseCookies, serialize as serializeCookie, type SerializeOptions } from 'cookie';
import { acrMeets, claimsMeet, inGroups, recentEnough, type ClaimRule } from '../core/claims.js';
import { userProperty } from '../passport/fields.js';
import { requestOrigin, requestPath, type OktaRequest } from '../passport/request.js';
import { isNavigation, type OktaRefusal } from './answers.js';
import { safeRedirectPath } from './redirect.js';
import { readRecord, writeRecord, type SignInRecord } from './session-record.js';

/**
 * The application `state` of a sign-in that {@link oktaSession} starts, returned to its
 * callback: where to go afterwards, and whether it is a silent attempt or a step-up.
 */
export interface OktaSignInState {
  /** A same-origin path (see `safeRedirectPath`). */
  returnTo: string;
  /** A `prompt=none` attempt of `silentSignIn()`: a refusal returns quietly. */
  silent?: true | undefined;
  /** A step-up of `requireAcr()`: the class asked for; the callback must be for the same user. */
  stepUp?: string | undefined;
}

/** The options a guard starts a sign-in with (`passport.authenticate(name, options)`). */
export interface OktaSignInOptions {
  state: OktaSignInState;
  prompt?: string | undefined;
  acrValues?: string | undefined;
  maxAge?: number | undefined;
}

/**
 * What a guard decided for a request: let it through, start a sign-in at Okta (setting
 * `cookies` on the redirect), or refuse it. Every framework applies it its own way; the
 * Express middlewares apply it themselves.
 */
export type OktaGuardDecision =
  | { kind: 'pass' }
  | { kind: 'sign-in'; options: OktaSignInOptions; cookies: string[] }
  | { kind: 'refuse'; refusal: OktaRefusal };

/** What the decisions need from {@link oktaSession}'s settings. */
export interface GuardContext {
  now: () => number;
  defaultReturnTo: string;
  /** Name of the cookie that marks a browser where a sign-in was started (no silent attempt then). */
  markerCookie: string;
  /** Seconds the marker lives; undefined: until the browser session ends. */
  markerMaxAge: number | undefined;
  /** Paths where a silent attempt never starts (the callback, the failure page). */
  quietPaths: readonly string[];
  /** Said once, when a signed-in user has no sign-in record. */
  warnNoRecord: () => void;
  /**
   * The absolute session lifetime in seconds, if any: every sign-in asks for a `max_age`
   * within it ({@link signInMaxAge}), so that Okta authenticates the user again rather than
   * hand back an `auth_time` that would end the new session at once (a loop through Okta's session).
   */
  absoluteLifetime: number | undefined;
}

/** Paths longer than this are not carried through a sign-in (the `state` option's size is bounded). */
const MAX_RETURN_PATH = 1024;
/** A step-up completed this recently that still falls short is refused rather than sent again. */
export const STEP_UP_GRACE_MS = 60_000;

const PASS: OktaGuardDecision = { kind: 'pass' };

/** Whether Passport has a user on this request. */
export function isSignedIn(req: OktaRequest): boolean {
  return (req as unknown as Record<string, unknown>)[userProperty(req)] != null;
}

/** The request's own path and query, if safe and short enough to return to; else the default. */
export function returnPath(req: OktaRequest, fallback: string): string {
  const path = safeRedirectPath((req as { originalUrl?: string }).originalUrl ?? req.url, fallback);
  return path.length > MAX_RETURN_PATH ? fallback : path;
}

/** The cookie that marks this browser as one where a sign-in started (or ended) here. */
export function markerCookie(ctx: GuardContext, req: OktaRequest): string {
  const options: SerializeOptions = {
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    secure: requestOrigin(req).protocol === 'https',
  };
  if (ctx.markerMaxAge !== undefined) options.maxAge = ctx.markerMaxAge;
  return serializeCookie(ctx.markerCookie, '1', options);
}

/**
 * A sign-in that returns to `returnTo` (by default the request's own path), asking for
 * `max_age` no longer than the absolute session lifetime, marking the browser.
 */
export function startSignIn(
  ctx: GuardContext,
  req: OktaRequest,
  extra: Omit<OktaSignInOptions, 'state'>,
  state: Partial<OktaSignInState> = {},
): OktaGuardDecision {
  const options: OktaSignInOptions = { state: { returnTo: returnPath(req, ctx.defaultReturnTo), ...state } };
  if (extra.prompt !== undefined) options.prompt = extra.prompt;
  if (extra.acrValues !== undefined) options.acrValues = extra.acrValues;
  const maxAges = [extra.maxAge, signInMaxAge(ctx.absoluteLifetime)].filter((age): age is number => age !== undefined);
  if (maxAges.length > 0) options.maxAge = Math.min(...maxAges);
  return { kind: 'sign-in', options, cookies: [markerCookie(ctx, req)] };
}

/**
 * The `max_age` that keeps a new session clear of the absolute lifetime: a little shorter
 * (a minute, or a quarter of a short lifetime), so that an Okta session about to pass the
 * lifetime is authenticated again rather than handed back at the edge (`auth_time` has
 * whole seconds) and refused.
 */
export function signInMaxAge(absoluteLifetime: number | undefined): number | undefined {
  if (absoluteLifetime === undefined) return undefined;
  return Math.max(0, absoluteLifetime - Math.min(60, Math.ceil(absoluteLifetime / 4)));
}

function refuse(status: 401 | 403, reason: OktaRefusal['reason'], message: string): OktaGuardDecision {
  return { kind: 'refuse', refusal: { status, reason, message } };
}

/** `requireSignIn()`: a user passes; a navigation is sent to sign in and back; anything else gets 401. */
export function decideSignIn(
  ctx: GuardContext,
  req: OktaRequest,
  extra: Omit<OktaSignInOptions, 'state'> = {},
): OktaGuardDecision {
  if (isSignedIn(req)) return PASS;
  if (isNavigation(req)) return startSignIn(ctx, req, extra);
  return refuse(401, 'sign_in_required', 'Sign in to use this resource.');
}

/**
 * The checks on a signed-in user's sign-in record (groups, claims): anonymous gets
 * {@link decideSignIn}'s answer; a user without a record or who falls short gets 403,
 * never a new sign-in, so never a loop.
 */
export function decideOnRecord(
  ctx: GuardContext,
  req: OktaRequest,
  meets: (record: SignInRecord) => boolean,
  short: { reason: 'missing_group' | 'missing_claim'; message: string },
): OktaGuardDecision {
  if (!isSignedIn(req)) return decideSignIn(ctx, req);
  const record = readRecord(req);
  if (record === undefined) {
    ctx.warnNoRecord();
    return refuse(403, 'no_sign_in_record', 'This page needs a sign-in record that this session does not have.');
  }
  return meets(record) ? PASS : refuse(403, short.reason, short.message);
}

export function decideGroups(
  ctx: GuardContext,
  req: OktaRequest,
  groups: readonly string[],
  all: boolean,
  claim = 'groups',
): OktaGuardDecision {
  return decideOnRecord(ctx, req, (record) => inGroups(record.claims, groups, all, claim), {
    reason: 'missing_group',
    message: 'Your account is not in a group that may use this page.',
  });
}

export function decideClaims(ctx: GuardContext, req: OktaRequest, rule: ClaimRule): OktaGuardDecision {
  return decideOnRecord(ctx, req, (record) => claimsMeet(record.claims, rule), {
    reason: 'missing_claim',
    message: 'Your account does not have what this page needs.',
  });
}

/**
 * `requireAcr(acr, { maxAge })`: a sign-in of class `acr` (or a stronger one of Okta's) no
 * older than `maxAge` passes. Else a navigation starts a step-up (`acr_values`, `max_age`)
 * and is marked in the record; a step-up completed moments ago that still falls short is
 * refused (403) instead of being sent again. Anything but a navigation gets 401 with what
 * would meet it.
 */
export function decideAcr(ctx: GuardContext, req: OktaRequest, acr: string, maxAge: number | undefined): OktaGuardDecision {
  if (!isSignedIn(req)) return decideSignIn(ctx, req, { acrValues: acr, maxAge });
  const record = readRecord(req);
  if (record === undefined) {
    ctx.warnNoRecord();
    return refuse(403, 'no_sign_in_record', 'This page needs a sign-in record that this session does not have.');
  }
  const now = ctx.now();
  if (acrMeets(record.acr, acr) && recentEnough(record.authTime, maxAge, now)) return PASS;
  if (!isNavigation(req)) {
    return {
      kind: 'refuse',
      refusal: {
        status: 401,
        reason: 'step_up_required',
        message: 'This resource needs a stronger or more recent sign-in.',
        acrValues: acr,
        maxAge,
      },
    };
  }
  const last = record.stepUp;
  if (last?.acr === acr && last.completedAt !== undefined && now - last.completedAt < STEP_UP_GRACE_MS) {
    return refuse(403, 'step_up_failed', 'The sign-in did not give the assurance this page needs.');
  }
  writeRecord(req, { ...record, stepUp: { acr, startedAt: now } });
  return startSignIn(ctx, req, { acrValues: acr, maxAge }, { stepUp: acr });
}

/**
 * `silentSignIn()`: for an anonymous navigation, one `prompt=none` attempt per browser (the
 * marker cookie); never for a user, a request that is not a navigation, a browser that
 * already started a sign-in here (the marker, set by every start), or the callback and
 * failure pages.
 */
export function decideSilent(ctx: GuardContext, req: OktaRequest): OktaGuardDecision {
  if (isSignedIn(req) || !isNavigation(req)) return PASS;
  if (ctx.quietPaths.includes(requestPath(req))) return PASS;
  const cookies = parseCookies(typeof req.headers.cookie === 'string' ? req.headers.cookie : '');
  if (cookies[ctx.markerCookie] !== undefined) return PASS;
  return startSignIn(ctx, req, { prompt: 'none' }, { silent: true });
}

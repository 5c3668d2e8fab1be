import { IdTokenError, TokenError } from '../../lib/core/errors.js';
import {
  OktaStrategy,
  type OktaAuthenticateOptions,
  type OktaProfile,
  type OktaStrategyOptions,
  type VerifyFunction,
} from '../../lib/index.js';
import { type OktaRequest } from '../../lib/passport/request.js';
import { CLIENT_ID, CLIENT_SECRET, type HostileOkta } from './hostile-okta.js';
import { request, run, type Outcome } from './passport.js';
import { expectNoLeak } from './secret-leaks.js';

export type Session = Record<string, unknown>;

/** The app's user: who Okta said signed in. */
export interface TestUser {
  id: string;
  profile: OktaProfile;
}

export const keepUser: VerifyFunction = async (_tokens, profile): Promise<TestUser> => ({ id: profile.id, profile });

/** A strategy for `okta`, as an app would configure it, with short timeouts for tests. */
export function makeStrategy(
  okta: Pick<HostileOkta, 'origin' | 'authServerId'>,
  options: Partial<OktaStrategyOptions> = {},
  verify: VerifyFunction = keepUser,
): OktaStrategy {
  return new OktaStrategy(
    {
      oktaDomain: okta.origin,
      authServerId: okta.authServerId,
      clientID: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      callbackURL: '/auth/okta/callback',
      scope: ['openid'],
      userInfo: 'auto',
      timeout: 2000,
      // The cases shape and count Okta's requests from the first sign-in on; the fetch at
      // construction is tested in test/integration/sign-in-latency.test.ts.
      prefetchKeys: false,
      ...options,
    },
    verify,
  );
}

export interface SignIn {
  outcome: Outcome;
  session: Session;
  /** Where the strategy sent the browser. */
  authorizeURL: URL;
  /** Where the provider sent the browser back. */
  callbackURL: URL;
}

export interface SignInOptions {
  session?: Session;
  /** Okta user to sign in as (sent as `login_hint`). Default `alice`. */
  user?: string;
  authenticate?: OktaAuthenticateOptions;
  /** Lets a test tamper with the callback before the browser follows it. */
  editCallback?: (url: URL) => void;
  /** What the sign-in is called in a report of a leaked secret. */
  where?: string;
  /** Issue the code in-process instead of over HTTP (the token call stays HTTP). For floods. */
  directAuthorize?: boolean;
}

/** Starts a sign-in: runs the strategy's start phase and returns Okta's authorization URL. */
export async function startSignIn(strategy: OktaStrategy, session: Session, options: SignInOptions = {}): Promise<URL> {
  const start = await run(strategy, request({ url: '/login', session }), {
    loginHint: options.user ?? 'alice',
    ...options.authenticate,
  });
  if (start.kind !== 'redirect') throw new Error(`expected a redirect to Okta, got ${describeOutcome(start)}`);
  return new URL(start.url);
}

/** The callback request a browser makes when Okta redirects it to `url`. */
export function callbackRequest(url: URL, session: Session): OktaRequest {
  return request({ url: url.pathname + url.search, session });
}

/**
 * A whole sign-in as a browser makes it: start (strategy) → `/authorize` (provider, over
 * HTTP) → callback (strategy, which calls the provider's token endpoint over HTTP). An error
 * or fail outcome is searched for the secrets the provider saw (`expectNoLeak`).
 */
export async function signIn(strategy: OktaStrategy, okta: HostileOkta, options: SignInOptions = {}): Promise<SignIn> {
  const session = options.session ?? {};
  const authorizeURL = await startSignIn(strategy, session, options);
  const callbackURL = options.directAuthorize
    ? okta.callbackFor(okta.issueCode(authorizeURL.searchParams))
    : await okta.authorize(authorizeURL);
  options.editCallback?.(callbackURL);
  const outcome = await run(strategy, callbackRequest(callbackURL, session));
  expectNoLeak({ where: options.where ?? 'signIn', outcome }, okta.secrets);
  return { outcome, session, authorizeURL, callbackURL };
}

/** One line for a case report: `accepted: user 00ualice`, `rejected: IdTokenError alg`, ... */
export function describeOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'success':
      return `accepted: user ${(outcome.user as TestUser).id}`;
    case 'fail': {
      const message = (outcome.challenge as { message?: string } | undefined)?.message ?? '';
      return `rejected: fail ${outcome.status ?? ''} ${clip(message, 70)}`;
    }
    case 'error': {
      const err = outcome.error;
      if (err instanceof IdTokenError) return `rejected: ${err.name} ${err.claim} (${err.reason})`;
      if (err instanceof TokenError) return `rejected: ${err.name} ${err.error} (${err.oktaStatus})`;
      return `rejected: ${err.name}: ${clip(err.message, 80)}`;
    }
    case 'redirect':
      return `redirect to ${clip(outcome.url, 60)}`;
    case 'pass':
      return 'pass';
  }
}

/** `  id ........ result`, aligned. */
export function caseLine(id: string, result: string): string {
  return `      ${id} ${'.'.repeat(Math.max(3, 46 - id.length))} ${result}`;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns true or `ms` pass; returns its last answer. */
export async function eventually(probe: () => boolean, ms = 2000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > until) return false;
    await sleep(10);
  }
  return true;
}

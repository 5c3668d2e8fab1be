import { Strategy } from 'passport-strategy';
import type { OktaRequest } from './request.js';
import { endUnanswered } from './response.js';
import { asError, isThenable } from './verify.js';

/** A Passport failure challenge, as `fail()` takes it. */
export interface FailureChallenge {
  message: string;
  [key: string]: unknown;
}

/**
 * The methods Passport adds to a strategy while it authenticates a request
 * (passport-strategy's contract), typed here so that the published types do not
 * depend on `@types/passport-strategy` or `@types/express`.
 */
export interface PassportStrategyBase {
  name?: string | undefined;
  authenticate(req: OktaRequest, options?: object): void;
  success(user: unknown, info?: object): void;
  fail(challenge?: FailureChallenge | string | number, status?: number): void;
  redirect(url: string, status?: number): void;
  pass(): void;
  error(err: Error): void;
}

/**
 * passport-strategy's `Strategy` class, with the types above. A named import: Node
 * finds `exports.Strategy` in the CommonJS module when the ES module build imports it,
 * and the CommonJS build reads it from `require()`.
 */
export const PassportStrategy = Strategy as unknown as new () => PassportStrategyBase;

/** What one request's authentication ends in: exactly one of Passport's four outcomes. */
export type Outcome<Info extends object = object> =
  | { kind: 'redirect'; url: string }
  | { kind: 'success'; user: unknown; info: Info }
  | {
      kind: 'fail';
      challenge: FailureChallenge | string;
      status: number;
      /** Headers Passport does not set itself (it sets `WWW-Authenticate` from a string challenge on 401 only). */
      headers?: Record<string, string> | undefined;
    }
  | { kind: 'error'; error: Error };

/** Told of an exception thrown after the outcome was handed to Passport. */
export type ReportErrorHandler = (err: Error, req: OktaRequest) => void;

/**
 * What both strategies share: handing exactly one {@link Outcome} per request to Passport,
 * and never letting what Passport or the app throws after that end the process.
 *
 * Passport calls `authenticate` on `Object.create(strategy)`, a fresh object per request
 * whose prototype is the registered strategy, with `success`, `fail`, `redirect`, `pass`
 * and `error` added. So nothing per request is stored on `this`, and what several requests
 * share (caches, warnings given once) lives in objects the strategy made in its
 * constructor, reached through the prototype. `#private` members cannot be used: they
 * throw on the derived object.
 */
export abstract class OktaPassportStrategy extends PassportStrategy {
  protected readonly onReportError: ReportErrorHandler;

  constructor(onReportError: ReportErrorHandler | undefined, what: string) {
    super();
    this.onReportError =
      onReportError ??
      ((err) => {
        logReportError(err, what);
      });
  }

  /** Reports a phase's outcome now, or once its promise settles (a rejection is an error outcome). */
  protected settle(req: OktaRequest, phase: Outcome | PromiseLike<Outcome>): void {
    if (!isThenable(phase)) {
      this.report(req, phase);
      return;
    }
    void Promise.resolve(phase).then(
      (outcome) => {
        this.report(req, outcome);
      },
      (err: unknown) => {
        this.report(req, { kind: 'error', error: asError(err) });
      },
    );
  }

  /** An error as it is handed to Passport: a subclass may name its cause better. */
  protected explain(err: Error): Error {
    return err;
  }

  /**
   * Hands the outcome to Passport. Whatever Passport or the app then throws (a custom
   * callback's bug, a response already sent by a timeout) must not become an unhandled
   * rejection, which ends the process: it is reported once, to `onReportError`, and a
   * response left unanswered gets a 500.
   */
  protected report(req: OktaRequest, outcome: Outcome): void {
    try {
      switch (outcome.kind) {
        case 'redirect':
          this.redirect(outcome.url);
          return;
        case 'success':
          this.success(outcome.user, outcome.info);
          return;
        case 'fail':
          setHeaders(req, outcome.headers);
          this.fail(outcome.challenge, outcome.status);
          return;
        case 'error': {
          const error = this.explain(outcome.error);
          const retryAfter = retryAfterOf(error);
          if (retryAfter !== undefined) setHeaders(req, { 'Retry-After': String(retryAfter) });
          this.error(error);
          return;
        }
      }
    } catch (err) {
      try {
        this.onReportError(asError(err), req);
      } catch {
        // The app's own logger failed: there is nobody left to tell.
      }
      if (req.res) endUnanswered(req.res);
    }
  }
}

function setHeaders(req: OktaRequest, headers: Record<string, string> | undefined): void {
  const res = req.res;
  if (headers === undefined || !res || res.headersSent) return;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
}

/** Whole seconds until a rate limit, a key set or a store may be tried again, when the error says. */
export function retryAfterOf(err: Error): number | undefined {
  const when = (err as { retryAt?: unknown }).retryAt ?? (err as { rateLimit?: { reset?: unknown } }).rateLimit?.reset;
  if (!(when instanceof Date)) return undefined;
  return Math.max(1, Math.ceil((when.getTime() - Date.now()) / 1000));
}

function logReportError(err: Error, what: string): void {
  console.error(`passport-okta-oidc: an exception was thrown after the ${what} outcome was handed to Passport:`, err);
}

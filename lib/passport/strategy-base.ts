import { Strategy } from 'passport-strategy';
import type { OktaRequest } from './request.js';

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

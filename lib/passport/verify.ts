import { ConfigurationError, OktaError } from '../core/errors.js';

/** What a verify function returns: nothing (it calls `done`), or a promise of the user (`false`/`undefined` refuses). */
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- void, not undefined: a verify function that calls done and returns nothing must fit
export type VerifyResult = void | Promise<unknown>;

/** What the verify function hands back through `done`, or as the value of its promise. */
export type VerifyCallback = (err?: Error | null, user?: unknown, info?: object) => void;

/**
 * A strategy's verify function, ready to run for a request: `args` are what the strategy
 * hands it (tokens and profile, or claims and token), the request goes first with
 * `passReqToCallback`, `done` last. Whether it answers through `done` is decided by what it
 * does, not by its source: a function that declares `done` (as many parameters as it is
 * given) may resolve to `undefined` and call `done` later; any function may call `done`
 * instead of returning a promise (NestJS's `(...args)` wrapper calls it before resolving).
 * With no answer within `timeoutMs`, the request ends in a {@link ConfigurationError}.
 */
export function verifyRunner(
  verify: (...args: never[]) => unknown,
  options: { passReqToCallback: boolean; arguments: number; timeoutMs: number },
): (req: unknown, args: readonly unknown[]) => Promise<{ user: unknown; info: object }> {
  const given = options.arguments + (options.passReqToCallback ? 1 : 0) + 1;
  const mayCallDone = verify.length >= given;
  const call = verify as (...args: unknown[]) => unknown;
  return (req, args) =>
    runVerify((done) => (options.passReqToCallback ? call(req, ...args, done) : call(...args, done)), {
      mayCallDone,
      timeoutMs: options.timeoutMs,
    });
}

/**
 * Runs a verify function and takes the first of: `done` called, or its returned promise
 * resolving to a value. A promise resolving to `undefined` waits for `done` when the
 * function may call it, and refuses the user otherwise. When nothing decides: with
 * `timeoutMs`, an error after that long; without it, a function that returned no promise
 * and cannot call `done` is an error at once.
 */
export function runVerify(
  call: (done: VerifyCallback) => unknown,
  options: { mayCallDone: boolean; timeoutMs?: number | undefined },
): Promise<{ user: unknown; info: object }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done: VerifyCallback = (err, user, info) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      if (err) reject(err);
      else resolve({ user, info: info ?? {} });
    };
    if (options.timeoutMs !== undefined) {
      const waited = `${options.timeoutMs} ms`;
      timer = setTimeout(() => {
        done(
          new ConfigurationError(
            `The verify function neither called done nor resolved to a user within ${waited}: ` +
              'return the user (or false) from an async function, or call done(err, user)',
          ),
        );
      }, options.timeoutMs);
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- a fake clock's timers (Jest, sinon) may have no unref
      timer.unref?.();
    }
    let returned: unknown;
    try {
      returned = call(done);
    } catch (err) {
      done(asError(err));
      return;
    }
    if (isThenable(returned)) {
      returned.then(
        (user) => {
          if (user !== undefined || !options.mayCallDone) done(null, user);
        },
        (err: unknown) => {
          done(asError(err));
        },
      );
    } else if (options.timeoutMs === undefined && !options.mayCallDone) {
      done(new ConfigurationError('The verify function must return a promise of the user, or call done'));
    }
  });
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

/** What was thrown, as an Error (a thrown string or object says only its type). */
export function asError(err: unknown): Error {
  if (err instanceof Error) return err;
  return new OktaError(`Non-error thrown: ${typeof err}`);
}

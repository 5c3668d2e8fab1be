import { expect } from 'chai';
import { ConfigurationError, OktaError } from '../../../lib/core/errors.js';
import { asError, runVerify, verifyRunner, type VerifyCallback } from '../../../lib/passport/verify.js';

// Through the strategies: test/unit/sign-in/strategy.test.ts ("verify function"),
// test/integration/strategy-http.test.ts (decided by what it does, not by its parameters),
// the NestJS apps of test/frameworks/.

type Verify = (...args: never[]) => unknown;
/** Runs `verify` as the sign-in strategy does: tokens and profile, then done. */
const runner = (verify: Verify, options: { passReqToCallback?: boolean; timeoutMs?: number } = {}) =>
  verifyRunner(verify, {
    passReqToCallback: options.passReqToCallback ?? false,
    arguments: 2,
    timeoutMs: options.timeoutMs ?? 1000,
  });
const settle = <T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> =>
  promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
const tick = (ms = 5): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the verify runner (passport/verify.ts)', () => {
  describe('a verify function that returns a promise', () => {
    it('signs in the user it resolves to, with empty info', async () => {
      const run = runner(async (_tokens: unknown, profile: { id: string }) => ({ id: profile.id }));
      expect(await run({}, ['tokens', { id: '00u1' }])).to.deep.equal({ user: { id: '00u1' }, info: {} });
    });

    it('refuses with the false or undefined it resolves to, when it cannot call done', async () => {
      expect((await runner(async () => false)({}, ['t', 'p'])).user).to.equal(false);
      expect((await runner(async (_t: unknown) => undefined)({}, ['t', 'p'])).user).to.equal(undefined);
    });

    it('reports what it rejects with, and what it throws before returning', async () => {
      const boom = new Error('database down');
      expect((await settle(runner(async () => Promise.reject(boom))({}, []))).error).to.equal(boom);
      const thrower = (() => {
        throw boom;
      }) as Verify;
      expect((await settle(runner(thrower)({}, []))).error).to.equal(boom);
    });
  });

  describe('a verify function that calls done', () => {
    it('is given done last, after the request with passReqToCallback', async () => {
      const seen: unknown[][] = [];
      const verify = (...args: unknown[]): void => {
        seen.push(args.slice(0, -1));
        (args.at(-1) as VerifyCallback)(null, { id: 'u' }, { message: 'welcome' });
      };
      const withReq = verifyRunner(verify as Verify, { passReqToCallback: true, arguments: 2, timeoutMs: 1000 });
      expect(await withReq('req', ['tokens', 'profile'])).to.deep.equal({ user: { id: 'u' }, info: { message: 'welcome' } });
      expect(seen).to.deep.equal([['req', 'tokens', 'profile']]);
    });

    it('waits for done after an async function that declares it resolves to undefined', async () => {
      const verify = async (_tokens: unknown, _profile: unknown, done: VerifyCallback): Promise<undefined> => {
        setTimeout(() => done(null, { id: 'later' }), 20);
        return undefined;
      };
      expect((await runner(verify)({}, ['t', 'p'])).user).to.deep.equal({ id: 'later' });
    });

    it("takes the first answer: NestJS's (...args) wrapper calls done, then its promise resolves", async () => {
      // What @nestjs/passport's PassportStrategy hands Passport: no declared parameters, an
      // async function that awaits validate() and passes the result to done.
      const validate = async (): Promise<object> => ({ id: 'nest-user' });
      const nestWrapper = async (...params: unknown[]): Promise<void> => {
        const done = params[params.length - 1] as VerifyCallback;
        done(null, await validate());
      };
      expect(nestWrapper.length).to.equal(0);
      expect((await runner(nestWrapper as Verify)({}, ['t', 'p'])).user).to.deep.equal({ id: 'nest-user' });
    });

    it('ignores every answer after the first', async () => {
      const verify = (_t: unknown, _p: unknown, done: VerifyCallback): Promise<object> => {
        done(null, { id: 'first' });
        done(new Error('second'));
        return Promise.resolve({ id: 'third' });
      };
      expect((await runner(verify as Verify)({}, ['t', 'p'])).user).to.deep.equal({ id: 'first' });
    });

    it('reports the error passed to done', async () => {
      const boom = new Error('refused by the app');
      const verify = (_t: unknown, _p: unknown, done: VerifyCallback): void => done(boom);
      expect((await settle(runner(verify as Verify)({}, ['t', 'p']))).error).to.equal(boom);
    });
  });

  describe('a verify function that never answers', () => {
    it('ends in a ConfigurationError after timeoutMs that says what to do', async () => {
      const started = Date.now();
      const { error } = await settle(
        runner(((_t: unknown, _p: unknown, _done: VerifyCallback) => undefined) as Verify, { timeoutMs: 30 })({}, ['t', 'p']),
      );
      expect(error)
        .to.be.instanceOf(ConfigurationError)
        .with.property('message')
        .that.matches(/within 30 ms: return the user/);
      expect(Date.now() - started).to.be.within(25, 500);
    });

    it('without a timeout, fails at once when it returned no promise and cannot call done', async () => {
      const { error } = await settle(runVerify(() => undefined, { mayCallDone: false }));
      expect(error)
        .to.be.instanceOf(ConfigurationError)
        .with.property('message', 'The verify function must return a promise of the user, or call done');
    });

    it('without a timeout, waits for done when it may call it', async () => {
      let done!: VerifyCallback;
      const pending = runVerify((d) => (done = d), { mayCallDone: true });
      await tick();
      done(null, 'u');
      expect((await pending).user).to.equal('u');
    });
  });

  it('asError: an Error as it is, anything else thrown as an OktaError that says only its type', () => {
    const err = new TypeError('x');
    expect(asError(err)).to.equal(err);
    const wrapped = asError('the secret value');
    expect(wrapped).to.be.instanceOf(OktaError).with.property('message', 'Non-error thrown: string');
    expect(asError({ token: 'abc' }).message).to.equal('Non-error thrown: object');
  });
});

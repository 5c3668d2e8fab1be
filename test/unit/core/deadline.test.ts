import { expect } from 'chai';
import { withDeadline } from '../../../lib/core/deadline.js';

const timeouts = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
const late = <T>(value: T, ms: number): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value), ms));

describe('withDeadline (core/deadline.ts)', () => {
  const expired = (): Error => new Error('too slow');

  it('passes a value that is not a promise through at once, the same value, with no timer', () => {
    const value = { user: 'alice' };
    const before = timeouts();
    expect(withDeadline(value, 10, expired)).to.equal(value);
    expect(withDeadline(undefined, 10, expired)).to.equal(undefined);
    expect(timeouts()).to.equal(before);
  });

  it('resolves with what settles in time', async () => {
    expect(await withDeadline(late('ok', 5), 500, expired)).to.equal('ok');
    // A thenable that is not a Promise (what some stores' clients return).
    const thenable = { then: (resolve: (value: string) => void) => resolve('thenable') } as PromiseLike<string>;
    expect(await withDeadline(thenable, 500, expired)).to.equal('thenable');
  });

  it("rejects with onTimeout's error when nothing settles in time, and ignores what settles after", async () => {
    const started = Date.now();
    const outcome = await Promise.resolve(withDeadline(late('too late', 200), 30, expired)).then(
      (value) => ({ value }),
      (err: unknown) => ({ err }),
    );
    expect(outcome).to.have.property('err').that.is.instanceOf(Error).with.property('message', 'too slow');
    expect(Date.now() - started).to.be.below(150);
  });

  it('passes a rejection on, turning a thrown non-Error into an Error', async () => {
    const boom = new Error('boom');
    expect(await withDeadline(Promise.reject(boom), 500, expired).catch((err: unknown) => err)).to.equal(boom);
    const wrapped = await withDeadline(Promise.reject('a string'), 500, expired).catch((err: unknown) => err);
    expect(wrapped).to.be.instanceOf(Error).with.property('message', 'a string');
  });

  it('does not hold the process open while it waits', async () => {
    let resolve!: (value: string) => void;
    const pending = new Promise<string>((r) => (resolve = r));
    const before = timeouts();
    const guarded = withDeadline(pending, 60_000, expired);
    expect(timeouts(), 'the deadline timer is unref()ed').to.equal(before);
    resolve('done');
    expect(await guarded).to.equal('done');
  });
});

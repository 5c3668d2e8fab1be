import { expect } from 'chai';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { endUnanswered, redirect, runAsync } from '../../../lib/passport/response.js';

// Over HTTP: a throwing next() or a failing store ends the response instead of the process
// (test/security/hardening.test.ts, test/security/refresh.test.ts).

const response = (): ServerResponse => new ServerResponse(new IncomingMessage(new Socket()));
const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('response helpers (passport/response.ts)', () => {
  describe('runAsync', () => {
    it("calls next() for 'next', nothing for 'answered', next(err) for a rejection, each once", async () => {
      const calls: unknown[][] = [];
      const next = (...args: unknown[]): void => void calls.push(args);
      const boom = new Error('store down');
      runAsync(response(), next, async () => 'next');
      runAsync(response(), next, async () => 'answered');
      runAsync(response(), next, async () => Promise.reject(boom));
      await settled();
      expect(calls).to.deep.equal([[], [boom]]);
    });

    it('ends the response with a 500 when next throws, instead of an unhandled rejection', async () => {
      const res = response();
      runAsync(
        res,
        () => {
          throw new Error('a throwing error handler');
        },
        async () => 'next',
      );
      await settled();
      expect(res.statusCode).to.equal(500);
      expect(res.writableEnded).to.equal(true);
    });
  });

  describe('endUnanswered', () => {
    it('answers 500 when nothing was sent', () => {
      const res = response();
      endUnanswered(res);
      expect([res.statusCode, res.getHeader('content-type'), res.writableEnded]).to.deep.equal([
        500,
        'text/plain; charset=utf-8',
        true,
      ]);
    });

    it('destroys a response whose answer had begun, and leaves a finished one alone', () => {
      const begun = response();
      begun.writeHead(200);
      begun.flushHeaders();
      endUnanswered(begun);
      expect(begun.destroyed).to.equal(true);
      const done = response();
      done.statusCode = 204;
      done.end();
      endUnanswered(done);
      expect([done.statusCode, done.destroyed]).to.deep.equal([204, false]);
    });
  });

  it('redirect: a 302 to the location, with no body', () => {
    const res = response();
    redirect(res, '/me');
    expect([res.statusCode, res.getHeader('location'), res.writableEnded]).to.deep.equal([302, '/me', true]);
  });
});

import { execFile } from 'node:child_process';
import { tracingChannel } from 'node:diagnostics_channel';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { codeOf, diagnosticsChannels, trace, type TracedStep } from '../../../lib/core/diagnostics.js';
import { ConfigurationError } from '../../../lib/core/errors.js';

const channel = tracingChannel<unknown, TracedStep & { step: string }>('passport-okta-oidc:test:step');
const EVENTS = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const;

/** Records `event step` for each event of the test channel while `run` runs. */
async function recorded(run: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const handlers = Object.fromEntries(
    EVENTS.map((event) => [event, (m: TracedStep & { step: string }) => seen.push(`${event} ${m.step} ${m.code ?? ''}`.trim())]),
  ) as unknown as Parameters<typeof channel.subscribe>[0];
  channel.subscribe(handlers);
  try {
    await run().catch(() => undefined);
  } finally {
    channel.unsubscribe(handlers);
  }
  return seen;
}

describe('core/diagnostics', () => {
  it('names every channel under passport-okta-oidc:', () => {
    for (const name of Object.values(diagnosticsChannels)) expect(name).to.match(/^passport-okta-oidc(:[a-z-]+){1,2}$/);
  });

  it('traces a step: start, end, then asyncStart and asyncEnd once it settles, with its duration', async () => {
    let message: (TracedStep & { step: string }) | undefined;
    const seen = await recorded(async () => {
      message = { step: 'ok' };
      const value = await trace(
        channel,
        message,
        async () => 42,
        (m, result) => {
          m.step = `ok:${result}`;
        },
      );
      expect(value).to.equal(42);
    });
    expect(seen).to.deep.equal(['start ok', 'end ok', 'asyncStart ok:42', 'asyncEnd ok:42']);
    expect(message?.duration).to.be.a('number').at.least(0);
  });

  it('tells a rejection on error with its code, and passes it on', async () => {
    const failure = new ConfigurationError('bad');
    const seen = await recorded(async () => {
      const outcome = await trace(channel, { step: 'bad' }, () => Promise.reject(failure)).catch((err: unknown) => err);
      expect(outcome).to.equal(failure);
    });
    expect(seen).to.deep.equal([
      'start bad',
      'end bad',
      'error bad ERR_OKTA_CONFIGURATION',
      'asyncStart bad ERR_OKTA_CONFIGURATION',
      'asyncEnd bad ERR_OKTA_CONFIGURATION',
    ]);
  });

  it('tells a synchronous throw as a rejection, so each start has its asyncEnd', async () => {
    const seen = await recorded(async () => {
      const outcome = await trace(channel, { step: 'throws' }, () => {
        throw new TypeError('sync');
      }).catch((err: unknown) => err);
      expect(outcome).to.be.instanceOf(TypeError);
    });
    expect(seen.at(-1)).to.equal('asyncEnd throws TypeError');
  });

  it('runs the step inside the stores bound to start, so the steps it starts see them', async () => {
    const { AsyncLocalStorage } = await import('node:async_hooks');
    const store = new AsyncLocalStorage<string>();
    channel.start.bindStore(store, (m) => `inside ${m.step}`);
    try {
      const seen = await trace(channel, { step: 'outer' }, async () => {
        await new Promise((resolve) => setImmediate(resolve));
        return store.getStore();
      });
      expect(seen).to.equal('inside outer');
    } finally {
      channel.start.unbindStore(store);
    }
  });

  it('codes an error by its code, else its class name', () => {
    expect(codeOf(new ConfigurationError('x'))).to.equal('ERR_OKTA_CONFIGURATION');
    expect(codeOf(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).to.equal('ECONNREFUSED');
    expect(codeOf(new RangeError('x'))).to.equal('RangeError');
    expect(codeOf('a string')).to.equal('string');
  });

  it('NODE_DEBUG=passport-okta-oidc prints each event on one line of stderr, without the token or secret', async () => {
    const child = join(__dirname, '..', '..', 'support', 'debug-child.ts');
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_DEBUG: 'passport-okta-oidc' };
    delete env.NODE_OPTIONS;
    const { stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child], { env, timeout: 20_000 });
    const lines = stderr.trim().split('\n');
    expect(lines).to.have.length(2);
    expect(lines[0]).to.match(
      /^PASSPORT-OKTA-OIDC \d+: okta:request start endpoint="revoke" method="POST" origin="http:\/\/127\.0\.0\.1:\d+" retry=false$/,
    );
    expect(lines[1]).to.match(
      /^PASSPORT-OKTA-OIDC \d+: okta:request end endpoint="revoke" .*retry=false status=200 rateLimit=\{"remaining":99\} duration=\d+\.\d$/,
    );
    expect(stderr).to.not.include('a-token-to-revoke').and.not.include('debug-client-secret');
  });

  it('prints nothing without NODE_DEBUG', async () => {
    const child = join(__dirname, '..', '..', 'support', 'debug-child.ts');
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_DEBUG: '' };
    delete env.NODE_OPTIONS;
    const { stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child], { env, timeout: 20_000 });
    expect(stderr).to.equal('');
  });
});

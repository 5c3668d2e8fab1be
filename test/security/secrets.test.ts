import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { OktaStrategyOptions } from '../../lib/index.js';
import { conformanceCases, failureModes, type CaseContext } from '../support/hostile-cases.js';
import { callbackRequest, makeStrategy, observed, signIn, startSignIn } from '../support/hostile-harness.js';
import { CLIENT_ID, CLIENT_SECRET, HostileOkta, seenSecrets, type Behaviour } from '../support/hostile-okta.js';
import { run, type Outcome } from '../support/passport.js';

/**
 * No error message or property may hold the client secret, a code verifier, an
 * authorization code or a token. This file runs every failing sign-in the other files
 * know of (conformance cases, provider failure modes, attacks, refresh and revoke) with a
 * provider that echoes back what it was sent, then searches every error and `fail`
 * challenge for every secret any provider issued or received, in plain and encoded forms.
 * It also searches the outcomes the other test files recorded in this process.
 */

type Echo = NonNullable<Behaviour['echo']>;
interface Collected {
  where: string;
  outcome: Outcome;
  /** Values the request itself carried: finding them in a message about it is no leak. */
  reflected?: string[];
}

/** Every string reachable from a value: messages, stacks, own properties, causes. */
function strings(value: unknown, out: string[] = [], seen = new Set<object>(), depth = 0): string[] {
  if (value === null || value === undefined || depth > 6) return out;
  if (typeof value === 'string') {
    out.push(value);
    return out;
  }
  if (typeof value !== 'object' && typeof value !== 'function') {
    out.push(String(value));
    return out;
  }
  if (seen.has(value)) return out;
  seen.add(value);
  if (ArrayBuffer.isView(value)) {
    out.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1'));
    return out;
  }
  if (typeof value === 'function') return out;
  // Sockets, agents and the like hold no error text, and are large.
  if (/Socket|Agent|Server|Pool|Client|Dispatcher/.test(value.constructor?.name ?? '')) return out;
  if (value instanceof Error) out.push(value.name, value.message, value.stack ?? '');
  if (value instanceof Headers) {
    for (const [name, header] of value) out.push(name, header);
    return out;
  }
  for (const key of Reflect.ownKeys(value)) {
    let child: unknown;
    try {
      child = (value as Record<string | symbol, unknown>)[key];
    } catch {
      continue;
    }
    if (typeof key === 'string') out.push(key);
    strings(child, out, seen, depth + 1);
  }
  return out;
}

const formEncode = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2);

/** Each secret as it might appear: as it is, URL-encoded, form-encoded, in Basic credentials, base64. */
function secretForms(): Map<string, string> {
  const forms = new Map<string, string>();
  const add = (form: string, secret: string): void => {
    if (form.length >= 12) forms.set(form, secret);
  };
  for (const secret of seenSecrets) {
    if (secret.length < 12) continue;
    add(secret, secret);
    add(encodeURIComponent(secret), secret);
    add(formEncode(secret), secret);
    add(Buffer.from(secret).toString('base64'), secret);
  }
  add(Buffer.from(`${formEncode(CLIENT_ID)}:${formEncode(CLIENT_SECRET)}`).toString('base64'), CLIENT_SECRET);
  return forms;
}

/** Finds secrets in the outcomes' texts: each text is scanned once, with a 12-character index. */
function leaks(collected: Collected[]): string[] {
  const forms = secretForms();
  const byPrefix = new Map<string, string[]>();
  for (const form of forms.keys()) {
    const prefix = form.slice(0, 12);
    byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), form]);
  }
  const found: string[] = [];
  for (const { where, outcome, reflected = [] } of collected) {
    const subject = outcome.kind === 'error' ? outcome.error : outcome.kind === 'fail' ? outcome.challenge : undefined;
    if (subject === undefined) continue; // success and redirect carry tokens and state by design
    const text = strings(subject).join('\n');
    for (let i = 0; i + 12 <= text.length; i++) {
      for (const form of byPrefix.get(text.slice(i, i + 12)) ?? []) {
        if (text.startsWith(form, i) && !reflected.some((value) => value.includes(forms.get(form)!))) {
          const name = (subject as Error).name ?? 'fail';
          found.push(
            `${where} (${name}) holds ${JSON.stringify(forms.get(form)!.slice(0, 16))}… as ${JSON.stringify(form.slice(0, 20))}…`,
          );
        }
      }
    }
  }
  return [...new Set(found)];
}

/** Runs one scenario on a provider of its own, so that all can run at once. */
async function onOwnProvider(where: string, scenario: (okta: HostileOkta) => Promise<Outcome>): Promise<Collected> {
  const okta = await HostileOkta.start();
  try {
    const outcome = await scenario(okta);
    return { where, outcome };
  } finally {
    await okta.close();
  }
}

async function caught(promise: Promise<unknown>): Promise<Outcome> {
  try {
    await promise;
  } catch (err) {
    return { kind: 'error', error: err as Error };
  }
  throw new Error('expected a rejection');
}

/** Every failing sign-in and client call we know of, against providers that echo `echo`. */
async function battery(echo: Echo, strategyOptions: Partial<OktaStrategyOptions>): Promise<Collected[]> {
  const withEcho = (okta: HostileOkta): void => {
    okta.behaviour = { ...okta.behaviour, echo };
  };
  const scenarios: Array<Promise<Collected>> = [];
  for (const testCase of conformanceCases) {
    if (testCase.expect === 'accept') continue;
    scenarios.push(
      onOwnProvider(testCase.id, async (okta) => {
        const clock = { skew: 0 };
        const strategy = makeStrategy(okta, { now: () => Date.now() + clock.skew, ...strategyOptions, ...testCase.strategy });
        const context: CaseContext = { okta, strategy, clock, signIn: () => signIn(strategy, okta) };
        await testCase.arrange?.(context);
        withEcho(okta);
        return (await signIn(strategy, okta, { authenticate: testCase.authenticate })).outcome;
      }),
    );
  }
  for (const mode of failureModes) {
    scenarios.push(
      onOwnProvider(mode.name, async (okta) => {
        mode.arrange(okta);
        withEcho(okta);
        return (await signIn(makeStrategy(okta, { ...strategyOptions, ...mode.strategy }), okta)).outcome;
      }),
    );
  }
  scenarios.push(
    onOwnProvider('code injection', async (okta) => {
      withEcho(okta);
      const strategy = makeStrategy(okta, strategyOptions);
      const stolen = await okta.authorize(await startSignIn(strategy, {}, { user: 'mallory' }));
      const session = {};
      const url = await okta.authorize(await startSignIn(strategy, session));
      url.searchParams.set('code', stolen.searchParams.get('code')!);
      return run(strategy, callbackRequest(url, session));
    }),
    onOwnProvider('used code', async (okta) => {
      withEcho(okta);
      const strategy = makeStrategy(okta, strategyOptions);
      const first = await signIn(strategy, okta);
      okta.reset();
      withEcho(okta);
      // A second sign-in in another session that somehow got the same code: Okta refuses it.
      const session = {};
      const url = await startSignIn(strategy, session);
      okta.issueCode(url.searchParams);
      const replayed = new URL(`https://app.example/auth/okta/callback?code=${first.callbackURL.searchParams.get('code')}`);
      replayed.searchParams.set('state', url.searchParams.get('state')!);
      return run(strategy, callbackRequest(replayed, session));
    }),
    onOwnProvider('wrong client secret', async (okta) => {
      withEcho(okta);
      const wrong = `wrong-${randomBytes(16).toString('hex')}`;
      seenSecrets.add(wrong);
      return (await signIn(makeStrategy(okta, { ...strategyOptions, clientSecret: wrong }), okta)).outcome;
    }),
    onOwnProvider('refresh', async (okta) => {
      withEcho(okta);
      const refreshToken = `rt.${randomBytes(24).toString('base64url')}`;
      seenSecrets.add(refreshToken);
      return caught(makeStrategy(okta, strategyOptions).client.refreshAccessToken(refreshToken));
    }),
    onOwnProvider('revoke', async (okta) => {
      withEcho(okta);
      const token = `at.${randomBytes(24).toString('base64url')}`;
      seenSecrets.add(token);
      return caught(makeStrategy(okta, strategyOptions).client.revokeToken(token, 'access_token'));
    }),
    onOwnProvider('userinfo with a revoked token', async (okta) => {
      withEcho(okta);
      const token = `at.${randomBytes(24).toString('base64url')}`;
      seenSecrets.add(token);
      return caught(makeStrategy(okta, strategyOptions).client.fetchUserInfo(token));
    }),
  );
  const collected = await Promise.all(scenarios);
  for (const { outcome, where } of collected) {
    expect(outcome.kind, `${where} must not sign in`).to.not.equal('success');
  }
  return collected;
}

describe('no secret in any error message or property', function () {
  this.timeout(60_000);

  for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
    it(`across every failing sign-in, refresh and revoke, with ${method} and a provider that echoes them literally`, async () => {
      const collected = await battery(['literal'], { tokenEndpointAuthMethod: method, userInfo: 'auto' });
      expect(collected.length).to.be.above(60);
      expect(leaks(collected)).to.deep.equal([]);
    });
  }

  it('across every error and fail outcome the other test files produced in this process', () => {
    const outcomes = observed.filter((o) => o.outcome.kind === 'error' || o.outcome.kind === 'fail');
    console.log(`      searched ${outcomes.length} error and fail outcomes for ${secretForms().size} secret forms`);
    expect(leaks(observed)).to.deep.equal([]);
  });

  it('when the provider echoes them in error_uri', async () => {
    const collected = await battery(['uri'], { tokenEndpointAuthMethod: 'client_secret_basic' });
    expect(leaks(collected)).to.deep.equal([]);
  });

  it('when the provider echoes the Authorization header and the form body', async () => {
    const collected = [
      ...(await battery(['encoded'], { tokenEndpointAuthMethod: 'client_secret_basic' })),
      ...(await battery(['encoded'], { tokenEndpointAuthMethod: 'client_secret_post' })),
    ];
    expect(leaks(collected)).to.deep.equal([]);
  });

  it('when the provider echoes the client_assertion of client_secret_jwt', async () => {
    const collected = await battery(['literal'], { tokenEndpointAuthMethod: 'client_secret_jwt' });
    expect(leaks(collected)).to.deep.equal([]);
  });
});

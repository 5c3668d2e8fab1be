import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { OktaStrategyOptions } from '../../lib/index.js';
import { conformanceCases, failureModes, type CaseContext } from '../support/hostile-cases.js';
import { callbackRequest, makeStrategy, signIn, startSignIn } from '../support/hostile-harness.js';
import { HostileOkta, type Behaviour } from '../support/hostile-okta.js';
import { run, type Outcome } from '../support/passport.js';
import { leaks, type Observed } from '../support/secret-leaks.js';

/**
 * No error message or property may hold the client secret, a code verifier, an
 * authorization code or a token. This file runs every failing sign-in the other files
 * know of (conformance cases, provider failure modes, attacks, refresh and revoke) with a
 * provider that echoes back what it was sent, then searches every error and `fail`
 * challenge for every secret any of its providers issued or received, in plain and encoded
 * forms. The other files search their own outcomes the same way as they go
 * (test/support/secret-leaks.ts): this file reads nothing they leave.
 */

type Echo = NonNullable<Behaviour['echo']>;
/** An outcome, with the secrets its provider saw or issued. */
interface Collected extends Observed {
  secrets: Set<string>;
}

/** Runs one scenario on a provider of its own, so that all can run at once. */
async function onOwnProvider(where: string, scenario: (okta: HostileOkta) => Promise<Outcome>): Promise<Collected> {
  const okta = await HostileOkta.start();
  try {
    const outcome = await scenario(okta);
    return { where, outcome, secrets: okta.secrets };
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
      okta.secrets.add(wrong);
      return (await signIn(makeStrategy(okta, { ...strategyOptions, clientSecret: wrong }), okta)).outcome;
    }),
    onOwnProvider('refresh', async (okta) => {
      withEcho(okta);
      const refreshToken = `rt.${randomBytes(24).toString('base64url')}`;
      okta.secrets.add(refreshToken);
      return caught(makeStrategy(okta, strategyOptions).client.refreshAccessToken(refreshToken));
    }),
    onOwnProvider('revoke', async (okta) => {
      withEcho(okta);
      const token = `at.${randomBytes(24).toString('base64url')}`;
      okta.secrets.add(token);
      return caught(makeStrategy(okta, strategyOptions).client.revokeToken(token, 'access_token'));
    }),
    onOwnProvider('userinfo with a revoked token', async (okta) => {
      withEcho(okta);
      const token = `at.${randomBytes(24).toString('base64url')}`;
      okta.secrets.add(token);
      return caught(makeStrategy(okta, strategyOptions).client.fetchUserInfo(token));
    }),
  );
  const collected = await Promise.all(scenarios);
  for (const { outcome, where } of collected) {
    expect(outcome.kind, `${where} must not sign in`).to.not.equal('success');
  }
  return collected;
}

/** The secrets found in the outcomes, searching each for the secrets of every provider of the battery. */
function leaksIn(collected: readonly Collected[]): string[] {
  const secrets = new Set(collected.flatMap((c) => [...c.secrets]));
  return leaks(collected, secrets);
}

describe('no secret in any error message or property', function () {
  this.timeout(60_000);

  for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
    it(`across every failing sign-in, refresh and revoke, with ${method} and a provider that echoes them literally`, async () => {
      const collected = await battery(['literal'], { tokenEndpointAuthMethod: method, userInfo: 'auto' });
      expect(collected.length).to.be.above(60);
      expect(leaksIn(collected)).to.deep.equal([]);
    });
  }

  it('when the provider echoes them in error_uri', async () => {
    const collected = await battery(['uri'], { tokenEndpointAuthMethod: 'client_secret_basic' });
    expect(leaksIn(collected)).to.deep.equal([]);
  });

  it('when the provider echoes the Authorization header and the form body', async () => {
    const collected = [
      ...(await battery(['encoded'], { tokenEndpointAuthMethod: 'client_secret_basic' })),
      ...(await battery(['encoded'], { tokenEndpointAuthMethod: 'client_secret_post' })),
    ];
    expect(leaksIn(collected)).to.deep.equal([]);
  });

  it('when the provider echoes the client_assertion of client_secret_jwt', async () => {
    const collected = await battery(['literal'], { tokenEndpointAuthMethod: 'client_secret_jwt' });
    expect(leaksIn(collected)).to.deep.equal([]);
  });
});

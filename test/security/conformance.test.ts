import { expect } from 'chai';
import { conformanceCases, mismatch, type CaseContext } from '../support/hostile-cases.js';
import { caseLine, describeOutcome, makeStrategy, signIn, type TestUser } from '../support/hostile-harness.js';
import { IdTokenError } from '../../lib/core/errors.js';
import { HostileOkta, sharedKey, type TestKey } from '../support/hostile-okta.js';

/**
 * The OpenID Connect relying-party certification cases that apply to a code-flow client,
 * each run as a whole sign-in (start → /authorize → callback → /token → /keys →
 * /userinfo) against a local provider over real HTTP that misbehaves in one way.
 * Every case prints one line: what it is and how the sign-in ended.
 */
describe('OpenID Connect RP conformance against a hostile provider (real HTTP)', () => {
  let okta: HostileOkta;
  let firstKey: TestKey;
  const results = { accepted: 0, rejected: 0 };

  before(async () => {
    okta = await HostileOkta.start();
    firstKey = okta.signingKey;
  });
  beforeEach(() => {
    okta.reset();
    okta.rotate([firstKey]);
  });
  after(async () => {
    console.log(`      ${conformanceCases.length} cases: ${results.accepted} accepted, ${results.rejected} rejected`);
    await okta.close();
  });

  for (const testCase of conformanceCases) {
    const verdict = testCase.expect === 'accept' ? 'accepts' : 'rejects';
    it(`${testCase.id}: ${testCase.title} (${verdict})`, async () => {
      const clock = { skew: 0 };
      const strategy = makeStrategy(okta, { now: () => Date.now() + clock.skew, ...testCase.strategy });
      const context: CaseContext = {
        okta,
        strategy,
        clock,
        signIn: () => signIn(strategy, okta, { where: testCase.id }),
      };
      await testCase.arrange?.(context);
      const result = await signIn(strategy, okta, { where: testCase.id, authenticate: testCase.authenticate });
      const { outcome } = result;
      console.log(caseLine(testCase.id, describeOutcome(outcome)));

      if (testCase.expect === 'accept') {
        expect(outcome.kind, describeOutcome(outcome)).to.equal('success');
        expect((outcome as { user: TestUser }).user.id).to.equal('00ualice');
        results.accepted++;
      } else {
        expect(outcome.kind, 'never success').to.not.equal('success');
        expect(mismatch(outcome, testCase.expect), describeOutcome(outcome)).to.equal(undefined);
        results.rejected++;
      }
      // Whatever happened, the pending sign-in was used up: the callback cannot be replayed.
      expect(result.session['passport-okta-oidc']).to.equal(undefined);
      testCase.check?.(context, result);
    });
  }

  describe('what the errors name', () => {
    it('names "crit" when it refuses an ID token with a critical header it does not understand', async () => {
      okta.behaviour = { forge: 'unknown-crit' };
      const { outcome } = await signIn(makeStrategy(okta), okta);
      expect(outcome.kind).to.equal('error');
      expect(outcome.kind === 'error' ? outcome.error : undefined)
        .to.be.instanceOf(IdTokenError)
        .with.property('claim', 'crit');
    });

    it('does not say the kid is missing when two published keys share the kid the token names', async () => {
      const twin = await sharedKey('twin');
      okta.keys = [...okta.keys, { ...twin, jwk: { ...twin.jwk, kid: okta.signingKey.kid } }];
      const { outcome } = await signIn(makeStrategy(okta), okta);
      const err = (outcome.kind === 'error' ? outcome.error : undefined) as IdTokenError;
      expect(err).to.be.instanceOf(IdTokenError).with.property('claim', 'kid');
      expect(err.reason).to.not.match(/missing/);
    });
  });
});

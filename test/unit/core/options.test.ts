import { expect } from 'chai';
import { ConfigurationError } from '../../../lib/core/errors.js';
import { check, checkOptionNames } from '../../../lib/core/options.js';

const KNOWN = ['oktaDomain', 'clientID', 'clientSecret', 'callbackURL', 'scope', 'timeout', 'passReqToCallback'];

/** The ConfigurationError `fn` throws, or a failure if it throws nothing or something else. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigurationError);
    return (err as Error).message;
  }
  expect.fail('expected a ConfigurationError');
}

describe('option checks (core/options.ts)', () => {
  describe('checkOptionNames', () => {
    it('accepts the known names', () => {
      expect(() => checkOptionNames('OktaStrategy', { oktaDomain: 'x', clientID: 'y' }, KNOWN)).to.not.throw();
    });

    it("names what to use instead of another library's option", () => {
      expect(refusal(() => checkOptionNames('OktaStrategy', { client_id: 'x' }, KNOWN))).to.equal(
        'OktaStrategy has no option "client_id": use clientID. See docs/configuration.md for the options.',
      );
      expect(refusal(() => checkOptionNames('OktaStrategy', { skipUserProfile: true }, KNOWN))).to.contain('use userInfo: false');
    });

    it('suggests the known name a typo or a case slip was meant to be', () => {
      expect(refusal(() => checkOptionNames('OktaStrategy', { clientId: 'x' }, KNOWN))).to.equal(
        'OktaStrategy has no option "clientId": did you mean clientID? See docs/configuration.md for the options.',
      );
      expect(refusal(() => checkOptionNames('OktaClient', { timout: 1 }, KNOWN))).to.contain('did you mean timeout?');
      expect(refusal(() => checkOptionNames('OktaClient', { callbakUrl: 1 }, KNOWN))).to.contain('did you mean callbackURL?');
    });

    it('suggests nothing when no known name is close: a guess would be noise', () => {
      const message = refusal(() => checkOptionNames('OktaStrategy', { colour: 'blue' }, KNOWN));
      expect(message).to.equal('OktaStrategy has no option "colour". See docs/configuration.md for the options.');
      // Two edits away from "scope", but "sco" has three letters: more than a third of it would change.
      expect(refusal(() => checkOptionNames('OktaStrategy', { sco: 1 }, ['scope']))).to.not.contain('did you mean');
      expect(refusal(() => checkOptionNames('OktaStrategy', { scop: 1 }, ['scope']))).to.contain('did you mean scope?');
    });
  });

  describe('check', () => {
    it('milliseconds: a finite number above zero, or from zero when allowed; the fallback when absent', () => {
      expect(check.milliseconds('timeout', undefined, 10_000)).to.equal(10_000);
      expect(check.milliseconds('timeout', 250, 10_000)).to.equal(250);
      expect(check.milliseconds('jwksCooldown', 0, 30_000, 0)).to.equal(0);
      expect(check.milliseconds('timeout', null, 10_000), 'null counts as absent').to.equal(10_000);
      for (const bad of [0, -1, Number.POSITIVE_INFINITY, Number.NaN, '100']) {
        expect(
          refusal(() => check.milliseconds('timeout', bad, 10_000)),
          String(bad),
        ).to.equal('timeout must be a positive number of milliseconds');
      }
      expect(refusal(() => check.milliseconds('jwksCooldown', -1, 0, 0))).to.equal(
        'jwksCooldown must be a number of milliseconds >= 0',
      );
    });

    it('seconds: from zero by default, above zero when asked', () => {
      expect(check.seconds('clockTolerance', 0, 120)).to.equal(0);
      expect(check.seconds('clockTolerance', undefined, 120)).to.equal(120);
      expect(refusal(() => check.seconds('clockTolerance', -5, 120))).to.equal('clockTolerance must be a number of seconds >= 0');
      expect(refusal(() => check.seconds('dpopProofMaxAge', 0, 300, 'positive'))).to.equal(
        'dpopProofMaxAge must be a number of seconds > 0',
      );
    });

    it('algorithms: asymmetric JWS algorithms only, never none or HMAC, and a copy of the list', () => {
      const given = ['RS256', 'ES384', 'PS512', 'EdDSA', 'Ed25519'];
      const checked = check.algorithms('algorithms', given, ['RS256']);
      expect(checked).to.deep.equal(given);
      expect(checked, 'a copy').to.not.equal(given);
      expect(check.algorithms('algorithms', undefined, ['RS256'])).to.deep.equal(['RS256']);
      for (const bad of [[], ['none'], ['HS256'], ['RS256', 'HS512'], ['rs256'], ['RS1024'], 'RS256', [1]]) {
        expect(
          refusal(() => check.algorithms('algorithms', bad, ['RS256'])),
          JSON.stringify(bad),
        ).to.equal('algorithms must list asymmetric algorithms such as "RS256"');
      }
    });

    it('strings: a list of non-empty strings, or undefined when absent', () => {
      expect(check.strings('allowedHosts', undefined, '["api.example.com"]')).to.equal(undefined);
      expect(check.strings('allowedHosts', ['a', 'b'], '["api.example.com"]')).to.deep.equal(['a', 'b']);
      for (const bad of ['a', [''], ['a', 2], {}]) {
        expect(refusal(() => check.strings('allowedHosts', bad, '["api.example.com"]'))).to.equal(
          'allowedHosts must be a list of non-empty strings, e.g. ["api.example.com"]',
        );
      }
    });

    it('fn: a function when given', () => {
      const now = (): number => 0;
      expect(check.fn('now', now)).to.equal(now);
      expect(check.fn('now', undefined)).to.equal(undefined);
      expect(refusal(() => check.fn('now', 42 as unknown as () => number))).to.equal('now must be a function');
    });

    it('oneOf: one of the words, listed in the message with "or" before the last', () => {
      expect(check.oneOf('userInfo', undefined, [true, false, 'auto'], 'auto')).to.equal('auto');
      expect(check.oneOf('userInfo', false, [true, false, 'auto'], 'auto')).to.equal(false);
      expect(refusal(() => check.oneOf('userInfo', 'yes', [true, false, 'auto'], 'auto'))).to.equal(
        'userInfo must be true, false or "auto"',
      );
      expect(refusal(() => check.oneOf('dpop', 'x', ['allowed', 'required'], 'allowed'))).to.equal(
        'dpop must be "allowed" or "required"',
      );
    });
  });
});

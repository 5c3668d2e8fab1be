import { expect } from 'chai';
import { checkExtraParams, requestExtraParams } from '../../../lib/client/authorize-params.js';
import { ConfigurationError } from '../../../lib/core/errors.js';

// Which names the protocol owns, and the hint for each, are checked through the strategy in
// test/integration/real-okta-signin.test.ts (item 7); these pin the shapes and the bounds.

const many = (count: number, prefix = 'p'): Record<string, string> =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, 'v']));

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigurationError);
    return (err as Error).message;
  }
  expect.fail('expected a ConfigurationError');
}

describe('authorization request parameters (client/authorize-params.ts)', () => {
  describe('checkExtraParams: an app’s own, set for good', () => {
    it('returns a frozen copy, and {} when there are none', () => {
      const given = { ui_locales: 'fr-CA', display: 'page' };
      const checked = checkExtraParams(given, 'OktaStrategy');
      expect(checked).to.deep.equal(given);
      expect(checked).to.not.equal(given);
      expect(Object.isFrozen(checked)).to.equal(true);
      expect(checkExtraParams(undefined, 'OktaStrategy')).to.deep.equal({});
    });

    it('refuses what is not an object of strings, naming where it was set', () => {
      for (const bad of [null, 'ui_locales=fr', ['ui_locales'], 42]) {
        expect(
          refusal(() => checkExtraParams(bad, 'createAuthorizationURL')),
          String(bad),
        ).to.equal("createAuthorizationURL: extraParams must be an object of string values, e.g. { ui_locales: 'fr' }");
      }
      for (const bad of [
        { '': 'x' },
        { ui_locales: 3 },
        { ui_locales: undefined },
        { ['n'.repeat(2049)]: 'x' },
        { x: 'v'.repeat(2049) },
      ]) {
        expect(refusal(() => checkExtraParams(bad, 'OktaStrategy'))).to.match(
          /^OktaStrategy: extraParams ".*" must be a non-empty name with a string value$/,
        );
      }
    });

    it('takes at most 32 parameters of at most 2048 characters each', () => {
      expect(Object.keys(checkExtraParams(many(32), 'OktaStrategy'))).to.have.length(32);
      expect(checkExtraParams({ ['n'.repeat(2048)]: 'v'.repeat(2048) }, 'OktaStrategy')).to.have.property('n'.repeat(2048));
      expect(refusal(() => checkExtraParams(many(33), 'OktaStrategy'))).to.equal(
        'OktaStrategy: extraParams takes at most 32 parameters',
      );
    });

    it('refuses an owned name with no option to use instead without a hint', () => {
      expect(refusal(() => checkExtraParams({ client_id: 'other' }, 'OktaStrategy'))).to.equal(
        'OktaStrategy: extraParams may not set "client_id", which the strategy sets and checks itself',
      );
      expect(refusal(() => checkExtraParams({ request_uri: 'urn:x' }, 'OktaStrategy'))).to.match(
        /: use pushedAuthorizationRequests$/,
      );
    });
  });

  describe("requestExtraParams: a request's own, over the app's", () => {
    const base = Object.freeze({ ui_locales: 'fr-CA', display: 'page' });

    it("layers the request's values over the app's without touching them", () => {
      const merged = requestExtraParams(base, { display: 'popup', idp_scope: 'openid' });
      expect(merged).to.deep.equal({ ui_locales: 'fr-CA', display: 'popup', idp_scope: 'openid' });
      expect(base).to.deep.equal({ ui_locales: 'fr-CA', display: 'page' });
    });

    it('leaves out owned names, values that are not strings and oversized ones, silently', () => {
      const merged = requestExtraParams(base, {
        state: 'x',
        nonce: 'x',
        sessionToken: 'x',
        '': 'x',
        count: 3,
        list: ['a'],
        long: 'v'.repeat(2049),
        ['n'.repeat(2049)]: 'v',
        kept: 'yes',
      });
      expect(merged).to.deep.equal({ ...base, kept: 'yes' });
    });

    it('gives the app’s own back for a request value that is not an object', () => {
      for (const value of [undefined, null, 'display=popup', ['display']]) expect(requestExtraParams(base, value)).to.equal(base);
    });

    it('adds at most 32 parameters in all, but may still replace the app’s', () => {
      const merged = requestExtraParams(base, { ...many(40), display: 'touch' });
      expect(Object.keys(merged)).to.have.length(32);
      expect(merged.display).to.equal('touch');
      expect(merged).to.have.property('p29').and.not.have.property('p30');
    });
  });
});

import { expect } from 'chai';
import { sessionKey, sessionManager, strategyRegistry, userProperty } from '../../../lib/passport/fields.js';
import type { OktaRequest } from '../../../lib/passport/request.js';
import { request } from '../../support/passport.js';

// Real Passport (0.7 with and without initialize()), koa-passport and @fastify/passport run
// the strategies in test/security/mix-up.test.ts, test/security/hardening.test.ts and the
// apps of test/frameworks/; these pin each private field read, and its absence.

const withFields = (fields: Record<string, unknown>): OktaRequest => Object.assign(request({}), fields);

describe("Passport's private fields, read in one place (passport/fields.ts)", () => {
  describe('strategyRegistry', () => {
    const registry = { okta: {}, session: {} };

    it('is the instance initialize() links (passport 0.5-0.7, koa-passport)', () => {
      expect(strategyRegistry(withFields({ _passport: { instance: { _strategies: registry } } }))).to.equal(registry);
    });

    it("is @fastify/passport's authenticator's", () => {
      expect(strategyRegistry(withFields({ passport: { strategies: registry } }))).to.equal(registry);
      expect(strategyRegistry(withFields({ passport: { _strategies: registry } }))).to.equal(registry);
    });

    it('is undefined without Passport, without initialize(), or with something else in its place', () => {
      expect(strategyRegistry(request({}))).to.equal(undefined);
      expect(strategyRegistry(withFields({ _passport: { instance: { _strategies: 'x' } } }))).to.equal(undefined);
      expect(strategyRegistry(withFields({ passport: null }))).to.equal(undefined);
      expect(strategyRegistry(withFields({ _passport: {} }))).to.equal(undefined);
    });
  });

  it('sessionManager: the object passport >= 0.6 links, else undefined', () => {
    const manager = { _key: 'passport' };
    expect(sessionManager(withFields({ _sessionManager: manager }))).to.equal(manager);
    expect(sessionManager(withFields({ _sessionManager: 'x' }))).to.equal(undefined);
    expect(sessionManager(request({}))).to.equal(undefined);
  });

  it("sessionKey: the session manager's key, else the instance's, else 'passport'", () => {
    expect(sessionKey(withFields({ _sessionManager: { _key: 'auth' }, _passport: { instance: { _key: 'other' } } }))).to.equal(
      'auth',
    );
    expect(sessionKey(withFields({ _passport: { instance: { _key: 'legacy' } } }))).to.equal('legacy');
    expect(sessionKey(request({}))).to.equal('passport');
  });

  it("userProperty: Passport's configured property, else 'user'", () => {
    expect(userProperty(withFields({ _userProperty: 'account' }))).to.equal('account');
    expect(userProperty(withFields({ _userProperty: 7 }))).to.equal('user');
    expect(userProperty(request({}))).to.equal('user');
  });
});

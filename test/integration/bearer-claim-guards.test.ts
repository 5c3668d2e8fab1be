import { expect } from 'chai';
import express from 'express';
import type { RequestListener } from 'node:http';
import { requireAcr, requireClaims, requireGroups, type ScopeMiddleware } from '../../lib/bearer.js';
import { listen } from '../support/server.js';
import { accessClaims, AUDIENCE, bearerGuard, call, signingKey, signToken, type SigningKey } from '../support/bearer.js';
import { HostileOkta } from '../support/hostile-okta.js';

// requireGroups / requireClaims / requireAcr of "passport-okta-oidc/bearer": an Express API
// on 127.0.0.1 behind OktaBearerStrategy (through Passport, and as oktaBearer() without it), a
// local Okta serving the keys, tokens signed by jose.

const ALGS = 'DPoP algs="ES256 ES384 PS256 RS256 EdDSA"';

for (const via of ['passport', 'middleware'] as const)
  describe(`integration: bearer claim guards (groups, claims, acr), ${via === 'passport' ? "after passport.authenticate('okta-bearer')" : 'after oktaBearer()'}`, function () {
    this.timeout(20_000);
    let key: SigningKey;
    let okta: HostileOkta;
    let api: { origin: string; close(): Promise<void> };

    before(async () => {
      key = await signingKey('k1');
      okta = await HostileOkta.start({ keys: [key] });
      const { guard: bearer } = bearerGuard(
        { oktaDomain: okta.origin, authServerId: 'default', audience: AUDIENCE },
        undefined,
        via,
      );
      const app = express();
      const route = (path: string, guard: ScopeMiddleware): void => {
        app.get(path, bearer, guard as unknown as express.RequestHandler, (_req, res) => res.json({ ok: true }));
      };
      route('/api/admin', requireGroups('Admins'));
      route('/api/audit', requireGroups('Admins', 'Auditors', { all: true }));
      route('/api/custom-claim', requireGroups('Admins', { claim: 'GroupsClaim' }));
      route('/api/finance', requireClaims({ department: 'Finance' }));
      route('/api/pay', requireAcr('urn:okta:loa:2fa:any', { maxAge: 300 }));
      app.get('/api/unguarded-order', requireGroups('Admins') as unknown as express.RequestHandler, (_req, res) => res.json({}));
      app.use((err: Error & { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        res.status(err.status ?? 500).json({ error: err.name, message: err.message });
      });
      api = await listen(app as unknown as RequestListener);
    });
    after(async () => {
      await api.close();
      await okta.close();
    });

    const get = async (path: string, claims: Record<string, unknown> = {}) =>
      call(`${api.origin}${path}`, { authorization: `Bearer ${await signToken(key, accessClaims(okta.issuer, claims))}` });

    it('requireGroups: a token naming the group passes; one without it gets 403 insufficient_scope, never 401', async () => {
      expect((await get('/api/admin', { groups: ['Everyone', 'Admins'] })).status).to.equal(200);
      for (const claims of [{ groups: ['Everyone'] }, {}, { groups: 'Admins' }]) {
        const answer = await get('/api/admin', claims);
        expect(answer.status, JSON.stringify(claims)).to.equal(403);
        expect(answer.headers['www-authenticate']).to.equal(
          `Bearer error="insufficient_scope", error_description="The access token does not carry the claims this request needs", ${ALGS}`,
        );
      }
    });

    it('requireGroups with all: needs each group', async () => {
      expect((await get('/api/audit', { groups: ['Admins', 'Auditors'] })).status).to.equal(200);
      expect((await get('/api/audit', { groups: ['Admins'] })).status).to.equal(403);
    });

    it('requireGroups with claim: reads the claim the authorization server names', async () => {
      expect((await get('/api/custom-claim', { GroupsClaim: ['Admins'] })).status).to.equal(200);
      expect((await get('/api/custom-claim', { groups: ['Admins'] })).status).to.equal(403);
    });

    it('requireClaims: compares the claim', async () => {
      expect((await get('/api/finance', { department: 'Finance' })).status).to.equal(200);
      expect((await get('/api/finance', { department: 'Sales' })).status).to.equal(403);
    });

    it('requireAcr: a weaker or older authentication gets 401 insufficient_user_authentication with acr_values and max_age (RFC 9470)', async () => {
      // Read when the test runs: the suite loads every file minutes before this one runs.
      const T0 = Math.floor(Date.now() / 1000);
      expect((await get('/api/pay', { acr: 'urn:okta:loa:2fa:any', auth_time: T0 - 60 })).status).to.equal(200);
      expect((await get('/api/pay', { acr: 'phr', auth_time: T0 - 60 })).status).to.equal(200);
      for (const claims of [
        { acr: 'urn:okta:loa:1fa:pwd', auth_time: T0 - 60 },
        { acr: 'urn:okta:loa:2fa:any', auth_time: T0 - 900 },
        {},
      ]) {
        const answer = await get('/api/pay', claims);
        expect(answer.status, JSON.stringify(claims)).to.equal(401);
        expect(answer.headers['www-authenticate']).to.equal(
          'Bearer error="insufficient_user_authentication", error_description="The access token does not come from a strong or recent enough authentication", ' +
            `acr_values="urn:okta:loa:2fa:any", max_age="300", ${ALGS}`,
        );
      }
    });

    it('without passport.authenticate before it: a configuration error, never a pass', async () => {
      const answer = await call(`${api.origin}/api/unguarded-order`);
      expect(answer.status).to.equal(500);
      expect(answer.body).to.include("requireGroups must come after passport.authenticate('okta-bearer'");
    });

    it('refuses bad arguments at once', () => {
      expect(() => requireGroups()).to.throw(/one or more group names/);
      expect(() => requireGroups({ all: true } as never)).to.throw(/one or more group names/);
      expect(() => requireGroups('A', { all: true } as never, 'B')).to.throw(/options last/);
      expect(() => requireAcr('a "b"')).to.throw(/one acr value/);
      expect(() => requireAcr('phr', { maxAge: -1 })).to.throw(/maxAge/);
      expect(() => requireClaims(null as never)).to.throw(/predicate/);
      expect(() => requireGroups('A', { claim: '' })).to.throw(/claim name/);
    });
  });

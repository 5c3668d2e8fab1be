import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { oktaBearer, requireScopes, type OktaAccessTokenClaims } from '../../lib/bearer.js';
import { AccessTokenError, KeySetUnavailableError } from '../../lib/core/errors.js';
import {
  accessClaims,
  AUDIENCE,
  call,
  dpopKey,
  proof,
  signingKey,
  signToken,
  startApi,
  type Answer,
  type Api,
  type BearerVia,
  type DPoPKey,
  type SigningKey,
} from '../support/bearer.js';
import { HostileOkta } from '../support/hostile-okta.js';

// oktaBearer(), the Passport-free middleware of "passport-okta-oidc/bearer": the same Express
// API as the strategy's tests, once through passport.authenticate('okta-bearer') and once
// through oktaBearer(), over real HTTP on 127.0.0.1; every answer must be the same.

const ALGS = 'DPoP algs="ES256 ES384 PS256 RS256 EdDSA"';

describe('oktaBearer() (Passport-free) answers as passport.authenticate(okta-bearer) does', function () {
  this.timeout(20_000);
  let key: SigningKey;
  let holder: DPoPKey;
  let okta: HostileOkta;
  const servers: Array<{ close(): Promise<void> }> = [];

  before(async () => {
    [key, holder] = await Promise.all([signingKey('k1'), dpopKey()]);
    okta = await HostileOkta.start({ keys: [key] });
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    okta.reset();
  });
  after(async () => {
    await okta.close();
  });

  async function both(
    options: Record<string, unknown> = {},
    verify?: (claims: OktaAccessTokenClaims) => Promise<unknown>,
  ): Promise<Record<BearerVia, Api>> {
    const start = async (via: BearerVia) => {
      const api = await startApi({ oktaDomain: okta.origin, ...options }, verify, via);
      servers.push(api);
      return api;
    };
    return { passport: await start('passport'), middleware: await start('middleware') };
  }
  const token = (extra: Record<string, unknown> = {}) => signToken(key, accessClaims(okta.issuer, extra));
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  /** What the client sees of an answer: status, challenge, Retry-After, body (but what differs between two tokens). */
  const seen = (a: Answer) => ({
    status: a.status,
    challenge: a.headers['www-authenticate'],
    retryAfter: a.headers['retry-after'],
    body: comparable(a.body),
  });
  /** The body without the token's own jti and the error message's date (each API has its own tokens and clock). */
  const comparable = (body: string): string => {
    if (!body.startsWith('{')) return body;
    const json = JSON.parse(body) as { user?: { jti?: string }; message?: string };
    if (json.user?.jti !== undefined) json.user.jti = 'AT.*';
    if (json.message !== undefined) json.message = json.message.replace(/retry after [^)]*/, 'retry after *');
    return JSON.stringify(json);
  };

  /** Sends the same request to both APIs (a fresh DPoP proof each, for its own URL) and expects the same answer. */
  async function same(
    apis: Record<BearerVia, Api>,
    path: string,
    headers: (origin: string) => Promise<Record<string, string>>,
  ): Promise<ReturnType<typeof seen>> {
    const viaPassport = seen(await call(`${apis.passport.origin}${path}`, await headers(apis.passport.origin)));
    const viaMiddleware = seen(await call(`${apis.middleware.origin}${path}`, await headers(apis.middleware.origin)));
    expect(viaMiddleware).to.deep.equal(viaPassport);
    return viaMiddleware;
  }

  const invalidToken = (description: string) => `Bearer error="invalid_token", error_description="${description}", ${ALGS}`;
  const cases: Array<[string, string, (origin: string) => Promise<Record<string, string>>, number, string | undefined]> = [
    ['a valid token', '/api/me', async () => bearer(await token()), 200, undefined],
    [
      'an expired token',
      '/api/me',
      async () => bearer(await token({ exp: Math.floor(Date.now() / 1000) - 120 })),
      401,
      invalidToken('The access token expired'),
    ],
    [
      'a token for another audience',
      '/api/me',
      async () => bearer(await token({ aud: 'api://other' })),
      401,
      invalidToken('The access token is not meant for this API (aud)'),
    ],
    ['no token', '/api/me', async () => ({}), 401, `Bearer, ${ALGS}`],
    ['another scheme', '/api/me', async () => ({ authorization: 'Basic dXNlcjpwYXNz' }), 401, `Bearer, ${ALGS}`],
    [
      'a malformed header',
      '/api/me',
      async () => ({ authorization: 'Bearer a b' }),
      400,
      `Bearer error="invalid_request", error_description="The Authorization header is malformed", ${ALGS}`,
    ],
    [
      'a token that is not a JWT',
      '/api/me',
      async () => bearer('a.b'),
      401,
      invalidToken('The access token is not a well-formed JWT'),
    ],
    [
      'a token without the scope',
      '/api/orders',
      async () => bearer(await token({ scp: ['openid'] })),
      403,
      `Bearer error="insufficient_scope", error_description="The access token does not grant the scopes this request needs", scope="orders:read", ${ALGS}`,
    ],
    [
      'a DPoP-bound token with its proof',
      '/api/me',
      async (origin) => {
        const t = await token({ cnf: { jkt: holder.jkt } });
        return { authorization: `DPoP ${t}`, dpop: await proof(holder, 'GET', `${origin}/api/me`, t) };
      },
      200,
      undefined,
    ],
    [
      'a DPoP-bound token as Bearer',
      '/api/me',
      async () => bearer(await token({ cnf: { jkt: holder.jkt } })),
      401,
      invalidToken('The access token is DPoP-bound: present it with the DPoP scheme and a proof'),
    ],
    [
      'a DPoP-bound token without a proof',
      '/api/me',
      async () => ({ authorization: `DPoP ${await token({ cnf: { jkt: holder.jkt } })}` }),
      401,
      'Bearer, DPoP error="invalid_dpop_proof", error_description="The request has no DPoP proof", algs="ES256 ES384 PS256 RS256 EdDSA"',
    ],
  ];
  for (const [what, path, headers, status, challenge] of cases) {
    it(`${what}: ${status}${challenge === undefined ? '' : ', the same WWW-Authenticate'}`, async () => {
      const apis = await both();
      const answer = await same(apis, path, headers);
      expect(answer.status).to.equal(status);
      expect(answer.challenge).to.equal(challenge);
      if (status === 200 && path === '/api/me') {
        const body = JSON.parse(answer.body) as { user: OktaAccessTokenClaims; scopes: string[]; tokenType: string };
        expect(body.user.sub, 'req.user: the claims').to.equal('alice@example.com');
        expect(body.scopes).to.deep.equal(['openid', 'orders:read']);
      }
    });
  }

  it('a token remembered by the cache: the same answers on its first sights and after', async () => {
    const apis = await both();
    const t = await token();
    for (let i = 0; i < 4; i++) expect((await same(apis, '/api/me', async () => bearer(t))).status).to.equal(200);
    const narrow = await token({ scp: ['openid'] });
    for (let i = 0; i < 4; i++) expect((await same(apis, '/api/orders', async () => bearer(narrow))).status).to.equal(403);
  });

  it('the verify function: its user in req.user, its false a 401 invalid_token', async () => {
    const apis = await both({}, async (claims) => (claims.sub === 'alice@example.com' ? { id: 'u-alice' } : false));
    const ok = await same(apis, '/api/me', async () => bearer(await token()));
    expect(ok.status).to.equal(200);
    expect((JSON.parse(ok.body) as { user: unknown }).user).to.deep.equal({ id: 'u-alice' });
    const refused = await same(apis, '/api/me', async () => bearer(await token({ sub: 'mallory@example.com' })));
    expect(refused.challenge).to.equal(invalidToken('The application refused this access token'));
  });

  it('a key set that cannot be had: next(err), 502 then 503 with Retry-After, as through Passport', async () => {
    okta.behaviour = { keys: { status: 500, body: {} } };
    const apis = await both();
    const first = await same(apis, '/api/me', async () => bearer(await token()));
    expect(first.status).to.equal(502);
    const again = await same(apis, '/api/me', async () => bearer(await token()));
    expect(again.status).to.equal(503);
    expect(Number(again.retryAfter)).to.be.greaterThan(0);
  });

  describe('check() and run(), for other frameworks', () => {
    it('check() decides without answering: pass with req.user and req.authInfo, or the refusal to send', async () => {
      const check = oktaBearer({ oktaDomain: okta.origin, authServerId: 'default', audience: AUDIENCE });
      const scopes = requireScopes('orders:read');
      const server = http.createServer((req, res) => {
        void check.check(req).then(
          (decision) => {
            if (decision.kind === 'refuse') return void res.writeHead(decision.status, decision.headers).end(decision.body);
            const request = req as typeof req & { user?: OktaAccessTokenClaims; authInfo?: unknown };
            scopes(request, res, () => res.end(`${request.user?.sub} ${decision.authInfo.tokenType}`));
          },
          (err: unknown) => void res.writeHead(500).end(String(err)),
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push({ close: () => new Promise((resolve) => server.close(() => resolve())) });
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await call(origin, bearer(await token()))).body).to.equal('alice@example.com Bearer');
      const none = await call(origin);
      expect([none.status, none.headers['www-authenticate'], none.body]).to.deep.equal([401, `Bearer, ${ALGS}`, 'Unauthorized']);
      expect((await call(origin, bearer(await token({ scp: ['openid'] })))).status).to.equal(403);
    });

    it('run() resolves true to go on, false once it answered, and rejects on an error (a NestJS guard)', async () => {
      okta.behaviour = { keys: { status: 500, body: {} } };
      const guard = oktaBearer({ oktaDomain: okta.origin, authServerId: 'default', audience: AUDIENCE });
      const results: unknown[] = [];
      const server = http.createServer((req, res) => {
        guard.run(req, res).then(
          (through) => {
            results.push(through);
            if (through) res.end('in');
          },
          (err: unknown) => {
            results.push(err);
            res.writeHead((err as { status?: number }).status ?? 500).end();
          },
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push({ close: () => new Promise((resolve) => server.close(() => resolve())) });
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await call(origin)).status).to.equal(401);
      await call(origin, bearer(await token()));
      await call(origin, bearer(await token()));
      okta.reset();
      expect(results[0]).to.equal(false);
      expect(results[1]).to.be.instanceOf(Error).and.not.be.instanceOf(AccessTokenError);
      expect(results[2]).to.be.instanceOf(KeySetUnavailableError);
    });
  });
});

import { expect } from 'chai';
import express from 'express';
import type { RequestListener } from 'node:http';
import { Passport } from 'passport';
import { listen } from '../support/server.js';
import { SignJWT } from 'jose';
import {
  MemoryDPoPReplayStore,
  OktaBearerStrategy,
  type IntrospectionCache,
  type OktaAccessTokenClaims,
} from '../../lib/bearer.js';
import { OktaStrategy } from '../../lib/index.js';
import { ConfigurationError } from '../../lib/core/errors.js';
import {
  accessClaims,
  ath,
  AUDIENCE,
  call,
  dpopKey,
  proof,
  signingKey,
  signToken,
  startApi,
  type Api,
  type DPoPKey,
  type SigningKey,
} from '../support/bearer.js';
import { HostileOkta } from '../support/hostile-okta.js';

// OktaBearerStrategy through its public API: an Express API on 127.0.0.1 guarded by the
// strategy, a local Okta serving keys and introspection, tokens and proofs signed by jose.

const ALGS = 'DPoP algs="ES256 ES384 PS256 RS256 EdDSA"';
const invalidToken = (description: string): string => `Bearer error="invalid_token", error_description="${description}", ${ALGS}`;
const badProof = (description: string): string =>
  `Bearer, DPoP error="invalid_dpop_proof", error_description="${description}", algs="ES256 ES384 PS256 RS256 EdDSA"`;
const dpopInvalidToken = (description: string): string =>
  `Bearer, DPoP error="invalid_token", error_description="${description}", algs="ES256 ES384 PS256 RS256 EdDSA"`;

describe('OktaBearerStrategy', function () {
  this.timeout(20_000);
  let key: SigningKey;
  let otherKey: SigningKey;
  let holder: DPoPKey;
  let okta: HostileOkta;
  let api: Api;
  const servers: Array<{ close(): Promise<void> }> = [];

  before(async () => {
    [key, otherKey, holder] = await Promise.all([signingKey('k1'), signingKey('k1'), dpopKey()]);
  });
  beforeEach(async () => {
    okta = await HostileOkta.start({ keys: [key], orgServer: true });
    servers.push(okta);
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  async function api_(
    options: Parameters<typeof startApi>[0] extends infer O ? Partial<O> : never = {},
    verify?: Parameters<typeof startApi>[1],
  ) {
    api = await startApi({ oktaDomain: okta.origin, ...options }, verify);
    servers.push(api);
    return api;
  }
  const token = (extra: Record<string, unknown> = {}, header?: Record<string, unknown>, signer = key) =>
    signToken(signer, accessClaims(okta.issuer, extra), header);
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  describe('JWT access tokens', () => {
    it('accepts a valid Okta access token and puts scopes, claims and the token type in req.authInfo', async () => {
      await api_();
      const answer = await call(`${api.origin}/api/me`, bearer(await token()));
      expect(answer.status).to.equal(200);
      const body = JSON.parse(answer.body) as { scopes: string[]; tokenType: string; sub: string; user: OktaAccessTokenClaims };
      expect(body).to.include({ tokenType: 'Bearer', sub: 'alice@example.com' });
      expect(body.scopes).to.deep.equal(['openid', 'orders:read']);
      expect(body.user.cid).to.equal('0oaspa');
    });

    it('accepts RFC 9068 at+jwt tokens with client_id and a scope string, and lower-case schemes', async () => {
      await api_();
      const t = await token({ cid: undefined, scp: undefined, client_id: 'svc', scope: 'orders:read' }, { typ: 'at+jwt' });
      const answer = await call(`${api.origin}/api/orders`, { authorization: `bearer ${t}` });
      expect(answer.status).to.equal(200);
    });

    it('answers 500 and keeps serving when a custom callback throws after the outcome', async () => {
      const passport = new Passport();
      passport.use(new OktaBearerStrategy({ oktaDomain: okta.origin, authServerId: 'default', audience: AUDIENCE }));
      const app = express();
      app.get('/boom', (req, res, next) => {
        passport.authenticate('okta-bearer', { session: false }, (_err: unknown, user: { missing: { x: string } }) => {
          res.send(user.missing.x);
        })(req, res, next);
      });
      app.get('/ok', (_req, res) => {
        res.send('ok');
      });
      const server = await listen(app as unknown as RequestListener);
      servers.push(server);
      const logged: unknown[] = [];
      const original = console.error;
      console.error = (...args: unknown[]) => void logged.push(args);
      try {
        expect((await call(`${server.origin}/boom`, bearer(await token()))).status).to.equal(500);
      } finally {
        console.error = original;
      }
      expect(logged).to.have.length(1);
      expect((await call(`${server.origin}/ok`)).body).to.equal('ok');
    });

    describe('the verified-token cache', () => {
      it('still refuses a remembered token once it expires, and the answer is that it expired', async () => {
        let now = Date.now();
        await api_({ now: () => now, clockTolerance: 0 });
        const t = await token({ exp: Math.floor(now / 1000) + 30 });
        for (let i = 0; i < 3; i++) expect((await call(`${api.origin}/api/me`, bearer(t))).status).to.equal(200);
        now += 31_000;
        const late = await call(`${api.origin}/api/me`, bearer(t));
        expect(late.status).to.equal(401);
        expect(late.headers['www-authenticate']).to.equal(invalidToken('The access token expired'));
      });

      it('gives each request its own copy of the claims, whatever the verify function changes', async () => {
        await api_({}, async (claims) => {
          const seen = claims.scp.join(' ');
          claims.scp.push('admin');
          claims.sub = 'mallory';
          return { seen };
        });
        const t = await token();
        for (let i = 0; i < 4; i++) {
          const body = JSON.parse((await call(`${api.origin}/api/me`, bearer(t))).body) as { user: { seen: string } };
          expect(body.user.seen).to.equal('openid orders:read');
        }
      });

      it('verifies a token on its first two sights, then remembers it; every time with verifiedTokenCacheSize: 0', async () => {
        // A key set refreshed at every full verification shows how many there were.
        const refreshEachTime = { jwksMaxAge: 1, jwksCooldown: 1 };
        const t = await token();
        const fetchesFor = async (options: Record<string, unknown>): Promise<number> => {
          await api_({ ...refreshEachTime, ...options });
          const before = okta.hits.keys;
          for (let i = 0; i < 6; i++) {
            await new Promise((resolve) => setTimeout(resolve, 5));
            expect((await call(`${api.origin}/api/me`, bearer(t))).status).to.equal(200);
          }
          return okta.hits.keys - before;
        };
        expect(await fetchesFor({})).to.equal(2);
        expect(await fetchesFor({ verifiedTokenCacheSize: 0 })).to.equal(6);
        expect(
          () =>
            new OktaBearerStrategy({
              oktaDomain: okta.origin,
              authServerId: 'default',
              audience: AUDIENCE,
              verifiedTokenCacheSize: -1,
            }),
        ).to.throw(ConfigurationError, /verifiedTokenCacheSize/);
      });
    });

    it('answers a request without credentials with 401 and the challenges, without an error', async () => {
      await api_();
      const answer = await call(`${api.origin}/api/me`);
      expect(answer.status).to.equal(401);
      expect(answer.headers['www-authenticate']).to.equal(`Bearer, ${ALGS}`);
      const basic = await call(`${api.origin}/api/me`, { authorization: 'Basic dXNlcjpwYXNz' });
      expect(basic.headers['www-authenticate']).to.equal(`Bearer, ${ALGS}`);
    });

    /** What the API says of a token of another issuer: both issuers, and the option to set. */
    const anotherIssuer = (received: string): string =>
      `The access token was issued by another authorization server (iss is '${received}', not the expected ` +
      `'${okta.issuer}': if Okta's Issuer setting for this authorization server is not the URL oktaDomain and ` +
      'authServerId make (e.g. a custom URL domain), set the issuer option to the Issuer Okta shows)';
    const refusals: Array<[string, () => Promise<string>, string | (() => string)]> = [
      ['an expired token', () => token({ exp: Math.floor(Date.now() / 1000) - 120 }), 'The access token expired'],
      ['a token for another audience', () => token({ aud: 'api://other' }), 'The access token is not meant for this API (aud)'],
      [
        'a token of another issuer',
        () => token({ iss: 'https://evil.example/oauth2/default' }),
        () => anotherIssuer('https://evil.example/oauth2/default'),
      ],
      [
        'a forged token (signed by another key with the same kid)',
        () => token({}, undefined, otherKey),
        'The access token signature is invalid',
      ],
      [
        'a token not valid yet',
        () => token({ nbf: Math.floor(Date.now() / 1000) + 600 }),
        'The access token is not valid yet (nbf)',
      ],
      [
        'a token issued in the future',
        () => token({ iat: Math.floor(Date.now() / 1000) + 600 }),
        'The access token was issued in the future (iat)',
      ],
      [
        'an ID token (nonce, no cid, no scp) even when its aud is the API',
        () =>
          token({ cid: undefined, scp: undefined, uid: undefined, nonce: 'n-1', amr: ['pwd'], idp: '00o1', azp: '0oaspa' }, {}),
        'The token is not an access token (it has nonce)',
      ],
      [
        'an ID token without nonce (no cid)',
        () => token({ cid: undefined, scp: undefined, uid: undefined, amr: ['pwd'] }, {}),
        'The token is not an access token (no cid)',
      ],
      ['a token without scopes', () => token({ scp: undefined }), 'The token is not an access token (no scp)'],
      ['a JWT of another type', () => token({}, { typ: 'logout+jwt' }), 'The token is not an access token (typ)'],
      ['a DPoP proof presented as a token', () => token({}, { typ: 'dpop+jwt' }), 'The token is not an access token (typ)'],
      ['a token with an unknown kid', () => token({}, { kid: 'nope' }), 'The access token is signed with an unknown key'],
      [
        'a token with critical headers',
        () => token({}, { crit: ['b64'], b64: true }),
        'The access token names critical header parameters',
      ],
    ];
    for (const [what, make, description] of refusals) {
      it(`refuses ${what} with 401 invalid_token`, async () => {
        await api_();
        const t = await make();
        const answer = await call(`${api.origin}/api/me`, bearer(t));
        expect(answer.status).to.equal(401);
        expect(answer.headers['www-authenticate']).to.equal(
          invalidToken(typeof description === 'string' ? description : description()),
        );
        for (const part of t.split('.')) expect(answer.headers['www-authenticate']).not.to.include(part);
      });
    }

    it('refuses a token signed with an algorithm not allowed (HS256 with a guessed secret)', async () => {
      await api_();
      const t = await new SignJWT(accessClaims(okta.issuer))
        .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
        .sign(new TextEncoder().encode('x'.repeat(32)));
      const answer = await call(`${api.origin}/api/me`, bearer(t));
      expect(answer.headers['www-authenticate']).to.equal(
        invalidToken('The access token is signed with an algorithm that is not allowed'),
      );
    });

    it('accepts only the clients listed in clientIds', async () => {
      await api_({ clientIds: ['0oaother'] });
      const refused = await call(`${api.origin}/api/me`, bearer(await token()));
      expect(refused.headers['www-authenticate']).to.equal(
        invalidToken('The access token was issued to a client this API does not accept (cid)'),
      );
      const accepted = await call(`${api.origin}/api/me`, bearer(await token({ cid: '0oaother' })));
      expect(accepted.status).to.equal(200);
    });

    it('answers malformed, repeated and oversized Authorization headers with 400 invalid_request', async () => {
      await api_();
      const t = await token();
      const cases: Array<[Record<string, string | string[]>, string]> = [
        [{ authorization: [`Bearer ${t}`, `Bearer ${t}`] }, 'The request carries several Authorization headers'],
        [{ authorization: 'Bearer a b' }, 'The Authorization header is malformed'],
        [{ authorization: 'Bearer' }, 'The Authorization header has no Bearer token'],
        [{ authorization: 'Bearer ä' }, 'The Authorization header is malformed'],
        [{ authorization: `Bearer ${'a'.repeat(8193)}` }, 'The access token is longer than 8192 characters'],
      ];
      for (const [headers, description] of cases) {
        const answer = await call(`${api.origin}/api/me`, headers);
        expect(answer.status, description).to.equal(400);
        expect(answer.headers['www-authenticate']).to.equal(
          `Bearer error="invalid_request", error_description="${description}", ${ALGS}`,
        );
      }
    });

    it('fetches the key set once for a flood of unknown kids', async () => {
      await api_();
      const forged = await Promise.all(Array.from({ length: 20 }, (_, i) => token({}, { kid: `forged-${i}` })));
      const answers = await Promise.all(forged.map((t) => call(`${api.origin}/api/me`, bearer(t))));
      expect(answers.map((a) => a.status)).to.deep.equal(Array(20).fill(401));
      expect(okta.hits.keys).to.be.at.most(2);
    });

    it('ends in a 503 error, not a refusal, when the key set cannot be fetched', async () => {
      okta.behaviour = { keys: { status: 500, body: { keys: okta.keys.map((k) => k.jwk) } } };
      await api_();
      const answer = await call(`${api.origin}/api/me`, bearer(await token()));
      expect(answer.status).to.equal(502);
      const again = await call(`${api.origin}/api/me`, bearer(await token()));
      expect(again.status).to.equal(503);
      expect(okta.hits.keys).to.equal(1);
    });

    it('shares one key cache with an OktaStrategy of the same authorization server', async () => {
      const signIn = new OktaStrategy(
        { oktaDomain: okta.origin, authServerId: 'default', clientID: '0oaspa', clientSecret: 's', callbackURL: '/cb' },
        async () => ({}),
      );
      await api_();
      expect((await call(`${api.origin}/api/me`, bearer(await token()))).status).to.equal(200);
      const idToken = await signToken(key, { ...accessClaims(okta.issuer), aud: '0oaspa' }, {});
      await signIn.client.verifyIdToken(idToken);
      expect(okta.hits.keys).to.equal(1);
    });

    it('hands claims and token to the verify function, whose false refuses and whose info joins authInfo', async () => {
      const seen: string[] = [];
      await api_({}, async (claims, t) => {
        seen.push(t);
        return claims.uid === '00ualice' ? { id: claims.uid } : false;
      });
      const t = await token();
      const ok = await call(`${api.origin}/api/me`, bearer(t));
      expect(JSON.parse(ok.body)).to.deep.include({ user: { id: '00ualice' } });
      expect(seen).to.deep.equal([t]);
      const refused = await call(`${api.origin}/api/me`, bearer(await token({ uid: '00ubob' })));
      expect(refused.headers['www-authenticate']).to.equal(invalidToken('The application refused this access token'));
    });

    it('supports verify functions with done and with the request first', async () => {
      await api_({}, (claims, _t, done) => done(null, { sub: claims.sub }));
      expect(JSON.parse((await call(`${api.origin}/api/me`, bearer(await token()))).body).user).to.deep.equal({
        sub: 'alice@example.com',
      });
      const withReq = new OktaBearerStrategy(
        { oktaDomain: okta.origin, authServerId: 'default', audience: AUDIENCE, passReqToCallback: true },
        async (req, claims) => ({ path: req.url, sub: claims.sub }),
      );
      expect(withReq.name).to.equal('okta-bearer');
    });
  });

  describe('requireScopes', () => {
    it('lets a token with the scope through and answers 403 insufficient_scope with the scope otherwise', async () => {
      await api_();
      expect((await call(`${api.origin}/api/orders`, bearer(await token()))).status).to.equal(200);
      const answer = await call(`${api.origin}/api/orders`, bearer(await token({ scp: ['openid'] })));
      expect(answer.status).to.equal(403);
      expect(answer.headers['www-authenticate']).to.equal(
        'Bearer error="insufficient_scope", error_description="The access token does not grant the scopes this request needs", scope="orders:read", ' +
          ALGS,
      );
    });

    it('puts the insufficient_scope error on the DPoP challenge for a DPoP token', async () => {
      await api_();
      const t = await token({ scp: ['openid'], cnf: { jkt: holder.jkt } });
      const url = `${api.origin}/api/orders`;
      const answer = await call(url, { authorization: `DPoP ${t}`, dpop: await proof(holder, 'GET', url, t) });
      expect(answer.status).to.equal(403);
      expect(answer.headers['www-authenticate']).to.equal(
        'Bearer, DPoP error="insufficient_scope", error_description="The access token does not grant the scopes this request needs", scope="orders:read", algs="ES256 ES384 PS256 RS256 EdDSA"',
      );
    });
  });

  describe('DPoP (RFC 9449 §7)', () => {
    const bound = () => token({ cnf: { jkt: holder.jkt } });
    async function dpopCall(
      t: string,
      p: string,
      path = '/api/me',
      method = 'GET',
      extra: Record<string, string | string[]> = {},
    ) {
      return call(`${api.origin}${path}`, { authorization: `DPoP ${t}`, dpop: p, ...extra }, method);
    }

    it('accepts a DPoP-bound token with a valid proof, and reports tokenType DPoP', async () => {
      await api_();
      const t = await bound();
      const answer = await dpopCall(t, await proof(holder, 'GET', `${api.origin}/api/me`, t));
      expect(answer.status).to.equal(200);
      expect(JSON.parse(answer.body)).to.include({ tokenType: 'DPoP' });
    });

    it('ignores the query and fragment of htu and of the request, and normalizes scheme and host case', async () => {
      await api_();
      const t = await bound();
      const htu = `${api.origin.replace('http', 'HTTP')}/api/me#frag`;
      const answer = await dpopCall(t, await proof(holder, 'GET', htu, t), '/api/me?x=1');
      expect(answer.status).to.equal(200);
    });

    it('compares htu with the forwarded proto and host only with trustProxy', async () => {
      await api_({ trustProxy: true });
      const t = await bound();
      const p = await proof(holder, 'GET', 'https://api.example.com/api/me', t);
      const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' };
      expect((await dpopCall(t, p, '/api/me', 'GET', forwarded)).status).to.equal(200);
      await api_();
      const p2 = await proof(holder, 'GET', 'https://api.example.com/api/me', t);
      const answer = await dpopCall(t, p2, '/api/me', 'GET', forwarded);
      expect(answer.headers['www-authenticate']).to.equal(badProof('The DPoP proof is for another URL (htu)'));
    });

    it('refuses a DPoP-bound token presented as Bearer (downgrade)', async () => {
      await api_();
      const answer = await call(`${api.origin}/api/me`, bearer(await bound()));
      expect(answer.status).to.equal(401);
      expect(answer.headers['www-authenticate']).to.equal(
        invalidToken('The access token is DPoP-bound: present it with the DPoP scheme and a proof'),
      );
    });

    it("refuses plain Bearer tokens with dpop: 'required', challenging with DPoP only", async () => {
      await api_({ dpop: 'required' });
      const answer = await call(`${api.origin}/api/me`, bearer(await token()));
      expect(answer.status).to.equal(401);
      expect(answer.headers['www-authenticate']).to.equal(
        'DPoP error="invalid_token", error_description="This API accepts DPoP-bound access tokens only", algs="ES256 ES384 PS256 RS256 EdDSA"',
      );
      expect((await call(`${api.origin}/api/me`)).headers['www-authenticate']).to.equal(
        'DPoP algs="ES256 ES384 PS256 RS256 EdDSA"',
      );
    });

    it("does not accept the DPoP scheme with dpop: 'disabled'", async () => {
      await api_({ dpop: 'disabled', realm: 'orders' });
      const t = await bound();
      const answer = await dpopCall(t, await proof(holder, 'GET', `${api.origin}/api/me`, t));
      expect(answer.status).to.equal(401);
      expect(answer.headers['www-authenticate']).to.equal('Bearer realm="orders"');
    });

    it('refuses a replayed proof', async () => {
      await api_();
      const t = await bound();
      const p = await proof(holder, 'GET', `${api.origin}/api/me`, t);
      expect((await dpopCall(t, p)).status).to.equal(200);
      const replay = await dpopCall(t, p);
      expect(replay.status).to.equal(401);
      expect(replay.headers['www-authenticate']).to.equal(badProof('The DPoP proof was already used (jti)'));
    });

    const proofRefusals: Array<[string, (t: string, url: string) => Promise<string>, string]> = [
      [
        'a proof for another URL',
        (t, url) => proof(holder, 'GET', url.replace('/api/me', '/api/orders'), t),
        'The DPoP proof is for another URL (htu)',
      ],
      [
        'a proof for another method',
        (t, url) => proof(holder, 'POST', url, t),
        'The DPoP proof is for another HTTP method (htm)',
      ],
      [
        'a proof for another token (ath)',
        (_t, url) => proof(holder, 'GET', url, 'another-token'),
        'The DPoP proof is not for this access token (ath)',
      ],
      [
        'a proof without ath',
        (_t, url) => proof(holder, 'GET', url, undefined),
        'The DPoP proof is not for this access token (ath)',
      ],
      [
        'an old proof',
        (t, url) => proof(holder, 'GET', url, t, { iat: Math.floor(Date.now() / 1000) - 200 }),
        'The DPoP proof is too old (iat)',
      ],
      [
        'a proof from the future',
        (t, url) => proof(holder, 'GET', url, t, { iat: Math.floor(Date.now() / 1000) + 200 }),
        'The DPoP proof was issued in the future (iat)',
      ],
      [
        'a proof of another typ',
        (t, url) => proof(holder, 'GET', url, t, {}, { typ: 'JWT' }),
        'The DPoP proof is not a dpop+jwt',
      ],
      [
        'a proof without jti',
        (t, url) => proof(holder, 'GET', url, t, { jti: undefined }),
        'The DPoP proof signature or claims are invalid',
      ],
      [
        "a proof signed by another key than its jwk (the token's key)",
        async (t, url) => proof(await dpopKey(), 'GET', url, t, {}, { jwk: holder.jwk }),
        'The DPoP proof signature or claims are invalid',
      ],
      [
        'a proof carrying a private key',
        async (t, url) => proof(holder, 'GET', url, t, {}, { jwk: { ...holder.jwk, d: 'AAAA' } }),
        'The DPoP proof jwk is not a public key',
      ],
      [
        'a proof without jwk',
        (t, url) => proof(holder, 'GET', url, t, {}, { jwk: undefined }),
        'The DPoP proof has no jwk header',
      ],
      ['a proof that is not a JWT', async () => 'not-a-jwt', 'The DPoP proof is not a well-formed JWT'],
    ];
    for (const [what, make, description] of proofRefusals) {
      it(`refuses ${what} with 401 invalid_dpop_proof`, async () => {
        await api_();
        const t = await bound();
        const answer = await dpopCall(t, await make(t, `${api.origin}/api/me`));
        expect(answer.status).to.equal(401);
        expect(answer.headers['www-authenticate']).to.equal(badProof(description));
      });
    }

    it('refuses a proof signed with HS256', async () => {
      await api_();
      const t = await bound();
      const p = await new SignJWT({
        htm: 'GET',
        htu: `${api.origin}/api/me`,
        iat: Math.floor(Date.now() / 1000),
        jti: 'j',
        ath: ath(t),
      })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: 'AAAA' } as never })
        .sign(new TextEncoder().encode('x'.repeat(32)));
      expect((await dpopCall(t, p)).headers['www-authenticate']).to.equal(
        badProof('The DPoP proof is signed with an algorithm that is not allowed'),
      );
    });

    it('refuses a proof by another key than the one the token is bound to (cnf.jkt)', async () => {
      await api_();
      const t = await bound();
      const thief = await dpopKey();
      const answer = await dpopCall(t, await proof(thief, 'GET', `${api.origin}/api/me`, t));
      expect(answer.headers['www-authenticate']).to.equal(
        dpopInvalidToken('The access token is bound to another DPoP key (cnf.jkt)'),
      );
    });

    it('refuses the DPoP scheme with an unbound token, without a proof, or with two proofs', async () => {
      await api_();
      const unbound = await token();
      const url = `${api.origin}/api/me`;
      expect((await dpopCall(unbound, await proof(holder, 'GET', url, unbound))).headers['www-authenticate']).to.equal(
        dpopInvalidToken('The access token is not DPoP-bound'),
      );
      const t = await bound();
      expect((await call(url, { authorization: `DPoP ${t}` })).headers['www-authenticate']).to.equal(
        badProof('The request has no DPoP proof'),
      );
      const two = [await proof(holder, 'GET', url, t), await proof(holder, 'GET', url, t)];
      expect((await call(url, { authorization: `DPoP ${t}`, dpop: two })).headers['www-authenticate']).to.equal(
        badProof('The request carries several DPoP proofs'),
      );
    });

    it('accepts RSA and Ed25519 proof keys too', async () => {
      await api_();
      for (const alg of ['PS256', 'EdDSA']) {
        const k = await dpopKey(alg);
        const t = await token({ cnf: { jkt: k.jkt } });
        expect((await dpopCall(t, await proof(k, 'GET', `${api.origin}/api/me`, t))).status, alg).to.equal(200);
      }
    });

    it('keeps the in-memory replay store bounded, refusing new proofs (503) rather than forgetting live ones', async () => {
      let now = Date.now();
      const store = new MemoryDPoPReplayStore({ maxEntries: 2, maxEntriesPerKey: 2, now: () => now });
      await api_({ dpopReplayStore: store });
      const t = await bound();
      const url = `${api.origin}/api/me`;
      expect((await dpopCall(t, await proof(holder, 'GET', url, t))).status).to.equal(200);
      expect((await dpopCall(t, await proof(holder, 'GET', url, t))).status).to.equal(200);
      expect((await dpopCall(t, await proof(holder, 'GET', url, t))).status).to.equal(503);
      expect(store.size).to.equal(2);
      now += 200_000;
      expect(store.claim('x', now + 1000)).to.equal(true);
      expect(store.size).to.equal(1);
    });

    it('uses a custom replay store', async () => {
      const ids: string[] = [];
      await api_({ dpopReplayStore: { claim: async (id) => (ids.includes(id) ? false : (ids.push(id), true)) } });
      const t = await bound();
      const p = await proof(holder, 'GET', `${api.origin}/api/me`, t);
      expect((await dpopCall(t, p)).status).to.equal(200);
      expect((await dpopCall(t, p)).status).to.equal(401);
      expect(ids).to.have.length(1);
      expect(ids[0]).to.match(/^[A-Za-z0-9_-]{43}$/);
    });
  });

  describe('introspection (RFC 7662)', () => {
    const active = (extra: Record<string, unknown> = {}) => ({
      active: true,
      token_type: 'Bearer',
      scope: 'openid orders:read',
      client_id: '0oaspa',
      username: 'alice@example.com',
      exp: Math.floor(Date.now() / 1000) + 600,
      iat: Math.floor(Date.now() / 1000),
      sub: 'alice@example.com',
      uid: '00ualice',
      aud: AUDIENCE,
      iss: okta.origin,
      ...extra,
    });

    it("introspects the org server's tokens with the client's credentials and caches active answers", async () => {
      okta.behaviour = { introspection: (t) => (t === 'opaque-token-1' ? active() : { active: false }) };
      await api_({ authServerId: undefined, clientID: '0oaintro', clientSecret: 'intro-secret' });
      const answers = await Promise.all([1, 2, 3].map(() => call(`${api.origin}/api/orders`, bearer('opaque-token-1'))));
      expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200]);
      expect((await call(`${api.origin}/api/orders`, bearer('opaque-token-1'))).status).to.equal(200);
      expect(okta.introspections).to.have.length(1);
      expect(okta.introspections[0]!.form.get('token_type_hint')).to.equal('access_token');
      expect(okta.introspections[0]!.authorization).to.equal(`Basic ${Buffer.from('0oaintro:intro-secret').toString('base64')}`);
      const inactive = await call(`${api.origin}/api/orders`, bearer('opaque-token-2'));
      expect(inactive.headers['www-authenticate']).to.equal(
        invalidToken('The access token is not active (expired, revoked or unknown)'),
      );
    });

    it('refuses an active token of another audience, issuer, type or client', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ aud: 'api://other' }, 'The access token is not meant for this API (aud)'],
        [
          { iss: 'https://evil.example' },
          "The access token was issued by another authorization server (iss is 'https://evil.example', not the expected " +
            `'${okta.origin}': if Okta's Issuer setting for this authorization server is not the URL oktaDomain and ` +
            'authServerId make (e.g. a custom URL domain), set the issuer option to the Issuer Okta shows)',
        ],
        [{ token_type: 'refresh_token' }, 'The token is not an access token (token_type)'],
        [{ client_id: undefined }, 'The token is not an access token (no cid)'],
      ];
      await api_({ authServerId: undefined, clientID: '0oaintro', clientSecret: 'intro-secret' });
      for (const [i, [extra, description]] of cases.entries()) {
        okta.behaviour = { introspection: () => active(extra) };
        const answer = await call(`${api.origin}/api/me`, bearer(`opaque-${i}`));
        expect(answer.headers['www-authenticate'], description).to.equal(invalidToken(description));
      }
    });

    it("introspects even JWTs with introspect: 'always', and sees DPoP binding in cnf", async () => {
      await api_({ introspect: 'always', clientID: '0oaintro', clientSecret: 'intro-secret' });
      const t = await token({ cnf: { jkt: holder.jkt } });
      okta.behaviour = { introspection: () => active({ iss: okta.issuer, token_type: 'DPoP', cnf: { jkt: holder.jkt } }) };
      const url = `${api.origin}/api/me`;
      const answer = await call(url, { authorization: `DPoP ${t}`, dpop: await proof(holder, 'GET', url, t) });
      expect(answer.status).to.equal(200);
      expect(okta.introspections).to.have.length(1);
      expect(okta.hits.keys).to.equal(0);
      const downgrade = await call(url, bearer(t));
      expect(downgrade.status).to.equal(401);
    });

    it('asks again once the cached answer expires, and uses a custom cache with hashed keys', async () => {
      let now = Date.now();
      const entries = new Map<string, OktaAccessTokenClaims>();
      const ttls: number[] = [];
      const cache: IntrospectionCache = {
        get: (k) => entries.get(k),
        set: (k, claims, ttl) => {
          entries.set(k, claims);
          ttls.push(ttl);
        },
      };
      okta.behaviour = { introspection: () => active({ exp: Math.floor(now / 1000) + 60 }) };
      await api_({
        authServerId: undefined,
        clientID: '0oaintro',
        clientSecret: 'intro-secret',
        introspectionCache: cache,
        introspectionCacheMaxAge: 30_000,
        now: () => now,
      });
      expect((await call(`${api.origin}/api/me`, bearer('opaque-a'))).status).to.equal(200);
      expect([...entries.keys()][0]).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(ttls).to.deep.equal([30_000]);
      now += 61_000;
      okta.behaviour = { introspection: () => ({ active: false }) };
      expect((await call(`${api.origin}/api/me`, bearer('opaque-a'))).status).to.equal(401);
      expect(okta.introspections).to.have.length(2);
    });

    it('refuses opaque tokens when no client can introspect them', async () => {
      await api_();
      const answer = await call(`${api.origin}/api/me`, bearer('opaque-token'));
      expect(answer.headers['www-authenticate']).to.equal(
        invalidToken('The access token is not a JWT of this authorization server'),
      );
    });
  });

  describe('configuration', () => {
    it('names the bad option', () => {
      const base = { oktaDomain: 'https://acme.okta.com', authServerId: 'default', audience: AUDIENCE };
      const bad: Array<[object, RegExp]> = [
        [{ ...base, audience: '' }, /audience is required/],
        [{ ...base, authServerId: undefined }, /org authorization server/],
        [{ ...base, dpop: 'maybe' }, /dpop must be/],
        [{ ...base, introspect: 'always' }, /needs clientID/],
        [{ ...base, accessTokenSigningAlgorithms: ['HS256'] }, /asymmetric/],
        [{ ...base, realm: 'a"b' }, /realm/],
      ];
      for (const [options, message] of bad) {
        expect(() => new OktaBearerStrategy(options as never)).to.throw(ConfigurationError, message);
      }
    });
  });
});

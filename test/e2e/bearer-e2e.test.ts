import { expect } from 'chai';
import type { RequestListener } from 'node:http';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { createApp, type ExampleApp, type ExampleConfig, type ExampleUser } from '../../example/app.js';
import { DEMO_USERS, startLocalOkta, type DemoUser, type LocalOkta } from '../../example/local-okta/index.js';
import { DPoPProver } from '../../lib/client/dpop.js';
import { ScriptedBrowser } from '../support/browser.js';
import { call } from '../support/bearer.js';
import { signIn } from '../support/okta-login.js';
import { openSlot, type Slot } from '../support/server.js';

// OktaBearerStrategy end to end: real access tokens from the local Okta (authorization
// code and client credentials, Bearer and DPoP-bound) sent to the example app's API.

const alice = DEMO_USERS[0] as DemoUser;
const CLIENT_ID = 'example-app';
const CLIENT_SECRET = 'example-app-secret';
const ALGS = 'DPoP algs="ES256 ES384 PS256 RS256 EdDSA"';
const invalidToken = (description: string): string => `Bearer error="invalid_token", error_description="${description}", ${ALGS}`;
const badProof = (description: string): string =>
  `Bearer, DPoP error="invalid_dpop_proof", error_description="${description}", algs="ES256 ES384 PS256 RS256 EdDSA"`;

describe('OktaBearerStrategy against the local Okta and the example app', function () {
  this.timeout(30_000);
  let okta: LocalOkta;
  const slots: Record<'main' | 'later' | 'payments' | 'careless' | 'dpopWeb', Slot> = {} as never;
  const signIns: ExampleUser[] = [];
  const dpopSignIns: ExampleUser[] = [];
  let dpopWeb: ExampleApp;

  before(async () => {
    for (const name of ['main', 'later', 'payments', 'careless', 'dpopWeb'] as const) slots[name] = await openSlot();
    okta = await startLocalOkta({
      clients: [
        { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [`${slots.main.origin}/auth/okta/callback`] },
        { clientId: 'svc', clientSecret: 'svc-secret', redirectUris: ['http://127.0.0.1/unused'], clientCredentials: true },
        {
          clientId: 'web-dpop',
          clientSecret: 'web-dpop-secret',
          redirectUris: [`${slots.dpopWeb.origin}/auth/okta/callback`],
          dpopBoundAccessTokens: true,
        },
        {
          clientId: 'svc-dpop',
          clientSecret: 'svc-dpop-secret',
          redirectUris: ['http://127.0.0.1/unused'],
          clientCredentials: true,
          dpopBoundAccessTokens: true,
        },
      ],
    });
    const base: ExampleConfig = {
      oktaDomain: okta.origin,
      authServerId: 'default',
      clientID: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      baseURL: '',
      sessionSecret: 'bearer-e2e-session-secret',
      // No profile or email: the sign-in needs no userinfo call, which Okta-style API tokens cannot make here.
      scopes: ['openid', 'orders:read'],
      onSignIn: (user) => signIns.push(user),
      logger: { warn: () => undefined, error: () => undefined },
    };
    const mount = (slot: Slot, config: Partial<ExampleConfig>): void =>
      slot.serve(createApp({ ...base, baseURL: slot.origin, ...config }).app as unknown as RequestListener);
    mount(slots.main, {});
    mount(slots.later, { now: () => Date.now() + 2 * 3600_000 });
    mount(slots.payments, { apiAudience: 'api://payments' });
    mount(slots.careless, { apiAudience: CLIENT_ID });
    // A web app that signs in with DPoP (authorization code + PKCE, DPoP proofs at the token endpoint).
    dpopWeb = createApp({
      ...base,
      baseURL: slots.dpopWeb.origin,
      clientID: 'web-dpop',
      clientSecret: 'web-dpop-secret',
      dpop: true,
      onSignIn: (user) => dpopSignIns.push(user),
    });
    slots.dpopWeb.serve(dpopWeb.app as unknown as RequestListener);
  });
  after(async () => {
    await Promise.all(Object.values(slots).map((slot) => slot.close()));
    await okta?.close();
  });

  /** An access token by the client credentials grant; DPoP-bound with `prover`. */
  async function clientCredentials(
    clientId: string,
    secret: string,
    scope: string,
    prover?: DPoPProver,
  ): Promise<{ token: string; type: string }> {
    const url = `${okta.issuer('default')}/v1/token`;
    const attempt = async () => {
      const headers: Record<string, string> = {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      };
      if (prover) headers.dpop = await prover.proof('POST', url);
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
      });
      return { status: response.status, headers: response.headers, text: await response.text() };
    };
    let answer = await attempt();
    if (prover?.observe(url, answer)) answer = await attempt();
    expect(answer.status, answer.text).to.equal(200);
    const body = JSON.parse(answer.text) as { access_token: string; token_type: string };
    return { token: body.access_token, type: body.token_type };
  }

  let userToken: string;
  let idToken: string;
  before(async () => {
    const page = await signIn(new ScriptedBrowser(), `${slots.main.origin}/login`, alice);
    expect(page.url).to.equal(`${slots.main.origin}/profile`);
    userToken = signIns[0]!.tokens.accessToken;
    idToken = signIns[0]!.tokens.idToken;
  });

  it("the sign-in's access token is an Okta-style JWT for api://default", () => {
    expect(decodeProtectedHeader(userToken).typ).to.equal('at+jwt');
    expect(decodeJwt(userToken)).to.deep.include({
      aud: 'api://default',
      cid: CLIENT_ID,
      uid: alice.sub,
      sub: alice.sub,
      ver: 1,
    });
    expect(decodeJwt(userToken).scp).to.deep.equal(['orders:read']);
  });

  it("accepts the user's access token (authorization code) at /api/me and the orders:read route", async () => {
    const me = await call(`${slots.main.origin}/api/me`, { authorization: `Bearer ${userToken}` });
    expect(me.status).to.equal(200);
    expect(JSON.parse(me.body)).to.deep.equal({
      sub: alice.sub,
      uid: alice.sub,
      client: CLIENT_ID,
      scopes: ['orders:read'],
      tokenType: 'Bearer',
    });
    const orders = await call(`${slots.main.origin}/api/orders`, { authorization: `Bearer ${userToken}` });
    expect(orders.status).to.equal(200);
    expect(JSON.parse(orders.body).orders[0].owner).to.equal(alice.sub);
  });

  it("accepts a service's client credentials token, and answers 403 insufficient_scope without orders:read", async () => {
    const { token } = await clientCredentials('svc', 'svc-secret', 'orders:read');
    expect((await call(`${slots.main.origin}/api/orders`, { authorization: `Bearer ${token}` })).status).to.equal(200);
    const writer = await clientCredentials('svc', 'svc-secret', 'orders:write');
    const answer = await call(`${slots.main.origin}/api/orders`, { authorization: `Bearer ${writer.token}` });
    expect(answer.status).to.equal(403);
    expect(answer.headers['www-authenticate']).to.equal(
      `Bearer error="insufficient_scope", error_description="The access token does not grant the scopes this request needs", scope="orders:read", ${ALGS}`,
    );
  });

  describe('DPoP-bound tokens', () => {
    let prover: DPoPProver;
    let token: string;
    const url = () => `${slots.main.origin}/api/orders`;
    const dpop = async (target: string, proof: string) => call(target, { authorization: `DPoP ${token}`, dpop: proof });

    before(async () => {
      prover = new DPoPProver(true, Date.now);
      const issued = await clientCredentials('svc-dpop', 'svc-dpop-secret', 'orders:read', prover);
      expect(issued.type).to.equal('DPoP');
      token = issued.token;
      expect((decodeJwt(token).cnf as { jkt: string }).jkt).to.be.a('string');
    });

    it('accepts the token with a fresh proof for the request', async () => {
      const answer = await dpop(url(), await prover.proof('GET', url(), token));
      expect(answer.status).to.equal(200);
    });

    it('refuses a replayed proof', async () => {
      const proof = await prover.proof('GET', url(), token);
      expect((await dpop(url(), proof)).status).to.equal(200);
      const replay = await dpop(url(), proof);
      expect(replay.status).to.equal(401);
      expect(replay.headers['www-authenticate']).to.equal(badProof('The DPoP proof was already used (jti)'));
    });

    it('refuses a proof for another URL or method, or for another token (ath)', async () => {
      const other = await dpop(url(), await prover.proof('GET', `${slots.main.origin}/api/me`, token));
      expect(other.headers['www-authenticate']).to.equal(badProof('The DPoP proof is for another URL (htu)'));
      const post = await dpop(url(), await prover.proof('POST', url(), token));
      expect(post.headers['www-authenticate']).to.equal(badProof('The DPoP proof is for another HTTP method (htm)'));
      const ath = await dpop(url(), await prover.proof('GET', url(), userToken));
      expect(ath.headers['www-authenticate']).to.equal(badProof('The DPoP proof is not for this access token (ath)'));
    });

    it('refuses the DPoP-bound token presented as Bearer, and a proof by another key', async () => {
      const downgrade = await call(url(), { authorization: `Bearer ${token}` });
      expect(downgrade.headers['www-authenticate']).to.equal(
        invalidToken('The access token is DPoP-bound: present it with the DPoP scheme and a proof'),
      );
      const thief = new DPoPProver(true, Date.now);
      const stolen = await dpop(url(), await thief.proof('GET', url(), token));
      expect(stolen.status).to.equal(401);
      expect(stolen.headers['www-authenticate']).to.include('error="invalid_token"');
    });
  });

  describe('DPoP-bound tokens from a sign-in (authorization code)', () => {
    let token: string;
    const url = () => `${slots.dpopWeb.origin}/api/orders`;
    const proof = (method: string, target: string, forToken = token) =>
      dpopWeb.strategy.client.createDPoPProof(method, target, forToken);

    before(async () => {
      const page = await signIn(new ScriptedBrowser(), `${slots.dpopWeb.origin}/login`, alice);
      expect(page.url).to.equal(`${slots.dpopWeb.origin}/profile`);
      token = dpopSignIns[0]!.tokens.accessToken;
    });

    it("is bound to the key of the client's proofs (cnf.jkt)", async () => {
      const claims = decodeJwt(token);
      expect(claims).to.deep.include({ aud: 'api://default', cid: 'web-dpop', sub: alice.sub });
      const { jwk } = decodeProtectedHeader(await proof('GET', url()));
      expect((claims.cnf as { jkt: string }).jkt).to.equal(await calculateJwkThumbprint(jwk!));
    });

    it("is accepted at the API with the client's own proof, once per proof", async () => {
      const fresh = await proof('GET', url());
      const answer = await call(url(), { authorization: `DPoP ${token}`, dpop: fresh });
      expect(answer.status, answer.body).to.equal(200);
      expect(JSON.parse(answer.body).orders[0].owner).to.equal(alice.sub);
      const me = await call(`${slots.dpopWeb.origin}/api/me`, {
        authorization: `DPoP ${token}`,
        dpop: await proof('get', `${slots.dpopWeb.origin}/api/me?ignored=1`),
      });
      expect(JSON.parse(me.body)).to.deep.include({ sub: alice.sub, client: 'web-dpop', tokenType: 'DPoP' });
      const replay = await call(url(), { authorization: `DPoP ${token}`, dpop: fresh });
      expect(replay.status).to.equal(401);
      expect(replay.headers['www-authenticate']).to.equal(badProof('The DPoP proof was already used (jti)'));
    });

    it('is refused as Bearer, with a proof for another request, and with a proof by another key', async () => {
      const downgrade = await call(url(), { authorization: `Bearer ${token}` });
      expect(downgrade.headers['www-authenticate']).to.equal(
        invalidToken('The access token is DPoP-bound: present it with the DPoP scheme and a proof'),
      );
      const elsewhere = await call(url(), {
        authorization: `DPoP ${token}`,
        dpop: await proof('GET', `${slots.main.origin}/api/orders`),
      });
      expect(elsewhere.headers['www-authenticate']).to.equal(badProof('The DPoP proof is for another URL (htu)'));
      const unbound = await call(url(), { authorization: `DPoP ${token}`, dpop: await proof('GET', url(), userToken) });
      expect(unbound.headers['www-authenticate']).to.equal(badProof('The DPoP proof is not for this access token (ath)'));
      const thief = new DPoPProver(true, Date.now);
      const stolen = await call(url(), { authorization: `DPoP ${token}`, dpop: await thief.proof('GET', url(), token) });
      expect(stolen.status).to.equal(401);
      expect(stolen.headers['www-authenticate']).to.include('error="invalid_token"');
    });
  });

  it('refuses forged, expired, wrong-audience tokens and an ID token, with the right challenge', async () => {
    const at = (origin: string, token: string) => call(`${origin}/api/me`, { authorization: `Bearer ${token}` });
    const [header, payload] = userToken.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...decodeJwt(userToken), sub: 'someone-else' })).toString('base64url')}.${userToken.split('.')[2]}`;
    const { privateKey } = await generateKeyPair('RS256');
    const resigned = await new SignJWT(decodeJwt(userToken))
      .setProtectedHeader(decodeProtectedHeader(userToken) as never)
      .sign(privateKey);
    expect(payload).to.be.a('string');
    const cases: Array<[string, string, string]> = [
      [slots.main.origin, tampered, 'The access token signature is invalid'],
      [slots.main.origin, resigned, 'The access token signature is invalid'],
      [slots.later.origin, userToken, 'The access token expired'],
      [slots.payments.origin, userToken, 'The access token is not meant for this API (aud)'],
      [slots.main.origin, idToken, 'The access token is not meant for this API (aud)'],
      // An API that (wrongly) uses the client id as its audience still refuses the ID token.
      [slots.careless.origin, idToken, 'The token is not an access token (it has nonce)'],
    ];
    for (const [origin, token, description] of cases) {
      const answer = await at(origin, token);
      expect(answer.status, description).to.equal(401);
      expect(answer.headers['www-authenticate'], description).to.equal(invalidToken(description));
    }
  });
});

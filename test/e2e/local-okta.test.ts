import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import {
  SignJWT,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  type JWTPayload,
} from 'jose';
import { DEMO_USERS, startLocalOkta } from '../../example/local-okta/index.js';
import type { DemoUser, LocalOkta, LocalOktaClient } from '../../example/local-okta/index.js';
import { listen, type Listening } from '../support/server.js';

// Real HTTP against the local Okta on 127.0.0.1. The client's redirect URIs point at a port
// nothing listens on: redirects are never followed there, only read.
const CLIENT: LocalOktaClient = {
  clientId: 'test-app',
  clientSecret: 'test-app-secret',
  redirectUris: ['http://127.0.0.1:3999/callback'],
  postLogoutRedirectUris: ['http://127.0.0.1:3999/signed-out'],
};
const REDIRECT_URI = 'http://127.0.0.1:3999/callback';
const DPOP_CLIENT: LocalOktaClient = {
  clientId: 'dpop-app',
  clientSecret: 'dpop-app-secret',
  redirectUris: [REDIRECT_URI],
  dpopBoundAccessTokens: true,
};
const alice = DEMO_USERS.find((user) => user.username.startsWith('alice')) as DemoUser;
const carol = DEMO_USERS.find((user) => user.username.startsWith('carol')) as DemoUser;

/** Cookies per name and path, as a browser keeps them (the provider scopes some to a path). */
class CookieJar {
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>();

  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';');
      const name = pair.slice(0, pair.indexOf('=')).trim();
      const value = pair.slice(pair.indexOf('=') + 1).trim();
      let path = '/';
      let expired = value === '';
      for (const attribute of attributes) {
        const [key = '', val = ''] = attribute.trim().split('=');
        if (key.toLowerCase() === 'path') path = val;
        if (key.toLowerCase() === 'expires' && Date.parse(val) <= Date.now()) expired = true;
      }
      if (expired) this.cookies.delete(`${name} ${path}`);
      else this.cookies.set(`${name} ${path}`, { name, value, path });
    }
  }

  header(url: URL): string {
    return [...this.cookies.values()]
      .filter(({ path }) => url.pathname === path || url.pathname.startsWith(path.endsWith('/') ? path : `${path}/`))
      .map(({ name, value }) => `${name}=${value}`)
      .join('; ');
  }
}

/** A user agent: one cookie jar, redirects returned rather than followed. */
class Browser {
  readonly jar = new CookieJar();

  get(url: string | URL): Promise<Response> {
    return this.send(new URL(url), { method: 'GET' });
  }

  post(url: string | URL, form: Record<string, string>): Promise<Response> {
    return this.send(new URL(url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  private async send(url: URL, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.jar.header(url);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.jar.store(response);
    return response;
  }
}

function location(response: Response): URL {
  expect(response.status, `expected a redirect, got ${response.status}`).to.be.oneOf([302, 303]);
  return new URL(response.headers.get('location') as string, response.url);
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function basicAuth(client: LocalOktaClient): string {
  return `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
}

/** A DPoP proof (RFC 9449) for one request, signed with an ES256 key. */
async function dpopProof(
  key: CryptoKeyPair,
  htm: string,
  htu: string,
  extra: { nonce?: string; accessToken?: string } = {},
): Promise<string> {
  const claims: Record<string, string> = { htm, htu, jti: randomBytes(12).toString('base64url') };
  if (extra.nonce) claims.nonce = extra.nonce;
  if (extra.accessToken) claims.ath = createHash('sha256').update(extra.accessToken).digest('base64url');
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(key.publicKey) })
    .setIssuedAt()
    .sign(key.privateKey);
}

describe('local Okta (example/local-okta/)', function () {
  let okta: LocalOkta;

  before(async function () {
    okta = await startLocalOkta({ clients: [CLIENT, DPOP_CLIENT] });
  });

  after(async function () {
    await okta.close();
  });

  const layouts = [
    { label: 'custom authorization server', authServerId: 'default' as string | undefined },
    { label: 'org authorization server', authServerId: undefined },
  ];

  for (const { label, authServerId } of layouts) {
    describe(label, function () {
      const issuer = () => okta.issuer(authServerId);
      const endpoint = (name: string) =>
        authServerId === undefined ? `${okta.origin}/oauth2/v1/${name}` : `${issuer()}/v1/${name}`;

      /** A fresh authorization request with PKCE S256, state and nonce; `params` overrides. */
      function authorizationRequest(params: Record<string, string | undefined> = {}) {
        const { verifier, challenge } = pkce();
        const state = randomBytes(8).toString('hex');
        const nonce = randomBytes(8).toString('hex');
        const all: Record<string, string | undefined> = {
          client_id: CLIENT.clientId,
          response_type: 'code',
          redirect_uri: REDIRECT_URI,
          scope: 'openid profile email',
          state,
          nonce,
          code_challenge: challenge,
          code_challenge_method: 'S256',
          ...params,
        };
        const url = new URL(endpoint('authorize'));
        for (const [key, value] of Object.entries(all)) if (value !== undefined) url.searchParams.set(key, value);
        return { url, verifier, state, nonce };
      }

      /** Authorize URL -> sign-in form -> credentials -> resume -> the client's redirect. */
      async function signIn(browser: Browser, params: Record<string, string | undefined> = {}, user = alice) {
        const request = authorizationRequest(params);
        const loginUrl = location(await browser.get(request.url));
        expect(loginUrl.pathname).to.match(/^\/login\/[\w-]+$/);
        const form = await browser.get(loginUrl);
        expect(form.status).to.equal(200);
        expect(await form.text()).to.include(`action="${loginUrl.pathname}"`);
        const resume = location(await browser.post(loginUrl, { username: user.username, password: user.password }));
        const final = await browser.get(resume);
        return { ...request, final };
      }

      async function signInForCode(browser: Browser, params: Record<string, string | undefined> = {}) {
        const request = await signIn(browser, params);
        const callback = location(request.final);
        expect(`${callback.origin}${callback.pathname}`).to.equal(REDIRECT_URI);
        expect(callback.searchParams.get('state')).to.equal(request.state);
        return { ...request, callback, code: callback.searchParams.get('code') as string };
      }

      async function token(body: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> {
        const response = await fetch(endpoint('token'), {
          method: 'POST',
          headers: { authorization: basicAuth(CLIENT), 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(body).toString(),
        });
        return { status: response.status, json: (await response.json()) as Record<string, unknown> };
      }

      function redeem(code: string, verifier: string) {
        return token({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI });
      }

      it('publishes a discovery document with the Okta endpoint layout', async function () {
        const discoveryUrl = `${issuer()}/.well-known/openid-configuration`;
        const response = await fetch(discoveryUrl);
        expect(response.status).to.equal(200);
        const discovery = (await response.json()) as Record<string, unknown>;
        expect(discovery).to.include({
          issuer: issuer(),
          authorization_endpoint: endpoint('authorize'),
          token_endpoint: endpoint('token'),
          jwks_uri: endpoint('keys'),
          userinfo_endpoint: endpoint('userinfo'),
          revocation_endpoint: endpoint('revoke'),
          end_session_endpoint: endpoint('logout'),
          pushed_authorization_request_endpoint: endpoint('par'),
          introspection_endpoint: endpoint('introspect'),
        });
        expect(discovery.code_challenge_methods_supported).to.deep.equal(['S256']);
        expect(discovery.id_token_signing_alg_values_supported).to.deep.equal(['RS256']);
        expect(discovery.scopes_supported).to.include.members(['openid', 'profile', 'email', 'offline_access', 'groups']);
        expect(discovery.response_modes_supported).to.include.members(['query', 'form_post']);
        expect(discovery).not.to.have.property('authorization_response_iss_parameter_supported');
      });

      it('completes a code flow with PKCE S256 and issues a thin, verifiable RS256 ID token', async function () {
        const browser = new Browser();
        const { callback, code, verifier, nonce } = await signInForCode(browser);
        expect(callback.searchParams.has('iss'), 'no RFC 9207 iss by default').to.equal(false);

        const { status, json } = await redeem(code, verifier);
        expect(status).to.equal(200);
        expect(json).to.include({ token_type: 'Bearer', expires_in: 3600 });
        expect(json).not.to.have.property('refresh_token');

        const jwks = createRemoteJWKSet(new URL(endpoint('keys')));
        const { payload, protectedHeader } = await jwtVerify(json.id_token as string, jwks, {
          issuer: issuer(),
          audience: CLIENT.clientId,
          algorithms: ['RS256'],
        });
        expect(protectedHeader.alg).to.equal('RS256');
        expect(protectedHeader.kid).to.be.a('string');
        expect(Object.keys(payload).sort()).to.deep.equal([
          'amr',
          'aud',
          'auth_time',
          'email',
          'exp',
          'iat',
          'idp',
          'iss',
          'name',
          'nonce',
          'preferred_username',
          'sid',
          'sub',
          'ver',
        ]);
        expect(payload.sid, 'the session id, for front- and back-channel logout').to.be.a('string');
        expect(payload).to.include({
          sub: alice.sub,
          name: 'Alice Anderson',
          preferred_username: alice.username,
          email: alice.email,
          nonce,
          ver: 1,
        });
        expect(payload.amr).to.deep.equal(['pwd']);
        expect(payload.idp).to.be.a('string');
      });

      it('rejects a token request whose code_verifier does not match', async function () {
        const { code } = await signInForCode(new Browser());
        const { status, json } = await redeem(code, pkce().verifier);
        expect(status).to.equal(400);
        expect(json.error).to.equal('invalid_grant');
      });

      it('returns the full profile and the groups from userinfo', async function () {
        const { code, verifier } = await signInForCode(new Browser(), { scope: 'openid profile email groups' });
        const { json } = await redeem(code, verifier);
        const idToken = decodeJwt(json.id_token as string);
        expect(idToken).not.to.have.any.keys('given_name', 'family_name', 'groups', 'email_verified');

        const response = await fetch(endpoint('userinfo'), {
          headers: { authorization: `Bearer ${json.access_token as string}` },
        });
        expect(response.status).to.equal(200);
        const userinfo = (await response.json()) as Record<string, unknown>;
        expect(userinfo).to.include({
          sub: alice.sub,
          given_name: 'Alice',
          family_name: 'Anderson',
          name: 'Alice Anderson',
          preferred_username: alice.username,
          email: alice.email,
          email_verified: true,
        });
        expect(userinfo).to.include.keys('locale', 'zoneinfo', 'updated_at');
        expect(userinfo.groups).to.deep.equal(['Everyone', 'Admins']);
      });

      it('leaves groups out of userinfo when the groups scope is not asked', async function () {
        const { code, verifier } = await signInForCode(new Browser());
        const { json } = await redeem(code, verifier);
        const response = await fetch(endpoint('userinfo'), {
          headers: { authorization: `Bearer ${json.access_token as string}` },
        });
        const userinfo = (await response.json()) as Record<string, unknown>;
        expect(userinfo).to.include({ given_name: 'Alice' });
        expect(userinfo).not.to.have.property('groups');
      });

      it('issues a refresh token for offline_access without prompt=consent; refresh and revoke work', async function () {
        const { code, verifier } = await signInForCode(new Browser(), { scope: 'openid profile offline_access' });
        const first = await redeem(code, verifier);
        expect(first.status).to.equal(200);
        expect(first.json.refresh_token).to.be.a('string');
        expect(String(first.json.scope).split(' ')).to.include('offline_access');

        const refreshed = await token({ grant_type: 'refresh_token', refresh_token: first.json.refresh_token as string });
        expect(refreshed.status).to.equal(200);
        expect(refreshed.json.access_token).to.be.a('string').and.not.equal(first.json.access_token);
        expect(decodeJwt(refreshed.json.id_token as string).sub).to.equal(alice.sub);
        // Not rotated for a confidential client.
        expect(refreshed.json.refresh_token).to.equal(first.json.refresh_token);

        const revoked = await fetch(endpoint('revoke'), {
          method: 'POST',
          headers: { authorization: basicAuth(CLIENT), 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token: first.json.refresh_token as string, token_type_hint: 'refresh_token' }),
        });
        expect(revoked.status).to.equal(200);
        const afterRevoke = await token({ grant_type: 'refresh_token', refresh_token: first.json.refresh_token as string });
        expect(afterRevoke.status).to.equal(400);
        expect(afterRevoke.json.error).to.equal('invalid_grant');
      });

      it('redirects an authorization request without state back with invalid_request', async function () {
        const { url } = authorizationRequest({ state: undefined });
        const callback = location(await new Browser().get(url));
        expect(`${callback.origin}${callback.pathname}`).to.equal(REDIRECT_URI);
        expect(callback.searchParams.get('error')).to.equal('invalid_request');
        expect(callback.searchParams.get('error_description')).to.include('state');
        expect(callback.searchParams.has('code')).to.equal(false);
      });

      it('redirects an authorization request without code_challenge back with invalid_request', async function () {
        const { url, state } = authorizationRequest({ code_challenge: undefined, code_challenge_method: undefined });
        const callback = location(await new Browser().get(url));
        expect(`${callback.origin}${callback.pathname}`).to.equal(REDIRECT_URI);
        expect(callback.searchParams.get('error')).to.equal('invalid_request');
        expect(callback.searchParams.get('error_description')).to.match(/PKCE/);
        expect(callback.searchParams.get('state')).to.equal(state);
      });

      it('rejects the plain PKCE method', async function () {
        const { url } = authorizationRequest({ code_challenge_method: 'plain' });
        const callback = location(await new Browser().get(url));
        expect(callback.searchParams.get('error')).to.equal('invalid_request');
      });

      it('sends error=access_denied to the client when the user cancels', async function () {
        const browser = new Browser();
        const { url, state } = authorizationRequest();
        const loginUrl = location(await browser.get(url));
        const resume = location(await browser.post(loginUrl, { deny: '1' }));
        const callback = location(await browser.get(resume));
        expect(`${callback.origin}${callback.pathname}`).to.equal(REDIRECT_URI);
        expect(callback.searchParams.get('error')).to.equal('access_denied');
        expect(callback.searchParams.get('error_description')).to.equal('User denied access');
        expect(callback.searchParams.get('state')).to.equal(state);
        expect(callback.searchParams.has('iss')).to.equal(false);
      });

      it('shows the form again with an error after a wrong password', async function () {
        const browser = new Browser();
        const loginUrl = location(await browser.get(authorizationRequest().url));
        const retry = await browser.post(loginUrl, { username: alice.username, password: 'wrong' });
        expect(retry.status).to.equal(401);
        const html = await retry.text();
        expect(html).to.include('Unable to sign in');
        expect(html).to.include('<input name="password" type="password"');
        // The same interaction still accepts the right password.
        const resume = location(await browser.post(loginUrl, { username: alice.username, password: alice.password }));
        expect(location(await browser.get(resume)).searchParams.get('code')).to.be.a('string');
      });

      it('answers prompt=none without a session with login_required', async function () {
        const { url, state } = authorizationRequest({ prompt: 'none' });
        const callback = location(await new Browser().get(url));
        expect(callback.searchParams.get('error')).to.equal('login_required');
        expect(callback.searchParams.get('state')).to.equal(state);
      });

      it('signs in silently with a session, and shows the form again for prompt=login', async function () {
        const browser = new Browser();
        await signInForCode(browser);

        const silent = location(await browser.get(authorizationRequest().url));
        expect(`${silent.origin}${silent.pathname}`).to.equal(REDIRECT_URI);
        expect(silent.searchParams.get('code')).to.be.a('string');

        const forced = location(await browser.get(authorizationRequest({ prompt: 'login' }).url));
        expect(forced.pathname).to.match(/^\/login\//);
      });

      it('never asks for consent, even for prompt=consent', async function () {
        const browser = new Browser();
        const first = await signInForCode(browser, { prompt: 'consent' });
        expect(first.code).to.be.a('string');

        // With a session, prompt=consent passes through the interaction page and straight back.
        const interaction = location(await browser.get(authorizationRequest({ prompt: 'consent' }).url));
        expect(interaction.pathname).to.match(/^\/login\//);
        const resume = location(await browser.get(interaction));
        const callback = location(await browser.get(resume));
        expect(callback.searchParams.get('code')).to.be.a('string');
      });

      it('logs out with id_token_hint and redirects to the post_logout_redirect_uri with state', async function () {
        const browser = new Browser();
        const { code, verifier } = await signInForCode(browser);
        const { json } = await redeem(code, verifier);

        const logout = new URL(endpoint('logout'));
        logout.searchParams.set('id_token_hint', json.id_token as string);
        logout.searchParams.set('post_logout_redirect_uri', CLIENT.postLogoutRedirectUris?.[0] as string);
        logout.searchParams.set('state', 'bye-123');
        const target = location(await browser.get(logout));
        expect(`${target.origin}${target.pathname}`).to.equal(CLIENT.postLogoutRedirectUris?.[0]);
        expect(target.searchParams.get('state')).to.equal('bye-123');

        // The provider session is gone: a silent request now needs a sign-in.
        const silent = location(await browser.get(authorizationRequest({ prompt: 'none' }).url));
        expect(silent.searchParams.get('error')).to.equal('login_required');
      });

      it('answers response_mode=form_post with an auto-posting form carrying code and state', async function () {
        const { final, state } = await signIn(new Browser(), { response_mode: 'form_post' });
        expect(final.status).to.equal(200);
        expect(final.headers.get('content-type')).to.match(/^text\/html/);
        const html = await final.text();
        expect(html).to.match(new RegExp(`<form method="post" action="${REDIRECT_URI}">`));
        expect(html).to.match(/<input type="hidden" name="code" value="[^"]+"\/>/);
        expect(html).to.include(`<input type="hidden" name="state" value="${state}"/>`);
        expect(html).not.to.include('name="iss"');
        expect(html).to.include('.submit()');
      });

      it('keeps offline_access through a pushed authorization request', async function () {
        const { verifier, challenge } = pkce();
        const pushed = await fetch(endpoint('par'), {
          method: 'POST',
          headers: { authorization: basicAuth(CLIENT), 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            client_id: CLIENT.clientId,
            response_type: 'code',
            redirect_uri: REDIRECT_URI,
            scope: 'openid offline_access',
            state: 'par-state',
            code_challenge: challenge,
            code_challenge_method: 'S256',
          }),
        });
        expect(pushed.status).to.equal(201);
        const { request_uri: requestUri } = (await pushed.json()) as { request_uri: string };

        const browser = new Browser();
        const authorize = new URL(endpoint('authorize'));
        authorize.searchParams.set('client_id', CLIENT.clientId);
        authorize.searchParams.set('request_uri', requestUri);
        const loginUrl = location(await browser.get(authorize));
        const resume = location(await browser.post(loginUrl, { username: alice.username, password: alice.password }));
        const callback = location(await browser.get(resume));
        expect(callback.searchParams.get('state')).to.equal('par-state');

        const { json } = await redeem(callback.searchParams.get('code') as string, verifier);
        expect(json.refresh_token).to.be.a('string');
      });
    });
  }

  it('keeps the two issuers apart: a code from one is unknown to the other', async function () {
    const browser = new Browser();
    const { verifier, challenge } = pkce();
    const url = new URL(`${okta.issuer('default')}/v1/authorize`);
    url.search = new URLSearchParams({
      client_id: CLIENT.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    const loginUrl = location(await browser.get(url));
    const resume = location(await browser.post(loginUrl, { username: alice.username, password: alice.password }));
    const code = location(await browser.get(resume)).searchParams.get('code') as string;

    const response = await fetch(`${okta.origin}/oauth2/v1/token`, {
      method: 'POST',
      headers: { authorization: basicAuth(CLIENT), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI }),
    });
    expect(response.status).to.equal(400);
    expect(((await response.json()) as { error: string }).error).to.equal('invalid_grant');
  });

  it('requires a DPoP nonce at the token endpoint and binds the tokens of a DPoP client', async function () {
    const tokenUrl = `${okta.issuer('default')}/v1/token`;
    const userinfoUrl = `${okta.issuer('default')}/v1/userinfo`;
    const browser = new Browser();
    const { verifier, challenge } = pkce();
    const url = new URL(`${okta.issuer('default')}/v1/authorize`);
    url.search = new URLSearchParams({
      client_id: DPOP_CLIENT.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid profile',
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    const loginUrl = location(await browser.get(url));
    const resume = location(await browser.post(loginUrl, { username: alice.username, password: alice.password }));
    const code = location(await browser.get(resume)).searchParams.get('code') as string;

    const key = await generateKeyPair('ES256');
    const exchange = (proof: string) =>
      fetch(tokenUrl, {
        method: 'POST',
        headers: { authorization: basicAuth(DPOP_CLIENT), 'content-type': 'application/x-www-form-urlencoded', dpop: proof },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          code_verifier: verifier,
          redirect_uri: REDIRECT_URI,
        }),
      });

    const first = await exchange(await dpopProof(key, 'POST', tokenUrl));
    expect(first.status).to.equal(400);
    expect(((await first.json()) as { error: string }).error).to.equal('use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce') as string;
    expect(nonce).to.be.a('string');

    const second = await exchange(await dpopProof(key, 'POST', tokenUrl, { nonce }));
    expect(second.status).to.equal(200);
    const tokens = (await second.json()) as { token_type: string; access_token: string };
    expect(tokens.token_type).to.equal('DPoP');

    const asBearer = await fetch(userinfoUrl, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(asBearer.status).to.equal(401);
    const withProof = await fetch(userinfoUrl, {
      headers: {
        authorization: `DPoP ${tokens.access_token}`,
        dpop: await dpopProof(key, 'GET', userinfoUrl, { accessToken: tokens.access_token }),
      },
    });
    expect(withProof.status).to.equal(200);
    expect(((await withProof.json()) as { sub: string }).sub).to.equal(alice.sub);
  });
});

describe('startLocalOkta', function () {
  it('rejects a client that is not valid for oidc-provider, naming it', async function () {
    let error: unknown;
    try {
      await startLocalOkta({ clients: [{ clientId: 'no-secret', redirectUris: [REDIRECT_URI] }], authServerIds: [] });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(TypeError);
    expect((error as Error).message)
      .to.include("'no-secret'")
      .and.include('client_secret');
  });

  it('rejects an authorization server id that does not fit in a path', async function () {
    let error: unknown;
    try {
      await startLocalOkta({ clients: [CLIENT], authServerIds: ['a/b'] });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(TypeError);
    expect((error as Error).message).to.include('a/b');
  });
});

describe('local Okta with authorizationResponseIss: true', function () {
  let okta: LocalOkta;

  before(async function () {
    okta = await startLocalOkta({ clients: [CLIENT], authServerIds: [], authorizationResponseIss: true });
  });

  after(async function () {
    await okta.close();
  });

  it('adds the RFC 9207 iss to authorization responses and advertises it', async function () {
    const discovery = (await (await fetch(`${okta.origin}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(discovery.authorization_response_iss_parameter_supported).to.equal(true);

    const url = new URL(`${okta.origin}/oauth2/v1/authorize`);
    url.search = new URLSearchParams({
      client_id: CLIENT.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: 's',
      prompt: 'none',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    }).toString();
    const callback = location(await new Browser().get(url));
    expect(callback.searchParams.get('error')).to.equal('login_required');
    expect(callback.searchParams.get('iss')).to.equal(okta.origin);
  });
});

// ---------------------------------------------------------------------------------------
// Groups, step-up with acr_values, sign-out that Okta starts, tenants and token exchange.

/** The forms a journey went through, and where it ended. */
interface Journey {
  forms: Array<'password' | 'otp'>;
  /** The client's redirect URI with its query (code or error), or the last answer. */
  callback: URL;
}

/**
 * Opens `url` and follows the provider's redirects like a user: the sign-in form gets
 * `user`'s credentials, the second-factor form `otp` (the user's code by default).
 */
async function journey(browser: Browser, url: string | URL, user: DemoUser, otp = user.oneTimeCode): Promise<Journey> {
  const forms: Journey['forms'] = [];
  let response = await browser.get(url);
  for (let step = 0; step < 10; step += 1) {
    const next = location(response);
    if (`${next.origin}${next.pathname}` === REDIRECT_URI || next.pathname === '/signed-out') return { forms, callback: next };
    if (!/^\/login\//.test(next.pathname)) {
      response = await browser.get(next);
      continue;
    }
    const page = await browser.get(next);
    const html = await page.text();
    if (html.includes('name="otp"')) {
      forms.push('otp');
      response = await browser.post(next, { otp: otp ?? '' });
    } else if (html.includes('name="password"')) {
      forms.push('password');
      response = await browser.post(next, { username: user.username, password: user.password });
    } else {
      response = page; // prompt=consent: the page itself redirects on
    }
  }
  throw new Error('too many redirects');
}

/** An authorize URL of `CLIENT` (or `clientId`) at a layout, with PKCE; `params` adds or overrides. */
function authorizeUrl(okta: LocalOkta, authServerId: string | undefined, params: Record<string, string> = {}) {
  const { verifier, challenge } = pkce();
  const state = randomBytes(8).toString('hex');
  const base = authServerId === undefined ? `${okta.origin}/oauth2/v1` : `${okta.issuer(authServerId)}/v1`;
  const url = new URL(`${base}/authorize`);
  url.search = new URLSearchParams({
    client_id: CLIENT.clientId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile',
    state,
    nonce: randomBytes(8).toString('hex'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...params,
  }).toString();
  return { url, verifier, state, base };
}

/** POSTs a token request with a client's Basic credentials. */
async function tokenRequest(endpoint: string, client: LocalOktaClient, body: Record<string, string>) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { authorization: basicAuth(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body).toString(),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** Signs in through `journey` and redeems the code: the verified ID token and the token response. */
async function signInForTokens(
  okta: LocalOkta,
  browser: Browser,
  user: DemoUser,
  options: { authServerId?: string; params?: Record<string, string>; client?: LocalOktaClient } = {},
) {
  const client = options.client ?? CLIENT;
  const request = authorizeUrl(okta, options.authServerId, { client_id: client.clientId, ...options.params });
  const trip = await journey(browser, request.url, user);
  const code = trip.callback.searchParams.get('code');
  expect(code, `a code, got ${trip.callback.search}`).to.be.a('string');
  const tokens = await tokenRequest(`${request.base}/token`, client, {
    grant_type: 'authorization_code',
    code: code as string,
    code_verifier: request.verifier,
    redirect_uri: REDIRECT_URI,
  });
  expect(tokens.status).to.equal(200);
  const issuer = okta.issuer(options.authServerId);
  const { payload } = await jwtVerify(tokens.json.id_token as string, createRemoteJWKSet(new URL(`${request.base}/keys`)), {
    issuer,
    audience: client.clientId,
  });
  return { forms: trip.forms, idToken: payload, tokens: tokens.json };
}

/** A server on 127.0.0.1 that records what it is sent and answers `status`. */
async function recorder(status = 204) {
  const received: Array<{ method: string; path: string; headers: Record<string, unknown>; body: string }> = [];
  const server: Listening = await listen(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
    res.statusCode = req.url?.startsWith('/missing') ? 404 : status;
    res.end();
  });
  return { ...server, received };
}

const UNMET_DESCRIPTION = "Unable to meet the authentication requirements imposed by 'acr_values' parameter.";

describe('local Okta: groups', function () {
  let okta: LocalOkta;

  before(async () => {
    okta = await startLocalOkta({ clients: [CLIENT], groupsClaim: true });
  });
  after(() => okta.close());

  it('gives every demo user groups: Alice is an admin, Bob and Carol are not', function () {
    expect(DEMO_USERS.map((user) => [user.username, user.groups])).to.deep.equal([
      ['alice@example.com', ['Everyone', 'Admins']],
      ['bob@example.com', ['Everyone']],
      ['carol@example.com', ['Everyone']],
    ]);
  });

  for (const authServerId of ['default', undefined]) {
    it(`with groupsClaim, puts groups in the ID token for the groups scope only (${authServerId ?? 'org'} server)`, async function () {
      const withScope = await signInForTokens(okta, new Browser(), alice, {
        authServerId,
        params: { scope: 'openid groups' },
      });
      expect(withScope.idToken.groups).to.deep.equal(['Everyone', 'Admins']);
      const without = await signInForTokens(okta, new Browser(), carol, { authServerId });
      expect(without.idToken).not.to.have.property('groups');
    });
  }

  it("with groupsClaim, puts groups in a custom server's JWT access tokens", async function () {
    const { tokens } = await signInForTokens(okta, new Browser(), carol, {
      authServerId: 'default',
      params: { scope: 'openid groups orders:read' },
    });
    const accessToken = decodeJwt(tokens.access_token as string);
    expect(accessToken).to.include({ aud: 'api://default', uid: carol.sub });
    expect(accessToken.groups).to.deep.equal(['Everyone']);
  });
});

describe('local Okta: step-up with acr_values', function () {
  let okta: LocalOkta;

  before(async () => {
    okta = await startLocalOkta({ clients: [CLIENT] });
  });
  after(() => okta.close());

  for (const authServerId of ['default', undefined]) {
    describe(authServerId === undefined ? 'org authorization server' : 'custom authorization server', function () {
      it('signs in with a password only: amr pwd, auth_time and sid, and no acr when none was asked', async function () {
        const { forms, idToken } = await signInForTokens(okta, new Browser(), alice, { authServerId });
        expect(forms).to.deep.equal(['password']);
        expect(idToken.amr).to.deep.equal(['pwd']);
        expect(idToken.auth_time).to.be.a('number');
        expect(idToken.sid).to.be.a('string');
        expect(idToken).not.to.have.property('acr');
      });

      it('answers urn:okta:loa:1fa:pwd with a password only, and puts the value asked in acr', async function () {
        const { forms, idToken } = await signInForTokens(okta, new Browser(), alice, {
          authServerId,
          params: { acr_values: 'urn:okta:loa:1fa:pwd' },
        });
        expect(forms).to.deep.equal(['password']);
        expect(idToken).to.include({ acr: 'urn:okta:loa:1fa:pwd' });
      });

      it('asks for the one-time code after the password for urn:okta:loa:2fa:any: acr 2fa, amr pwd otp mfa', async function () {
        const { forms, idToken, tokens } = await signInForTokens(okta, new Browser(), alice, {
          authServerId,
          params: { acr_values: 'urn:okta:loa:2fa:any', scope: authServerId ? 'openid orders:read' : 'openid' },
        });
        expect(forms).to.deep.equal(['password', 'otp']);
        expect(idToken).to.include({ acr: 'urn:okta:loa:2fa:any' });
        expect(idToken.amr).to.deep.equal(['pwd', 'otp', 'mfa']);
        if (authServerId) {
          // Okta's access tokens carry acr and auth_time too.
          expect(decodeJwt(tokens.access_token as string)).to.include({
            acr: 'urn:okta:loa:2fa:any',
            auth_time: idToken.auth_time,
          });
        }
      });

      it('steps a password session up with the code alone, and restarts auth_time', async function () {
        const browser = new Browser();
        const first = await signInForTokens(okta, browser, alice, { authServerId });
        await new Promise((resolve) => setTimeout(resolve, 1100));
        const second = await signInForTokens(okta, browser, alice, {
          authServerId,
          params: { acr_values: 'urn:okta:loa:2fa:any' },
        });
        expect(second.forms).to.deep.equal(['otp']);
        expect(second.idToken.auth_time).to.be.greaterThan(first.idToken.auth_time as number);
        expect(second.idToken.sid).to.equal(first.idToken.sid);

        // Two factors done: later requests are answered silently, each with the acr it asked.
        const again = await signInForTokens(okta, browser, alice, {
          authServerId,
          params: { acr_values: 'urn:okta:loa:2fa:any' },
        });
        expect(again.forms).to.deep.equal([]);
        const lower = await signInForTokens(okta, browser, alice, {
          authServerId,
          params: { acr_values: 'urn:okta:loa:1fa:any' },
        });
        expect(lower.idToken).to.include({ acr: 'urn:okta:loa:1fa:any' });
        expect(lower.idToken.amr).to.deep.equal(['pwd', 'otp', 'mfa']);
      });

      it('shows the code form again after a wrong code, and sends access_denied on Cancel', async function () {
        const browser = new Browser();
        const request = authorizeUrl(okta, authServerId, { acr_values: 'urn:okta:loa:2fa:any' });
        const login = location(await browser.get(request.url));
        const resume = location(await browser.post(login, { username: alice.username, password: alice.password }));
        const codePage = location(await browser.get(resume));
        expect(await (await browser.get(codePage)).text()).to.include('<input name="otp"');
        const wrong = await browser.post(codePage, { otp: '000000' });
        expect(wrong.status).to.equal(401);
        expect(await wrong.text()).to.include('Invalid code');
        const cancelled = location(await browser.get(location(await browser.post(codePage, { deny: '1' }))));
        expect(cancelled.searchParams.get('error')).to.equal('access_denied');
        expect(cancelled.searchParams.get('state')).to.equal(request.state);
      });

      it('answers prompt=none with login_required when the session has one factor and two are asked', async function () {
        const browser = new Browser();
        await signInForTokens(okta, browser, alice, { authServerId });
        const request = authorizeUrl(okta, authServerId, { acr_values: 'urn:okta:loa:2fa:any', prompt: 'none' });
        const callback = location(await browser.get(request.url));
        expect(callback.searchParams.get('error')).to.equal('login_required');
        expect(callback.searchParams.get('error_description')).to.equal(
          'The client specified not to prompt, but the client app requires re-authentication or MFA.',
        );
        expect(callback.searchParams.get('state')).to.equal(request.state);
      });

      it('sends unmet_authentication_requirements for a user without a second factor (Carol), or for phr', async function () {
        for (const [user, acrValues] of [
          [carol, 'urn:okta:loa:2fa:any'],
          [alice, 'phr'],
        ] as const) {
          const request = authorizeUrl(okta, authServerId, { acr_values: acrValues });
          const { forms, callback } = await journey(new Browser(), request.url, user);
          expect(forms).to.deep.equal(['password']);
          expect(`${callback.origin}${callback.pathname}`).to.equal(REDIRECT_URI);
          expect(callback.searchParams.get('error')).to.equal('unmet_authentication_requirements');
          expect(callback.searchParams.get('error_description')).to.equal(UNMET_DESCRIPTION);
          expect(callback.searchParams.get('state')).to.equal(request.state);
        }
      });

      it('meets urn:okta:loa:2fa:any:ifpossible with one factor for Carol, and with two for Alice', async function () {
        const ifPossible = { acr_values: 'urn:okta:loa:2fa:any:ifpossible' };
        const carols = await signInForTokens(okta, new Browser(), carol, { authServerId, params: ifPossible });
        expect(carols.forms).to.deep.equal(['password']);
        expect(carols.idToken).to.include({ acr: 'urn:okta:loa:2fa:any:ifpossible' });
        expect(carols.idToken.amr).to.deep.equal(['pwd']);
        const alices = await signInForTokens(okta, new Browser(), alice, { authServerId, params: ifPossible });
        expect(alices.forms).to.deep.equal(['password', 'otp']);
      });

      it('ignores acr_values it does not know, as Okta does', async function () {
        const { forms, idToken } = await signInForTokens(okta, new Browser(), alice, {
          authServerId,
          params: { acr_values: 'urn:example:gold' },
        });
        expect(forms).to.deep.equal(['password']);
        expect(idToken).not.to.have.property('acr');
      });

      it('asks for the password and the code again for max_age=0 with two factors', async function () {
        const browser = new Browser();
        const twoFactors = { acr_values: 'urn:okta:loa:2fa:any' };
        await signInForTokens(okta, browser, alice, { authServerId, params: twoFactors });
        const again = await signInForTokens(okta, browser, alice, { authServerId, params: { ...twoFactors, max_age: '0' } });
        expect(again.forms).to.deep.equal(['password', 'otp']);
      });
    });
  }
});

describe('local Okta: sign-out that Okta starts', function () {
  let okta: LocalOkta;
  let app: Awaited<ReturnType<typeof recorder>>;
  let backChannelApp: LocalOktaClient;
  let frontChannelApp: LocalOktaClient;
  let universalApp: LocalOktaClient;

  before(async () => {
    app = await recorder();
    backChannelApp = { ...CLIENT, clientId: 'bc-app', backchannelLogoutUri: `${app.origin}/backchannel` };
    frontChannelApp = { ...CLIENT, clientId: 'fc-app', frontchannelLogoutUri: `${app.origin}/frontchannel?tenant=a` };
    universalApp = { ...CLIENT, clientId: 'ul-app', universalLogoutUri: `${app.origin}/global-token-revocation?x=1` };
    okta = await startLocalOkta({ clients: [CLIENT, backChannelApp, frontChannelApp, universalApp] });
  });
  beforeEach(() => app.received.splice(0));
  after(async () => {
    await okta.close();
    await app.close();
  });

  function logoutUrl(authServerId: string | undefined, idToken: string): URL {
    const url = new URL(
      authServerId === undefined ? `${okta.origin}/oauth2/v1/logout` : `${okta.issuer(authServerId)}/v1/logout`,
    );
    url.searchParams.set('id_token_hint', idToken);
    url.searchParams.set('post_logout_redirect_uri', CLIENT.postLogoutRedirectUris?.[0] as string);
    url.searchParams.set('state', 'bye');
    return url;
  }

  for (const authServerId of ['default', undefined]) {
    const issuer = () => okta.issuer(authServerId);
    const keys = () =>
      createRemoteJWKSet(new URL(authServerId === undefined ? `${okta.origin}/oauth2/v1/keys` : `${issuer()}/v1/keys`));

    it(`POSTs a back-channel logout token to the app on sign-out (${authServerId ?? 'org'} server)`, async function () {
      const browser = new Browser();
      const { idToken, tokens } = await signInForTokens(okta, browser, alice, { authServerId, client: backChannelApp });
      const redirect = location(await browser.get(logoutUrl(authServerId, tokens.id_token as string)));
      expect(redirect.searchParams.get('state')).to.equal('bye');

      expect(app.received).to.have.length(1);
      const [request] = app.received;
      expect(request).to.deep.include({ method: 'POST', path: '/backchannel' });
      expect(request?.headers['content-type']).to.equal('application/x-www-form-urlencoded');
      const logoutToken = new URLSearchParams(request?.body).get('logout_token') as string;
      const { payload, protectedHeader } = await jwtVerify(logoutToken, keys(), {
        issuer: issuer(),
        audience: backChannelApp.clientId,
        typ: 'logout+jwt',
      });
      expect(protectedHeader.alg).to.equal('RS256');
      expect(payload).to.include({ sub: alice.sub, sid: idToken.sid });
      expect(payload.events).to.deep.equal({ 'http://schemas.openid.net/event/backchannel-logout': {} });
      expect(payload.jti).to.be.a('string');
      expect((payload.exp as number) - (payload.iat as number)).to.equal(120);
      expect(payload).not.to.have.property('nonce');
    });

    it(`loads the front-channel URLs of the other apps in iframes, with iss and sid (${authServerId ?? 'org'} server)`, async function () {
      const browser = new Browser();
      const front = await signInForTokens(okta, browser, alice, { authServerId, client: frontChannelApp });
      const initiator = await signInForTokens(okta, browser, alice, { authServerId });
      expect(initiator.forms, 'one Okta session for both apps').to.deep.equal([]);

      const page = await browser.get(logoutUrl(authServerId, initiator.tokens.id_token as string));
      expect(page.status).to.equal(200);
      const html = await page.text();
      const frames = [...html.matchAll(/<iframe src="([^"]+)"/g)].map(
        (match) => new URL((match[1] as string).replace(/&#38;/g, '&')),
      );
      expect(frames).to.have.length(1, 'the app that signed out is not called back');
      const [frame] = frames as [URL];
      expect(`${frame.origin}${frame.pathname}`).to.equal(`${app.origin}/frontchannel`);
      expect(Object.fromEntries(frame.searchParams)).to.deep.equal({ tenant: 'a', iss: issuer(), sid: front.idToken.sid });
      const next = /<a id="continue" href="([^"]+)"/.exec(html)?.[1]?.replace(/&#38;/g, '&');
      expect(next).to.equal(`${CLIENT.postLogoutRedirectUris?.[0]}?state=bye`);

      // The session is gone for both apps.
      const silent = location(await browser.get(authorizeUrl(okta, authServerId, { prompt: 'none' }).url));
      expect(silent.searchParams.get('error')).to.equal('login_required');
    });
  }

  it("POSTs Okta's Universal Logout request with a signed JWT, and ends the user's Okta sessions", async function () {
    const browser = new Browser();
    await signInForTokens(okta, browser, alice, { client: universalApp });
    const [result] = await okta.universalLogout({ user: 'alice@example.com' });
    expect(result).to.deep.include({ clientId: 'ul-app', status: 204 });

    const [request] = app.received;
    expect(request).to.deep.include({ method: 'POST', path: '/global-token-revocation?x=1' });
    expect(request?.headers['content-type']).to.equal('application/json');
    expect(JSON.parse(request?.body ?? '')).to.deep.equal({ subject: { format: 'email', email: alice.email } });
    const jwt = /^Bearer (.+)$/.exec(String(request?.headers.authorization))?.[1] as string;
    expect(decodeProtectedHeader(jwt)).to.include({ typ: 'global-token-revocation+jwt', alg: 'RS256' });
    const orgKeys = createRemoteJWKSet(new URL(`${okta.origin}/oauth2/v1/keys`));
    const { payload } = await jwtVerify(jwt, orgKeys, {
      issuer: okta.origin,
      audience: `${app.origin}/global-token-revocation`,
      subject: 'ul-app',
      typ: 'global-token-revocation+jwt',
    });
    const claims = payload as JWTPayload & { nbf: number; iat: number; exp: number };
    expect(claims.exp - claims.iat).to.equal(300);
    expect(claims.iat - claims.nbf).to.equal(300);
    expect(claims.jti).to.be.a('string');

    // As Okta's "Clear user sessions": the Okta session ended too.
    const silent = location(await browser.get(authorizeUrl(okta, undefined, { prompt: 'none', client_id: 'ul-app' }).url));
    expect(silent.searchParams.get('error')).to.equal('login_required');
  });

  it('takes Universal Logout requests over HTTP (JSON only), in the iss_sub format, and reports 404s', async function () {
    const send = (body: unknown, type = 'application/json') =>
      fetch(`${okta.origin}/admin/universal-logout`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: type === 'application/json' ? JSON.stringify(body) : new URLSearchParams(body as Record<string, string>),
      });
    const answer = await send({ user: alice.sub, format: 'iss_sub', authServerId: 'default', member: 'sub_id' });
    expect(answer.status).to.equal(200);
    const { results } = (await answer.json()) as { results: Array<{ status: number }> };
    expect(results.map((r) => r.status)).to.deep.equal([204]);
    const [request] = app.received;
    expect(JSON.parse(request?.body ?? '')).to.deep.equal({
      sub_id: { format: 'iss_sub', iss: okta.issuer('default'), sub: alice.sub },
    });
    expect(decodeJwt(/^Bearer (.+)$/.exec(String(request?.headers.authorization))?.[1] as string).iss).to.equal(
      okta.issuer('default'),
    );

    const notFound = await send({ user: 'bob@example.com', clientId: 'ul-app', endpoint: `${app.origin}/missing` });
    expect(((await notFound.json()) as { results: Array<{ status: number }> }).results[0]?.status).to.equal(404);
    expect((await send({ user: 'bob@example.com' }, 'application/x-www-form-urlencoded')).status).to.equal(415);
    const unknown = await send({ user: 'mallory@example.com' });
    expect(unknown.status).to.equal(400);
    expect(((await unknown.json()) as { error_description: string }).error_description).to.include('mallory');
  });

  it('refuses a logout URI that is not an absolute http(s) URL without fragment', async function () {
    let error: unknown;
    try {
      await startLocalOkta({ clients: [{ ...CLIENT, backchannelLogoutUri: 'http://127.0.0.1:3999/bc#x' }] });
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(TypeError);
    expect((error as Error).message).to.include('backchannelLogoutUri');
  });
});

describe('local Okta: two orgs, client credentials and token exchange', function () {
  const SERVICE: LocalOktaClient = {
    clientId: 'api1-service',
    clientSecret: 'api1-service-secret',
    redirectUris: [],
    clientCredentials: true,
    tokenExchange: true,
  };
  const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
  const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
  let orgA: LocalOkta;
  let orgB: LocalOkta;

  before(async () => {
    orgA = await startLocalOkta({ clients: [CLIENT, SERVICE], authServerIds: ['default', 'downstream'] });
    orgB = await startLocalOkta({ clients: [CLIENT, SERVICE] });
  });
  after(async () => {
    await orgA.close();
    await orgB.close();
  });

  const exchange = (okta: LocalOkta, authServerId: string | undefined, body: Record<string, string>, client = SERVICE) => {
    const base = authServerId === undefined ? `${okta.origin}/oauth2/v1` : `${okta.issuer(authServerId)}/v1`;
    return tokenRequest(`${base}/token`, client, {
      grant_type: TOKEN_EXCHANGE,
      subject_token_type: ACCESS_TOKEN_TYPE,
      ...body,
    });
  };

  async function usersAccessToken(okta: LocalOkta, scope = 'openid orders:read'): Promise<string> {
    const { tokens } = await signInForTokens(okta, new Browser(), alice, { authServerId: 'default', params: { scope } });
    return tokens.access_token as string;
  }

  it('runs two independent orgs: one browser keeps a session at each, and a code of one is unknown to the other', async function () {
    const browser = new Browser();
    expect(orgA.origin).not.to.equal(orgB.origin);
    expect((await signInForTokens(orgA, browser, alice)).forms).to.deep.equal(['password']);
    expect((await signInForTokens(orgB, browser, alice)).forms).to.deep.equal(['password']);
    // Same host, other port: the cookies of one org do not replace the other's.
    expect((await signInForTokens(orgA, browser, alice)).forms).to.deep.equal([]);

    const request = authorizeUrl(orgA, 'default');
    const code = (await journey(browser, request.url, alice)).callback.searchParams.get('code') as string;
    const atB = await tokenRequest(`${orgB.issuer('default')}/v1/token`, CLIENT, {
      grant_type: 'authorization_code',
      code,
      code_verifier: request.verifier,
      redirect_uri: REDIRECT_URI,
    });
    expect(atB).to.deep.include({ status: 400 });
    expect(atB.json.error).to.equal('invalid_grant');
  });

  it("issues a service app's client credentials token for the API: sub and cid the app, no uid", async function () {
    const { status, json } = await tokenRequest(`${orgA.issuer('default')}/v1/token`, SERVICE, {
      grant_type: 'client_credentials',
      scope: 'orders:read',
    });
    expect(status).to.equal(200);
    const { payload } = await jwtVerify(
      json.access_token as string,
      createRemoteJWKSet(new URL(`${orgA.issuer('default')}/v1/keys`)),
      {
        issuer: orgA.issuer('default'),
        audience: 'api://default',
      },
    );
    expect(payload).to.include({ sub: SERVICE.clientId, cid: SERVICE.clientId });
    expect(payload.scp).to.deep.equal(['orders:read']);
    expect(payload).not.to.have.property('uid');
  });

  it("answers a client credentials request for scopes that are not the API's with Okta's invalid_scope", async function () {
    const cases: Array<[string, string]> = [
      ['', "'scope' must be provided"],
      ['openid', "Cannot request 'openid' scopes using client credentials."],
      ['orders:read payments:refund', 'One or more scopes are not configured for the authorization server resource.'],
    ];
    for (const [scope, description] of cases) {
      const { status, json } = await tokenRequest(`${orgA.issuer('default')}/v1/token`, SERVICE, {
        grant_type: 'client_credentials',
        scope,
      });
      expect([status, json.error], scope).to.deep.equal([400, 'invalid_scope']);
      expect(String(json.error_description), scope).to.include(description);
    }
  });

  it("exchanges a user's access token for one of another API of the org (on-behalf-of)", async function () {
    const subjectToken = await usersAccessToken(orgA);
    const subject = decodeJwt(subjectToken);
    const { status, json } = await exchange(orgA, 'downstream', {
      subject_token: subjectToken,
      audience: 'api://downstream',
      scope: 'orders:write',
    });
    expect(status, JSON.stringify(json)).to.equal(200);
    expect(json).to.include({
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'orders:write',
      issued_token_type: ACCESS_TOKEN_TYPE,
    });
    expect(json).not.to.have.any.keys('refresh_token', 'id_token');
    const downstream = orgA.issuer('downstream');
    const { payload } = await jwtVerify(json.access_token as string, createRemoteJWKSet(new URL(`${downstream}/v1/keys`)), {
      issuer: downstream,
      audience: 'api://downstream',
    });
    expect(payload).to.include({ sub: alice.sub, uid: alice.sub, cid: SERVICE.clientId, auth_time: subject.auth_time });
    expect(payload.scp).to.deep.equal(['orders:write']);
  });

  it('exchanges an opaque access token of the same server too', async function () {
    const opaque = await usersAccessToken(orgA, 'openid profile');
    expect(opaque.split('.')).to.have.length(1);
    const { status, json } = await exchange(orgA, 'default', {
      subject_token: opaque,
      audience: 'api://default',
      scope: 'orders:read',
    });
    expect(status).to.equal(200);
    expect(decodeJwt(json.access_token as string)).to.include({ uid: alice.sub, aud: 'api://default' });
  });

  it("answers a bad token exchange with Okta's errors", async function () {
    const subjectToken = await usersAccessToken(orgA);
    const serviceToken = (
      await tokenRequest(`${orgA.issuer('default')}/v1/token`, SERVICE, {
        grant_type: 'client_credentials',
        scope: 'orders:read',
      })
    ).json.access_token as string;
    const otherOrgToken = await usersAccessToken(orgB);
    const good = { subject_token: subjectToken, audience: 'api://default', scope: 'orders:read' };
    const cases: Array<[string, Promise<{ status: number; json: Record<string, unknown> }>, number, string, string]> = [
      [
        'wrong audience',
        exchange(orgA, 'default', { ...good, audience: 'api://downstream' }),
        400,
        'invalid_target',
        'valid audience',
      ],
      [
        'openid scope',
        exchange(orgA, 'default', { ...good, scope: 'openid orders:read' }),
        400,
        'invalid_scope',
        "Can't request 'openid'",
      ],
      ['no scope', exchange(orgA, 'default', { ...good, scope: '' }), 400, 'invalid_scope', 'No scopes were requested.'],
      [
        'token type',
        exchange(orgA, 'default', { ...good, subject_token_type: 'urn:ietf:params:oauth:token-type:id_token' }),
        400,
        'invalid_request',
        "'subject_token_type'",
      ],
      [
        'garbage',
        exchange(orgA, 'default', { ...good, subject_token: 'not-a-token' }),
        400,
        'invalid_request',
        "'subject_token' is invalid.",
      ],
      ['no user', exchange(orgA, 'default', { ...good, subject_token: serviceToken }), 400, 'invalid_request', 'end user'],
      [
        'other org',
        exchange(orgA, 'default', { ...good, subject_token: otherOrgToken }),
        403,
        'access_denied',
        'trusted authorization server',
      ],
      ['org server', exchange(orgA, undefined, good), 400, 'unsupported_grant_type', 'not supported'],
      // oidc-provider's answer (Okta's would be unauthorized_client), as for client_credentials.
      ['not allowed', exchange(orgA, 'default', good, CLIENT), 400, 'invalid_request', 'not allowed'],
    ];
    for (const [name, answer, status, error, description] of cases) {
      const { status: got, json } = await answer;
      expect([got, json.error], name).to.deep.equal([status, error]);
      expect(String(json.error_description), name).to.include(description);
    }
  });
});

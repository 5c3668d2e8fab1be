import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { SignJWT, createRemoteJWKSet, decodeJwt, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { DEMO_USERS, startLocalOkta } from '../../example/local-okta/index.js';
import type { DemoUser, LocalOkta, LocalOktaClient } from '../../example/local-okta/index.js';

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
          'sub',
          'ver',
        ]);
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

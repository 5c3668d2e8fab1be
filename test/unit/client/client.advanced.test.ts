import { expect } from 'chai';
import {
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  exportPKCS8,
  generateKeyPair,
  jwtVerify,
  type CryptoKey,
  type JWK,
} from 'jose';
import { createHash } from 'node:crypto';
import { ConfigurationError, IdTokenError, ResponseError } from '../../../lib/core/errors.js';
import { OktaClient, type OktaClientOptions } from '../../../lib/client.js';
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, type FakeOkta, REDIRECT_URI, mockedOkta } from '../../support/okta-mock.js';

const VERIFIER = 'verifier-0123456789-0123456789-0123456789-abc';
const LONG_SECRET = 'a-client-secret-that-is-long-enough-for-hs256';

async function exportPublic(key: CryptoKey): Promise<JWK> {
  const { kty, crv, x, y } = await exportJWK(key);
  return { kty, crv, x, y };
}

function makeClient(okta: FakeOkta, options: OktaClientOptions = {}, secret: string | null = CLIENT_SECRET): OktaClient {
  return new OktaClient(DOMAIN, CLIENT_ID, secret, REDIRECT_URI, { authServerId: okta.authServerId, ...options });
}

/** Captures each token request's form and headers, answering with a valid token response. */
async function captureToken(
  okta: FakeOkta,
  times = 1,
): Promise<Array<{ form: URLSearchParams; headers: Record<string, unknown> }>> {
  const seen: Array<{ form: URLSearchParams; headers: Record<string, unknown> }> = [];
  const idToken = await okta.sign(okta.claims(undefined));
  okta.mockKeys();
  okta
    .scope()
    .post(`${okta.path}/token`)
    .times(times)
    .reply(function (_uri, body) {
      seen.push({ form: new URLSearchParams(body as string), headers: { ...this.req.headers } });
      return [200, okta.tokenBody(idToken)];
    });
  return seen;
}

describe('OktaClient: client authentication, DPoP, PAR and step-up', () => {
  const currentOkta = mockedOkta();
  let okta: FakeOkta;
  beforeEach(() => {
    okta = currentOkta();
  });

  describe('tokenEndpointAuthMethod', () => {
    it('client_secret_jwt: an HS256 assertion with iss = sub = client id, aud = the endpoint, unique jti, short exp', async () => {
      const seen = await captureToken(okta, 2);
      const client = makeClient(okta, { tokenEndpointAuthMethod: 'client_secret_jwt' }, LONG_SECRET);
      await client.validateAuthorizationCode('c1', VERIFIER);
      await client.validateAuthorizationCode('c2', VERIFIER);
      const jtis = new Set<unknown>();
      for (const { form, headers } of seen) {
        expect(headers.authorization).to.equal(undefined);
        expect(form.get('client_secret')).to.equal(null);
        expect(form.get('client_id')).to.equal(CLIENT_ID);
        expect(form.get('client_assertion_type')).to.equal('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
        const { payload, protectedHeader } = await jwtVerify(
          form.get('client_assertion')!,
          new TextEncoder().encode(LONG_SECRET),
        );
        expect(protectedHeader.alg).to.equal('HS256');
        expect(payload).to.include({ iss: CLIENT_ID, sub: CLIENT_ID, aud: `${okta.issuer}/v1/token` });
        expect(payload.exp! - payload.iat!).to.be.within(1, 300);
        jtis.add(payload.jti);
      }
      expect(jtis.size).to.equal(2);
    });

    it('private_key_jwt with a JWK: signs with the key and its kid', async () => {
      const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
      const jwk: JWK = { ...(await exportJWK(privateKey)), kid: 'app-key-1', alg: 'RS256' };
      const seen = await captureToken(okta);
      await makeClient(okta, { tokenEndpointAuthMethod: 'private_key_jwt', privateKey: jwk }, null).validateAuthorizationCode(
        'c',
        VERIFIER,
      );
      const assertion = seen[0]!.form.get('client_assertion')!;
      expect(decodeProtectedHeader(assertion)).to.include({ alg: 'RS256', kid: 'app-key-1' });
      const { payload } = await jwtVerify(assertion, publicKey, {
        audience: `${okta.issuer}/v1/token`,
        issuer: CLIENT_ID,
        subject: CLIENT_ID,
      });
      expect(payload.jti).to.be.a('string');
    });

    it('private_key_jwt with a PEM string and privateKeyId', async () => {
      const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
      const pem = await exportPKCS8(privateKey);
      const seen = await captureToken(okta);
      await makeClient(
        okta,
        { tokenEndpointAuthMethod: 'private_key_jwt', privateKey: pem, privateKeyId: 'pem-1' },
        null,
      ).validateAuthorizationCode('c', VERIFIER);
      const assertion = seen[0]!.form.get('client_assertion')!;
      expect(decodeProtectedHeader(assertion).kid).to.equal('pem-1');
      await jwtVerify(assertion, publicKey);
    });

    it('none: sends only client_id (a public client, PKCE only)', async () => {
      const seen = await captureToken(okta);
      await makeClient(okta, { tokenEndpointAuthMethod: 'none' }, null).validateAuthorizationCode('c', VERIFIER);
      expect(seen[0]!.headers.authorization).to.equal(undefined);
      expect(Object.fromEntries(seen[0]!.form)).to.include({ client_id: CLIENT_ID, code_verifier: VERIFIER });
      expect(seen[0]!.form.has('client_secret')).to.equal(false);
    });

    it('uses the same method for revoke, with the revoke endpoint as audience', async () => {
      let form = new URLSearchParams();
      okta
        .scope()
        .post(`${okta.path}/revoke`)
        .reply(200, (_uri, body) => {
          form = new URLSearchParams(body as string);
          return '';
        });
      await makeClient(okta, { tokenEndpointAuthMethod: 'client_secret_jwt' }, LONG_SECRET).revokeToken('rt');
      expect(decodeJwt(form.get('client_assertion')!).aud).to.equal(`${okta.issuer}/v1/revoke`);
    });

    it('refuses incomplete settings with a clear ConfigurationError', () => {
      expect(() => makeClient(okta, { tokenEndpointAuthMethod: 'client_secret_basic' }, null)).to.throw(
        ConfigurationError,
        /clientSecret/,
      );
      expect(() => makeClient(okta, { tokenEndpointAuthMethod: 'client_secret_jwt' }, 'short')).to.throw(
        ConfigurationError,
        /32/,
      );
      expect(() => makeClient(okta, { tokenEndpointAuthMethod: 'private_key_jwt' }, null)).to.throw(
        ConfigurationError,
        /privateKey/,
      );
      expect(() =>
        makeClient(okta, { tokenEndpointAuthMethod: 'private_key_jwt', privateKey: '-----BEGIN PRIVATE KEY-----' }, null),
      ).to.throw(ConfigurationError, /privateKeyId/);
      expect(() =>
        makeClient(
          okta,
          { tokenEndpointAuthMethod: 'private_key_jwt', privateKey: { kty: 'RSA', kid: 'k', n: 'x', e: 'AQAB' } },
          null,
        ),
      ).to.throw(ConfigurationError);
    });
  });

  describe('DPoP', () => {
    it('sends a proof on the token call, retries once with the server nonce, and presents the token with ath at userinfo', async () => {
      const proofs: string[] = [];
      const idToken = await okta.sign(okta.claims(undefined));
      okta.mockKeys();
      okta
        .scope()
        .post(`${okta.path}/token`)
        .reply(function () {
          proofs.push(this.req.headers.dpop as string);
          return [
            400,
            { error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof' },
            { 'DPoP-Nonce': 'n-1' },
          ];
        })
        .post(`${okta.path}/token`)
        .reply(function () {
          proofs.push(this.req.headers.dpop as string);
          return [200, okta.tokenBody(idToken, { token_type: 'DPoP' })];
        })
        .get(`${okta.path}/userinfo`)
        .reply(function () {
          proofs.push(this.req.headers.dpop as string);
          expect(this.req.headers.authorization).to.equal('DPoP at-0123456789abcdef');
          return [200, { sub: '00u1alice' }];
        });
      const client = makeClient(okta, { dpop: true });
      const tokens = await client.validateAuthorizationCode('c', VERIFIER);
      expect(tokens.tokenType).to.equal('DPoP');
      await client.fetchUserInfo(tokens.accessToken);

      expect(proofs).to.have.length(3);
      const [first, second, third] = proofs.map((p) => ({ header: decodeProtectedHeader(p), claims: decodeJwt(p) }));
      expect(first!.header.typ).to.equal('dpop+jwt');
      expect(first!.header.alg).to.equal('ES256');
      expect(first!.claims).to.include({ htm: 'POST', htu: `${okta.issuer}/v1/token` });
      expect(first!.claims.nonce).to.equal(undefined);
      expect(second!.claims.nonce).to.equal('n-1');
      expect(second!.claims.jti).to.not.equal(first!.claims.jti);
      expect(third!.claims).to.include({ htm: 'GET', htu: `${okta.issuer}/v1/userinfo`, nonce: 'n-1' });
      expect(third!.claims.ath).to.equal(createHash('sha256').update('at-0123456789abcdef').digest('base64url'));
      // Every proof is signed by the same key, whose public JWK is in the header.
      const thumbprints = await Promise.all([first, second, third].map((p) => calculateJwkThumbprint(p!.header.jwk as JWK)));
      expect(new Set(thumbprints).size).to.equal(1);
      for (const proof of proofs) await jwtVerify(proof, decodeProtectedHeader(proof).jwk as JWK, { typ: 'dpop+jwt' });
    });

    it('refuses a Bearer token when DPoP was asked (a downgrade)', async () => {
      const idToken = await okta.sign(okta.claims(undefined));
      okta.scope().post(`${okta.path}/token`).reply(200, okta.tokenBody(idToken));
      const err = await makeClient(okta, { dpop: true })
        .validateAuthorizationCode('c', VERIFIER)
        .catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ResponseError).and.match(/DPoP/);
    });

    it('uses a given key pair', async () => {
      const pair = await generateKeyPair('ES256');
      let proof = '';
      const idToken = await okta.sign(okta.claims(undefined));
      okta.mockKeys();
      okta
        .scope()
        .post(`${okta.path}/token`)
        .reply(function () {
          proof = this.req.headers.dpop as string;
          return [200, okta.tokenBody(idToken, { token_type: 'DPoP' })];
        });
      await makeClient(okta, { dpop: pair }).validateAuthorizationCode('c', VERIFIER);
      await jwtVerify(proof, pair.publicKey, { typ: 'dpop+jwt' });
    });
    it('createDPoPProof: a proof by the same key for a call to an API, bound to the token', async () => {
      const pair = await generateKeyPair('ES256');
      const client = makeClient(okta, { dpop: pair });
      const proof = await client.createDPoPProof('get', new URL('https://api.example.com/orders?page=2#top'), 'at-1');
      const { payload, protectedHeader } = await jwtVerify(proof, pair.publicKey, { typ: 'dpop+jwt' });
      expect(protectedHeader.jwk).to.deep.equal(await exportPublic(pair.publicKey));
      expect(payload).to.include({ htm: 'GET', htu: 'https://api.example.com/orders' });
      expect(payload.ath).to.equal(createHash('sha256').update('at-1').digest('base64url'));
      const other = decodeJwt(await client.createDPoPProof('POST', 'https://api.example.com/orders'));
      expect(other.jti).to.be.a('string').and.not.equal(payload.jti);
      expect(other.ath).to.equal(undefined);
    });

    it('createDPoPProof needs the dpop option', async () => {
      const err = await makeClient(okta)
        .createDPoPProof('GET', 'https://api.example.com/orders')
        .catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ConfigurationError).and.have.property('message', 'createDPoPProof needs the dpop option');
    });
  });

  describe('pushed authorization requests', () => {
    it('posts the parameters with client authentication and redirects with client_id and request_uri only', async () => {
      let form = new URLSearchParams();
      let auth: unknown;
      okta
        .scope()
        .post(`${okta.path}/par`)
        .reply(function (_uri, body) {
          form = new URLSearchParams(body as string);
          auth = this.req.headers.authorization;
          return [201, { request_uri: 'urn:okta:par:abc', expires_in: 60 }];
        });
      const url = await makeClient(okta, { pushedAuthorizationRequests: true }).createAuthorizationURL('s-1', VERIFIER, {
        nonce: 'n-1',
        scopes: ['email'],
      });
      expect(url.origin + url.pathname).to.equal(`${okta.issuer}/v1/authorize`);
      expect(Object.fromEntries(url.searchParams)).to.deep.equal({ client_id: CLIENT_ID, request_uri: 'urn:okta:par:abc' });
      expect(auth).to.match(/^Basic /);
      expect(Object.fromEntries(form)).to.include({
        response_type: 'code',
        state: 's-1',
        nonce: 'n-1',
        scope: 'openid email',
        code_challenge_method: 'S256',
      });
    });

    it('reports a refused PAR as a TokenError-like error without the secret', async () => {
      okta.scope().post(`${okta.path}/par`).reply(400, { error: 'invalid_request', error_description: 'PAR is not enabled' });
      const err = (await makeClient(okta, { pushedAuthorizationRequests: true })
        .createAuthorizationURL('s', VERIFIER)
        .catch((e: unknown) => e)) as Error;
      expect(err.message)
        .to.match(/invalid_request/)
        .and.not.contain(CLIENT_SECRET);
    });
  });

  describe('step-up', () => {
    it('checks acr against the requested acr_values', async () => {
      const client = makeClient(okta);
      okta.mockKeys();
      okta
        .scope()
        .post(`${okta.path}/token`)
        .reply(200, okta.tokenBody(await okta.sign(okta.claims(undefined, { acr: 'urn:okta:loa:1fa:any' }))));
      const err = await client
        .validateAuthorizationCode('c', VERIFIER, { acrValues: 'urn:okta:loa:2fa:any' })
        .catch((e: unknown) => e);
      expect(err).to.be.instanceOf(IdTokenError).with.property('claim', 'acr');
      okta
        .scope()
        .post(`${okta.path}/token`)
        .reply(200, okta.tokenBody(await okta.sign(okta.claims(undefined, { acr: 'urn:okta:loa:2fa:any' }))));
      await client.validateAuthorizationCode('c', VERIFIER, {
        acrValues: 'urn:okta:loa:2fa:any urn:okta:loa:2fa:any:ifpossible',
      });
    });

    it('adds Okta sessionToken to the authorize URL', async () => {
      const url = await makeClient(okta).createAuthorizationURL('s', VERIFIER, { sessionToken: '20111tok' });
      expect(url.searchParams.get('sessionToken')).to.equal('20111tok');
    });
  });
});

import { expect } from 'chai';
import { SignJWT, type JWTPayload } from 'jose';
import nock from 'nock';
import { createSign, generateKeyPairSync } from 'node:crypto';
import { KeySetUnavailableError, ResponseError } from '../../../lib/core/errors.js';
import { JwtRefusal, verifyJwt, type JwtFailure, type JwtPolicy } from '../../../lib/core/jwt.js';
import { KeyStore } from '../../../lib/core/keys.js';
import { DOMAIN, makeKey, type TestKey } from '../../support/okta-mock.js';

const ISSUER = `${DOMAIN}/oauth2/default`;
const KEYS_PATH = '/oauth2/default/v1/keys';
const NOW = Date.parse('2026-06-01T12:00:00Z');
const SECONDS = NOW / 1000;

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('the JWT pipeline (core/jwt.ts) over a key store whose key set nock serves', () => {
  let key: TestKey;
  let twin: TestKey;
  let ecKey: TestKey;

  before(async () => {
    [key, twin, ecKey] = await Promise.all([makeKey('k1'), makeKey('k1'), makeKey('ec1', 'ES256')]);
  });
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  const store = (): KeyStore =>
    new KeyStore({ fetch: undefined, timeout: 2000 }, `${ISSUER}/v1/keys`, {
      cooldown: 30_000,
      maxAge: 3_600_000,
      now: () => NOW,
    });

  /** `/v1/keys` publishing `keys`, answered `times` times at most. */
  const publish = (keys: TestKey[], times = 1): nock.Scope =>
    nock(DOMAIN)
      .get(KEYS_PATH)
      .times(times)
      .reply(200, { keys: keys.map((k) => k.jwk) });

  const policy = (overrides: Partial<JwtPolicy> = {}): JwtPolicy => ({
    issuer: ISSUER,
    audience: 'api://default',
    algorithms: ['RS256', 'ES256'],
    clockTolerance: 0,
    now: () => NOW,
    requiredClaims: ['iss', 'aud', 'exp', 'iat', 'sub'],
    ...overrides,
  });

  const claims = (extra: JWTPayload = {}): JWTPayload => ({
    iss: ISSUER,
    aud: 'api://default',
    sub: '00u1alice',
    iat: SECONDS - 10,
    exp: SECONDS + 3600,
    ...extra,
  });

  const sign = (payload: JWTPayload, signer: TestKey = key, header: Record<string, unknown> = {}): Promise<string> =>
    new SignJWT(payload).setProtectedHeader({ alg: signer.alg, kid: signer.kid, ...header }).sign(signer.privateKey);

  /** The failure `verifyJwt` refused the token with. */
  async function refusal(token: string, keys: KeyStore, with_: Partial<JwtPolicy> = {}): Promise<JwtFailure> {
    try {
      await verifyJwt(token, keys, policy(with_));
    } catch (err) {
      expect(err, String(err)).to.be.instanceOf(JwtRefusal);
      return (err as JwtRefusal).failure;
    }
    expect.fail('expected a refusal');
  }

  it('returns the header and payload of a token signed by a published key, fetching the key set once', async () => {
    const keysAnswered = publish([key, ecKey]);
    const keys = store();
    const first = await verifyJwt(await sign(claims()), keys, policy());
    expect(first.header).to.deep.equal({ alg: 'RS256', kid: 'k1' });
    expect(first.payload).to.include({ sub: '00u1alice', iss: ISSUER });
    const second = await verifyJwt(await sign(claims({ sub: '00u1bob' }), ecKey), keys, policy());
    expect(second.payload.sub).to.equal('00u1bob');
    expect(keysAnswered.isDone()).to.equal(true);
  });

  it('accepts any of several audiences', async () => {
    publish([key]);
    const { payload } = await verifyJwt(
      await sign(claims({ aud: 'api://b' })),
      store(),
      policy({ audience: ['api://a', 'api://b'] }),
    );
    expect(payload.aud).to.equal('api://b');
  });

  describe('refuses from the header alone, without asking for the key set', () => {
    const unsigned = (header: Record<string, unknown>): string => `${b64(header)}.${b64(claims())}.c2lnbmF0dXJl`;

    it('what is not a compact JWS: two parts, five parts (a JWE), a header that is not JSON', async () => {
      const keys = store();
      expect(await refusal('abc.def', keys)).to.deep.equal({ kind: 'malformed' });
      expect(await refusal('a.b.c.d.e', keys)).to.deep.equal({ kind: 'malformed' });
      expect(await refusal('not-json.e30.c2ln', keys)).to.deep.equal({ kind: 'malformed' });
    });

    it('a critical header parameter (RFC 7515 §4.1.11), named as such', async () => {
      expect(await refusal(unsigned({ alg: 'RS256', kid: 'k1', crit: ['exp'], exp: 1 }), store())).to.deep.equal({
        kind: 'crit',
      });
    });

    it('an alg outside the allowed list: none, HMAC, or an asymmetric one not allowed', async () => {
      for (const alg of ['none', 'HS256', 'PS256', undefined]) {
        expect(await refusal(unsigned({ alg, kid: 'k1' }), store()), String(alg)).to.deep.equal({ kind: 'alg' });
      }
    });

    it('a typ not among the accepted ones, compared without case and without application/', async () => {
      const types = new Set(['at+jwt']);
      expect(await refusal(unsigned({ alg: 'RS256', kid: 'k1', typ: 'JWT' }), store(), { types })).to.deep.equal({ kind: 'typ' });
      expect(await refusal(unsigned({ alg: 'RS256', kid: 'k1', typ: 7 }), store(), { types })).to.deep.equal({ kind: 'typ' });
      publish([key]);
      const keys = store();
      for (const typ of ['at+jwt', 'application/AT+JWT', undefined]) {
        const { payload } = await verifyJwt(await sign(claims(), key, { typ }), keys, policy({ types }));
        expect(payload.sub, String(typ)).to.equal('00u1alice');
      }
    });
  });

  describe('refuses by the key set', () => {
    it('a kid the fresh key set does not have, without fetching it again', async () => {
      const keysAnswered = publish([key], 2);
      expect(await refusal(await sign(claims(), { ...key, kid: 'k9' }), store())).to.deep.equal({
        kind: 'key',
        reason: 'unknown-kid',
      });
      expect(keysAnswered.pendingMocks(), 'one fetch, not two').to.have.length(1);
    });

    it('a kid two published keys share', async () => {
      publish([key, twin]);
      expect(await refusal(await sign(claims()), store())).to.deep.equal({ kind: 'key', reason: 'ambiguous-kid' });
    });

    it('an RSA key under 2048 bits', async () => {
      const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const jwk = { ...weak.publicKey.export({ format: 'jwk' }), kid: 'weak', alg: 'RS256', use: 'sig' };
      nock(DOMAIN)
        .get(KEYS_PATH)
        .reply(200, { keys: [jwk] });
      const input = `${b64({ alg: 'RS256', kid: 'weak' })}.${b64(claims())}`;
      const signature = createSign('RSA-SHA256').update(input).sign(weak.privateKey).toString('base64url');
      expect(await refusal(`${input}.${signature}`, store())).to.deep.equal({ kind: 'key', reason: 'too-small' });
    });

    it('a signature by another key under a published kid', async () => {
      publish([key]);
      expect(await refusal(await sign(claims(), twin), store())).to.deep.equal({ kind: 'signature' });
    });

    it('throws the key store’s own error, not a refusal, when the key set cannot be had, and does not ask again at once', async () => {
      const keysAnswered = nock(DOMAIN).get(KEYS_PATH).times(2).reply(503, 'unavailable');
      const keys = store();
      const token = await sign(claims());
      const first = await verifyJwt(token, keys, policy()).then(
        () => expect.fail('verified'),
        (err: unknown) => err,
      );
      expect(first).to.be.instanceOf(ResponseError).and.not.be.instanceOf(JwtRefusal);
      const second = await verifyJwt(token, keys, policy()).then(
        () => expect.fail('verified'),
        (err: unknown) => err,
      );
      expect(second).to.be.instanceOf(KeySetUnavailableError);
      expect(keysAnswered.pendingMocks(), 'one fetch').to.have.length(1);
    });
  });

  describe("refuses by jose's checks of the claims, in whole seconds", () => {
    beforeEach(() => publish([key], 10));

    it('an expired token, saying how long ago; within clockTolerance it passes', async () => {
      expect(await refusal(await sign(claims({ exp: SECONDS - 30 })), store())).to.deep.equal({
        kind: 'expired',
        secondsAgo: 30,
      });
      const { payload } = await verifyJwt(await sign(claims({ exp: SECONDS - 3 })), store(), policy({ clockTolerance: 5 }));
      expect(payload.exp).to.equal(SECONDS - 3);
    });

    it('a token not valid yet (nbf), saying how far ahead', async () => {
      expect(await refusal(await sign(claims({ nbf: SECONDS + 40 })), store())).to.deep.equal({
        kind: 'not-yet-valid',
        secondsAhead: 40,
      });
    });

    it('a token issued in the future beyond clockTolerance', async () => {
      expect(await refusal(await sign(claims({ iat: SECONDS + 100 })), store(), { clockTolerance: 60 })).to.deep.equal({
        kind: 'issued-in-future',
        secondsAhead: 100,
      });
      const { payload } = await verifyJwt(await sign(claims({ iat: SECONDS + 50 })), store(), policy({ clockTolerance: 60 }));
      expect(payload.iat).to.equal(SECONDS + 50);
    });

    it('another issuer, keeping the iss received (public, and what a misconfiguration needs to be told)', async () => {
      expect(await refusal(await sign(claims({ iss: 'https://evil.example' })), store())).to.deep.equal({
        kind: 'issuer',
        received: 'https://evil.example',
      });
    });

    it('another audience, a missing required claim, a claim of the wrong type', async () => {
      expect(await refusal(await sign(claims({ aud: 'api://other' })), store())).to.deep.equal({
        kind: 'claim',
        claim: 'aud',
        reason: 'mismatch',
      });
      expect(await refusal(await sign(claims({ sub: undefined })), store())).to.deep.equal({
        kind: 'claim',
        claim: 'sub',
        reason: 'missing',
      });
      expect(await refusal(await sign(claims({ iat: 'yesterday' as unknown as number })), store())).to.deep.equal({
        kind: 'claim',
        claim: 'iat',
        reason: 'invalid',
      });
    });

    it('keeps neither the token nor its claims in the refusal', async () => {
      const token = await sign(claims({ exp: SECONDS - 30, email: 'alice@example.com' }));
      const err = await verifyJwt(token, store(), policy()).then(
        () => expect.fail('verified'),
        (e: unknown) => e as JwtRefusal,
      );
      const shown = `${err.message} ${JSON.stringify(err)} ${JSON.stringify(err.failure)}`;
      for (const secret of [token, token.split('.')[1]!, 'alice@example.com', '00u1alice']) {
        expect(shown).to.not.contain(secret);
      }
    });
  });
});

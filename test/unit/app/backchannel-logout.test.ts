import { expect } from 'chai';
import type { JWTPayload } from 'jose';
import { backChannelLogoutReceiver, type BackChannelLogoutOptions } from '../../../lib/app/backchannel-logout.js';
import { MemoryRevocationStore, type Revocations } from '../../../lib/app/revocation.js';
import { ConfigurationError } from '../../../lib/core/errors.js';
import { CLIENT_ID, DOMAIN, makeKey, mockedOkta, type TestKey } from '../../support/okta-mock.js';
import {
  BACKCHANNEL_EVENT,
  brokenStore,
  fakeRequest,
  header,
  jti,
  nowSeconds,
  receiverStrategy,
  revocationsOver,
  signToken,
  signedIn,
  unsignedToken,
  type FakeRequestInit,
} from '../../support/logout-receivers.js';

// OpenID Connect Back-Channel Logout 1.0: a `logout_token` POSTed as a form, verified per
// §2.6 with the strategy's issuer (custom server `default`) and key cache. Only Okta's key
// endpoint is mocked.

const ISSUER = `${DOMAIN}/oauth2/default`;
const ALICE = { sub: '00u1alice', sid: 'sid-alice-browser-1' };

describe('backChannelLogoutReceiver (Back-Channel Logout 1.0)', function () {
  const okta = mockedOkta();
  let revocations: Revocations;
  let stranger: TestKey;

  before(async () => {
    stranger = await makeKey('key-1');
  });
  beforeEach(() => {
    revocations = revocationsOver();
    okta()
      .scope()
      .persist()
      .get('/oauth2/default/v1/keys')
      .reply(200, { keys: okta().keys.map((key) => key.jwk) });
  });

  function logoutClaims(extra: JWTPayload = {}): JWTPayload {
    const iat = nowSeconds();
    return {
      iss: ISSUER,
      aud: CLIENT_ID,
      iat,
      exp: iat + 120,
      jti: jti(),
      sub: ALICE.sub,
      sid: ALICE.sid,
      events: { [BACKCHANNEL_EVENT]: {} },
      ...extra,
    };
  }

  function logoutToken(extra: JWTPayload = {}, header: Record<string, unknown> = { typ: 'logout+jwt' }): Promise<string> {
    return signToken(logoutClaims(extra), okta().key, header);
  }

  function post(token: string, init: FakeRequestInit = {}) {
    return fakeRequest({
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }).toString(),
      ...init,
    });
  }

  function receiver(options: BackChannelLogoutOptions = {}, over = revocations) {
    return backChannelLogoutReceiver(over, receiverStrategy(), options);
  }

  const aliceHere = () => signedIn({ sub: ALICE.sub, sid: ALICE.sid });
  const aliceElsewhere = () => signedIn({ sub: ALICE.sub, sid: 'sid-alice-browser-2' });

  describe('what a provider sends', () => {
    it('ends only the session named by sid, answering 200 with Cache-Control: no-store', async () => {
      const answer = await receiver().handle(post(await logoutToken()));
      expect(answer.status).to.equal(200);
      expect(header(answer, 'Cache-Control')).to.equal('no-store');
      expect(await revocations.isRevoked(aliceHere())).to.equal(true);
      expect(await revocations.isRevoked(aliceElsewhere()), "Alice's other browser").to.equal(false);
    });

    it('ends every session of the user at this issuer when the token has sub and no sid', async () => {
      expect((await receiver().handle(post(await logoutToken({ sid: undefined })))).status).to.equal(200);
      expect(await revocations.isRevoked(aliceHere())).to.equal(true);
      expect(await revocations.isRevoked(aliceElsewhere())).to.equal(true);
      expect(await revocations.isRevoked(signedIn({ sub: '00u1bob', sid: 'sid-bob' }))).to.equal(false);
      expect(await revocations.isRevoked(signedIn({ iss: DOMAIN, sub: ALICE.sub })), 'another issuer').to.equal(false);
    });

    it('ends the session when the token has sid and no sub', async () => {
      expect((await receiver().handle(post(await logoutToken({ sub: undefined })))).status).to.equal(200);
      expect(await revocations.isRevoked(aliceHere())).to.equal(true);
      expect(await revocations.isRevoked(aliceElsewhere())).to.equal(false);
    });

    it('accepts an untyped logout token (the spec only recommends typ) and one without exp (iat bounds it)', async () => {
      expect((await receiver().handle(post(await logoutToken({}, {})))).status).to.equal(200);
      expect((await receiver().handle(post(await logoutToken({ exp: undefined })))).status).to.equal(200);
    });

    it('reads a form that express.urlencoded() parsed, and the stream of one a JSON parser left as {}', async () => {
      const token = await logoutToken();
      expect((await receiver().handle(post('', { parsed: { logout_token: token } }))).status).to.equal(200);
      expect((await receiver().handle(post(await logoutToken(), { parsed: {} }))).status).to.equal(200);
    });
  });

  describe('attacks', () => {
    async function refused(token: string, init: FakeRequestInit = {}, receiverOptions: BackChannelLogoutOptions = {}) {
      const answer = await receiver(receiverOptions).handle(post(token, init));
      expect(answer.status, answer.body).to.equal(400);
      expect(header(answer, 'Cache-Control')).to.equal('no-store');
      expect(JSON.parse(answer.body)).to.have.property('error', 'invalid_request');
      expect(await revocations.isRevoked(aliceHere()), 'nothing revoked').to.equal(false);
      return JSON.parse(answer.body) as { error_description: string };
    }

    it('refuses a forged signature and alg "none"', async () => {
      await refused(await signToken(logoutClaims(), stranger, { typ: 'logout+jwt' }));
      await refused(unsignedToken(logoutClaims(), { typ: 'logout+jwt' }));
    });

    it("refuses another issuer's token and a token for another client", async () => {
      await refused(await logoutToken({ iss: DOMAIN }));
      await refused(await logoutToken({ iss: 'https://evil.example' }));
      await refused(await logoutToken({ aud: 'another-client' }));
      const { error_description } = await refused(await logoutToken({ aud: [CLIENT_ID, 'another-client'] }));
      expect(error_description).to.include('audience');
    });

    it('refuses a logout token with a nonce, without events, or with events that are not the logout event object', async () => {
      expect((await refused(await logoutToken({ nonce: 'n-0S6_WzA2Mj' }))).error_description).to.include('nonce');
      await refused(await logoutToken({ events: undefined }));
      await refused(await logoutToken({ events: [BACKCHANNEL_EVENT] }));
      await refused(await logoutToken({ events: { [BACKCHANNEL_EVENT]: true } }));
      await refused(
        await logoutToken({ events: { 'https://schemas.openid.net/secevent/risc/event-type/account-disabled': {} } }),
      );
    });

    it('refuses a token with neither sid nor sub, or with one that is not a string', async () => {
      await refused(await logoutToken({ sid: undefined, sub: undefined }));
      await refused(await logoutToken({ sid: 42 }));
      await refused(await logoutToken({ sub: '' }));
    });

    it('refuses an expired token, one issued in the future, one issued too long ago', async () => {
      const now = nowSeconds();
      await refused(await logoutToken({ iat: now - 400, exp: now - 280 }));
      await refused(await logoutToken({ iat: now + 600, exp: now + 720 }));
      await refused(await logoutToken({ iat: now - 400, exp: undefined }));
      await refused(await logoutToken({ iat: now - 100, exp: undefined }), {}, { maxTokenAge: 30 });
      await refused(await logoutToken({ iat: undefined }));
    });

    it('refuses an ID token of this client presented as a logout token', async () => {
      const idToken = await okta().sign({ ...okta().claims('n-0S6_WzA2Mj'), sid: ALICE.sid });
      await refused(idToken);
      const typed = await okta().sign({ ...okta().claims(undefined), sid: ALICE.sid, jti: jti() }, okta().key, { typ: 'JWT' });
      await refused(typed);
      const untypedNoNonce = await okta().sign({ ...okta().claims(undefined), sid: ALICE.sid, jti: jti() });
      expect((await refused(untypedNoNonce)).error_description).to.include('events');
    });

    it('refuses an access token presented as a logout token', async () => {
      const now = nowSeconds();
      const accessToken = { iss: ISSUER, aud: 'api://default', cid: CLIENT_ID, sub: 'alice@example.com', uid: ALICE.sub };
      const claims = { ...accessToken, iat: now, exp: now + 3600, jti: `AT.${jti()}`, scp: ['openid'] };
      await refused(await signToken(claims, okta().key, { typ: 'application/okta-internal-at+jwt' }));
      await refused(
        await signToken({ ...claims, aud: CLIENT_ID, events: { [BACKCHANNEL_EVENT]: {} } }, okta().key, { typ: 'at+jwt' }),
      );
    });

    it('refuses a replayed token (jti), also at another instance sharing the revocation store', async () => {
      const store = new MemoryRevocationStore();
      const token = await logoutToken();
      expect((await receiver({}, revocationsOver(store)).handle(post(token))).status).to.equal(200);
      const replay = await receiver({}, revocationsOver(store)).handle(post(token));
      expect(replay.status).to.equal(400);
      expect(replay.body).to.include('jti');
      await refused(await logoutToken({ jti: undefined }));
    });

    it('refuses a form with no or two logout_tokens, a body that is not a form, and answers 413 to an oversized one', async () => {
      const token = await logoutToken();
      await refused(token, { body: 'logout_token=' });
      await refused(token, { body: `logout_token=${token}&logout_token=${token}` });
      await refused(token, { parsed: { logout_token: [token, token] } });
      await refused(token, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ logout_token: token }) });
      const huge = await receiver().handle(post(token, { body: `logout_token=${token}&pad=${'x'.repeat(9000)}` }));
      expect(huge.status).to.equal(413);
      const get = await receiver().handle(fakeRequest({ method: 'GET' }));
      expect(get.status).to.equal(405);
    });
  });

  describe('outages', () => {
    for (const kind of ['throws', 'hangs'] as const) {
      it(`answers 503 when the revocation store ${kind}, within its timeout`, async () => {
        const errors: unknown[] = [];
        const handler = receiver({ onError: (err) => errors.push(err) }, revocationsOver(brokenStore(kind), 100));
        const started = Date.now();
        const answer = await handler.handle(post(await logoutToken()));
        expect(answer.status).to.equal(503);
        expect(header(answer, 'Cache-Control')).to.equal('no-store');
        expect(Date.now() - started).to.be.below(1000);
        expect(errors).to.have.length(1);
      });
    }
  });

  it('refuses unknown option names', () => {
    expect(() => receiver({ audience: 'x' } as BackChannelLogoutOptions)).to.throw(ConfigurationError, 'audience');
    expect(() => receiver({ maxTokenAge: 0 })).to.throw(ConfigurationError, 'maxTokenAge');
  });
});

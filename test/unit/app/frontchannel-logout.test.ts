import { expect } from 'chai';
import { frontChannelLogoutReceiver, type FrontChannelLogoutOptions } from '../../../lib/app/frontchannel-logout.js';
import type { Revocations } from '../../../lib/app/revocation.js';
import { RECORD_KEY } from '../../../lib/app/session-record.js';
import { ConfigurationError } from '../../../lib/core/errors.js';
import { DOMAIN } from '../../support/okta-mock.js';
import {
  brokenStore,
  fakeRequest,
  header,
  receiverStrategy,
  revocationsOver,
  signedIn,
  type FakeRequestInit,
} from '../../support/logout-receivers.js';

// OpenID Connect Front-Channel Logout 1.0, as Okta's Single Logout sends it: Okta's sign-out
// page loads `{uri}?iss={issuer}&sid={sid}` in a hidden cross-site iframe. No token, no cookie.

const ISSUER = `${DOMAIN}/oauth2/default`;
const SID = 'idx-alice-browser-1';

describe('frontChannelLogoutReceiver (Front-Channel Logout 1.0)', function () {
  let revocations: Revocations;
  beforeEach(() => {
    revocations = revocationsOver();
  });

  function receiver(options: FrontChannelLogoutOptions = {}, over = revocations) {
    return frontChannelLogoutReceiver(over, receiverStrategy(), options);
  }

  function get(query: Record<string, string> | string, init: FakeRequestInit = {}) {
    const search = typeof query === 'string' ? query : new URLSearchParams(query).toString();
    return fakeRequest({ method: 'GET', url: `/auth/okta/frontchannel-logout?${search}`, ...init });
  }

  const aliceHere = () => signedIn({ sid: SID });
  const aliceElsewhere = () => signedIn({ sid: 'idx-alice-browser-2' });

  it('ends the Okta session named by sid, answering a tiny page that only the issuer may frame and that runs nothing', async () => {
    const answer = await receiver().handle(get({ iss: ISSUER, sid: SID }));
    expect(answer.status).to.equal(200);
    expect(header(answer, 'Content-Type')).to.equal('text/html; charset=utf-8');
    expect(header(answer, 'Cache-Control')).to.equal('no-store');
    expect(header(answer, 'Content-Security-Policy')).to.equal(`default-src 'none'; frame-ancestors ${DOMAIN}`);
    expect(header(answer, 'X-Frame-Options'), 'would forbid Okta too').to.equal(undefined);
    expect(answer.body).not.to.match(/<script|<img|<link|<iframe|on\w+=/i);
    expect(answer.body.length).to.be.below(100);
    expect(await revocations.isRevoked(aliceHere())).to.equal(true);
    expect(await revocations.isRevoked(aliceElsewhere())).to.equal(false);
  });

  it('answers HEAD too, and 405 to other methods', async () => {
    expect((await receiver().handle(get({ iss: ISSUER, sid: SID }, { method: 'HEAD' }))).status).to.equal(200);
    const post = await receiver().handle(get({ iss: ISSUER, sid: SID }, { method: 'POST' }));
    expect(post.status).to.equal(405);
    expect(header(post, 'Allow')).to.equal('GET, HEAD');
    expect(await revocations.isRevoked(aliceElsewhere())).to.equal(false);
  });

  it('refuses another iss with a 400 page, and revokes nothing', async () => {
    for (const iss of [DOMAIN, 'https://evil.example', `${ISSUER}/`, ISSUER.toUpperCase()]) {
      const answer = await receiver().handle(get({ iss, sid: SID }));
      expect(answer.status, iss).to.equal(400);
      expect(header(answer, 'Content-Security-Policy')).to.include('frame-ancestors');
    }
    expect(await revocations.isRevoked(aliceHere())).to.equal(false);
  });

  it('refuses only one of iss and sid, repeated parameters, and (by default) neither', async () => {
    const queries: Array<Record<string, string> | string> = [
      { iss: ISSUER },
      { sid: SID },
      { iss: ISSUER, sid: '' },
      `iss=${ISSUER}&sid=${SID}&sid=other`,
      '',
    ];
    for (const query of queries) {
      expect((await receiver().handle(get(query))).status, JSON.stringify(query)).to.equal(400);
    }
    expect(await revocations.isRevoked(aliceHere())).to.equal(false);
  });

  it("does not read the request's cookies: a session it carries is not what gets revoked", async () => {
    const session = { [RECORD_KEY]: aliceElsewhere() };
    const answer = await receiver().handle(get({ iss: ISSUER, sid: SID }, { session, headers: { cookie: 'sid=abc' } }));
    expect(answer.status).to.equal(200);
    expect(await revocations.isRevoked(aliceElsewhere())).to.equal(false);
  });

  describe('sessionRequired: false', () => {
    it('ends the local session whose cookies the request carries, and its Okta session on every instance', async () => {
      let destroyed = 0;
      const session = { [RECORD_KEY]: aliceHere(), destroy: (done: () => void) => (destroyed++, done()) };
      const answer = await receiver({ sessionRequired: false }).handle(get('', { session }));
      expect(answer.status).to.equal(200);
      expect(destroyed).to.equal(1);
      expect(await revocations.isRevoked(aliceHere())).to.equal(true);
      expect(await revocations.isRevoked(aliceElsewhere())).to.equal(false);
    });

    it('answers 200 and ends nothing when no cookie came (a browser that withholds them from the frame)', async () => {
      expect((await receiver({ sessionRequired: false }).handle(get(''))).status).to.equal(200);
      expect(await revocations.isRevoked(aliceHere())).to.equal(false);
    });

    it('still checks iss and sid when they come', async () => {
      expect((await receiver({ sessionRequired: false }).handle(get({ iss: DOMAIN, sid: SID }))).status).to.equal(400);
      expect((await receiver({ sessionRequired: false }).handle(get({ iss: ISSUER, sid: SID }))).status).to.equal(200);
    });
  });

  it('answers a 503 page within the timeout when the revocation store fails or hangs', async () => {
    for (const kind of ['throws', 'hangs'] as const) {
      const errors: unknown[] = [];
      const started = Date.now();
      const answer = await receiver({ onError: (err) => errors.push(err) }, revocationsOver(brokenStore(kind), 100)).handle(
        get({ iss: ISSUER, sid: SID }),
      );
      expect(answer.status, kind).to.equal(503);
      expect(header(answer, 'Cache-Control')).to.equal('no-store');
      expect(Date.now() - started).to.be.below(1000);
      expect(errors).to.have.length(1);
    }
  });

  describe('frame-ancestors', () => {
    it('lists the Okta domain as well as the issuer when they differ (a custom URL domain)', async () => {
      const strategy = receiverStrategy({ oktaDomain: 'https://login.example.com', issuer: ISSUER });
      const answer = await frontChannelLogoutReceiver(revocations, strategy).handle(get({ iss: ISSUER, sid: SID }));
      expect(answer.status).to.equal(200);
      expect(header(answer, 'Content-Security-Policy')).to.equal(
        `default-src 'none'; frame-ancestors ${DOMAIN} https://login.example.com`,
      );
    });

    it('takes the origins it is given, and refuses what is not an origin', async () => {
      const answer = await receiver({ frameAncestors: ['https://sso.example.com'] }).handle(get({ iss: ISSUER, sid: SID }));
      expect(header(answer, 'Content-Security-Policy')).to.equal("default-src 'none'; frame-ancestors https://sso.example.com");
      for (const bad of [
        [],
        ['*'],
        ["'self'"],
        ['https://sso.example.com/'],
        ['http://sso.example.com'],
        ['https://a; script-src *'],
      ]) {
        expect(() => receiver({ frameAncestors: bad }), JSON.stringify(bad)).to.throw(ConfigurationError);
      }
      expect(() => receiver({ sessionRequired: 'no' } as unknown as FrontChannelLogoutOptions)).to.throw(ConfigurationError);
      expect(() => receiver({ frameAncestor: [] } as unknown as FrontChannelLogoutOptions)).to.throw(ConfigurationError);
    });
  });
});

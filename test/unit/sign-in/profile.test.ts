import { expect } from 'chai';
import nock from 'nock';
import { OktaClient } from '../../../lib/client/client.js';
import type { IdTokenClaims } from '../../../lib/client/id-token.js';
import type { OktaTokens } from '../../../lib/client/tokens.js';
import { loadProfile, toProfile } from '../../../lib/sign-in/profile.js';
import { CLIENT_ID, CLIENT_SECRET, DOMAIN, REDIRECT_URI } from '../../support/okta-mock.js';

// Through a sign-in: userinfo in 'auto' mode for a thin ID token, never for openid alone,
// always with true, another sub refused (test/unit/sign-in/strategy.test.ts); Okta's 403
// insufficient_scope (test/integration/real-okta-signin.test.ts); token claims that
// userinfo may not replace (test/security/hardening.test.ts).

const ISSUER = `${DOMAIN}/oauth2/default`;
const base = { sub: '00u1alice', iss: ISSUER };

describe('the profile (sign-in/profile.ts)', () => {
  describe('toProfile: OpenID Connect claims as a Passport profile', () => {
    it('maps the standard claims, keeping all claims in _json and the source text in _raw', () => {
      const claims = {
        ...base,
        name: 'Alice Example',
        given_name: 'Alice',
        family_name: 'Example',
        middle_name: 'Q',
        preferred_username: 'alice@example.com',
        email: 'alice@example.com',
        email_verified: true,
        picture: 'https://img.example/alice.png',
        groups: ['Everyone', 'Admins'],
        locale: 'en-US',
      };
      expect(toProfile(claims, '{"raw":true}')).to.deep.equal({
        provider: 'okta',
        id: '00u1alice',
        issuer: ISSUER,
        displayName: 'Alice Example',
        username: 'alice@example.com',
        name: { givenName: 'Alice', familyName: 'Example', middleName: 'Q' },
        emails: [{ value: 'alice@example.com', verified: true }],
        photos: [{ value: 'https://img.example/alice.png' }],
        groups: ['Everyone', 'Admins'],
        _json: claims,
        _raw: '{"raw":true}',
      });
    });

    it('names the user by name, else given and family names, else username, else email, else sub', () => {
      const shown = (claims: Record<string, unknown>): string => toProfile({ ...base, ...claims }, '{}').displayName;
      expect(shown({ name: 'Alice Example', given_name: 'A' })).to.equal('Alice Example');
      expect(shown({ name: '', given_name: 'Alice', family_name: 'Example' })).to.equal('Alice Example');
      expect(shown({ family_name: 'Example' })).to.equal('Example');
      expect(shown({ preferred_username: 'alice@okta', email: 'alice@example.com' })).to.equal('alice@okta');
      expect(shown({ email: 'alice@example.com' })).to.equal('alice@example.com');
      expect(shown({ name: 42 })).to.equal('00u1alice');
    });

    it('leaves out what the claims do not give, or give as the wrong type', () => {
      const profile = toProfile(
        { ...base, email: '', picture: 7, groups: 'Admins', given_name: null, email_verified: 'yes' },
        '{}',
      );
      expect(profile).to.not.have.any.keys('username', 'name', 'emails', 'photos', 'groups');
      expect(toProfile({ ...base, email: 'a@example.com', email_verified: 'yes' }, '{}').emails).to.deep.equal([
        { value: 'a@example.com', verified: undefined },
      ]);
      expect(toProfile({ ...base, groups: ['Admins', 7, null, 'Everyone'] }, '{}').groups).to.deep.equal(['Admins', 'Everyone']);
      expect(toProfile({ ...base, family_name: 'Example' }, '{}').name).to.deep.equal({
        givenName: undefined,
        familyName: 'Example',
        middleName: undefined,
      });
    });
  });

  describe("loadProfile: when 'auto' asks /v1/userinfo", () => {
    const client = new OktaClient(DOMAIN, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, { authServerId: 'default' });
    const claims = (extra: Record<string, unknown> = {}): IdTokenClaims => ({
      ...base,
      aud: CLIENT_ID,
      exp: 2e9,
      iat: 1e9,
      ...extra,
    });
    const tokens = (scopes: string[]): OktaTokens => ({
      accessToken: 'at-0123456789abcdef',
      accessTokenExpiresAt: new Date(2e12),
      refreshToken: null,
      idToken: 'a.b.c',
      subject: '00u1alice',
      authTime: null,
      tokenType: 'Bearer',
      scopes,
    });
    beforeEach(() => nock.disableNetConnect());
    afterEach(() => {
      nock.cleanAll();
      nock.enableNetConnect();
    });

    /** Whether loading the profile asked /userinfo (nock refuses any request it was not told of). */
    async function asked(scopes: string[], idToken: IdTokenClaims): Promise<boolean> {
      const userinfo = nock(DOMAIN).get('/oauth2/default/v1/userinfo').reply(200, { sub: '00u1alice', given_name: 'Alice' });
      await loadProfile(client, 'auto', tokens(scopes), idToken);
      const done = userinfo.isDone();
      nock.cleanAll();
      return done;
    }

    it('asks for the email scope only when the ID token lacks email_verified', async () => {
      expect(await asked(['openid', 'email'], claims({ email: 'a@example.com' }))).to.equal(true);
      expect(await asked(['openid', 'email'], claims({ email: 'a@example.com', email_verified: false }))).to.equal(false);
    });

    it('asks for the profile scope only when the ID token has neither given nor family name, or no username', async () => {
      expect(await asked(['openid', 'profile'], claims({ name: 'Alice', preferred_username: 'a@example.com' }))).to.equal(true);
      expect(await asked(['openid', 'profile'], claims({ family_name: 'Example' }))).to.equal(true);
      expect(
        await asked(['openid', 'profile'], claims({ family_name: 'Example', preferred_username: 'a@example.com' })),
      ).to.equal(false);
    });

    it('asks for groups only with a scope /userinfo answers, and the ID token without groups', async () => {
      expect(await asked(['openid', 'groups'], claims())).to.equal(false);
      expect(await asked(['openid', 'groups', 'address'], claims())).to.equal(true);
      expect(await asked(['openid', 'groups', 'address'], claims({ groups: [] }))).to.equal(false);
    });

    it('does not ask for address or phone alone: nothing shows they are missing', async () => {
      expect(await asked(['openid', 'address', 'phone'], claims())).to.equal(false);
    });

    it('adds the claims /userinfo has to the profile; userInfo: false never asks', async () => {
      nock(DOMAIN)
        .get('/oauth2/default/v1/userinfo')
        .reply(200, { sub: '00u1alice', given_name: 'Alice', zoneinfo: 'Europe/Paris' });
      const profile = await loadProfile(client, 'auto', tokens(['openid', 'profile']), claims());
      expect(profile.name?.givenName).to.equal('Alice');
      expect(profile._json).to.include({ zoneinfo: 'Europe/Paris', iss: ISSUER });
      expect(JSON.parse(profile._raw)).to.deep.equal({ sub: '00u1alice', given_name: 'Alice', zoneinfo: 'Europe/Paris' });
      const withoutAsking = await loadProfile(client, false, tokens(['openid', 'profile', 'email']), claims());
      expect(withoutAsking._json).to.deep.equal(claims());
    });
  });
});

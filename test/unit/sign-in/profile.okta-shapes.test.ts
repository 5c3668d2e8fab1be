import { expect } from 'chai';
import nock from 'nock';
import { OktaClient } from '../../../lib/client/client.js';
import type { IdTokenClaims } from '../../../lib/client/id-token.js';
import type { OktaTokens } from '../../../lib/client/tokens.js';
import { loadProfile, type OktaProfile } from '../../../lib/sign-in/profile.js';
import {
  CLIENT,
  configuredIdToken,
  ISSUER,
  MARGARET,
  thinIdToken,
  USER,
  userinfoAnswer,
} from '../../support/okta-claim-shapes.js';

// userInfo: 'auto' against ID tokens shaped like real Okta's (test/support/okta-claim-shapes.ts):
// /v1/userinfo is asked exactly when a profile field the docs promise for a granted scope is
// missing from the ID token, and the profile then keeps its promise.

const DOMAIN = new URL(ISSUER).origin;
const client = new OktaClient(DOMAIN, CLIENT, 'secret', 'https://app.example.org/cb', { authServerId: 'default' });

const tokens = (scopes: string[]): OktaTokens => ({
  accessToken: 'eyJraWQiOiJhdC1zaGFwZSJ9.e30.sig',
  accessTokenExpiresAt: new Date(Date.now() + 3600_000),
  refreshToken: null,
  idToken: 'a.b.c',
  subject: USER,
  authTime: null,
  tokenType: 'Bearer',
  scopes,
});

/** The profile 'auto' makes, and whether it asked /userinfo (nock refuses any request it was not told of). */
async function auto(scopes: string[], idToken: Record<string, unknown>): Promise<{ asked: boolean; profile: OktaProfile }> {
  const userinfo = nock(DOMAIN).get('/oauth2/default/v1/userinfo').reply(200, userinfoAnswer(scopes));
  const profile = await loadProfile(client, 'auto', tokens(scopes), idToken as IdTokenClaims);
  const asked = userinfo.isDone();
  nock.cleanAll();
  return { asked, profile };
}

/** What the docs promise per scope, for MARGARET. */
function promised(profile: OktaProfile, scopes: readonly string[]): void {
  expect(profile.id).to.equal(USER);
  if (scopes.includes('profile')) {
    expect(profile.displayName).to.equal('Margaret Hamilton');
    expect(profile.username).to.equal(MARGARET.login);
    expect(profile.name).to.include({ givenName: 'Margaret', familyName: 'Hamilton' });
  }
  if (scopes.includes('email')) expect(profile.emails).to.deep.equal([{ value: MARGARET.login, verified: true }]);
  if (scopes.includes('groups')) expect(profile.groups).to.deep.equal(MARGARET.groups);
}

describe("the profile under userInfo: 'auto', with ID tokens shaped like real Okta's (sign-in/profile.ts)", () => {
  beforeEach(() => nock.disableNetConnect());
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  const cases: Array<{ scopes: string[]; thin: boolean; configured: boolean }> = [
    { scopes: ['openid'], thin: false, configured: false },
    { scopes: ['openid', 'profile'], thin: true, configured: false },
    { scopes: ['openid', 'email'], thin: true, configured: false },
    { scopes: ['openid', 'profile', 'email'], thin: true, configured: false },
    { scopes: ['openid', 'profile', 'email', 'groups'], thin: true, configured: false },
    { scopes: ['openid', 'profile', 'email', 'offline_access'], thin: true, configured: false },
    // Okta answers /userinfo 403 without profile, email, address or phone: not asked.
    { scopes: ['openid', 'groups'], thin: false, configured: false },
    // No promised field comes from address or phone.
    { scopes: ['openid', 'address', 'phone'], thin: false, configured: false },
  ];

  for (const { scopes, thin, configured } of cases) {
    it(`scope "${scopes.join(' ')}": asks /userinfo ${thin ? 'after Okta’s thin ID token' : 'never'}, and ${configured ? 'asks' : 'not'} once the claims are in the ID token`, async () => {
      const fromThin = await auto(scopes, thinIdToken(scopes));
      expect(fromThin.asked, 'thin ID token').to.equal(thin);
      if (thin) promised(fromThin.profile, scopes);
      const fromConfigured = await auto(scopes, configuredIdToken(scopes));
      expect(fromConfigured.asked, 'ID token with the claims added "Always"').to.equal(configured);
      if (!scopes.includes('groups') || scopes.some((s) => ['profile', 'email'].includes(s)))
        promised(fromConfigured.profile, scopes);
    });
  }

  it('asks when one promised field of a scope is missing: the names, the username, the email or its verified flag, the groups', async () => {
    const all = ['openid', 'profile', 'email', 'groups'];
    const full = configuredIdToken(all);
    expect((await auto(all, full)).asked).to.equal(false);
    for (const missing of ['preferred_username', 'email', 'email_verified', 'groups']) {
      const claims = { ...full };
      delete claims[missing];
      expect((await auto(all, claims)).asked, missing).to.equal(true);
    }
    const withoutNames = { ...full };
    delete withoutNames.given_name;
    delete withoutNames.family_name;
    expect((await auto(all, withoutNames)).asked, 'given_name and family_name').to.equal(true);
    const familyOnly = { ...full };
    delete familyOnly.given_name;
    expect((await auto(all, familyOnly)).asked, 'a family name is a name').to.equal(false);
  });

  it('does not ask for claims many users lack (middle_name, picture): their absence shows nothing', async () => {
    const scopes = ['openid', 'profile', 'email'];
    const { asked, profile } = await auto(scopes, configuredIdToken(scopes));
    expect(asked).to.equal(false);
    expect(profile.photos).to.equal(undefined);
    expect(profile.name?.middleName).to.equal(undefined);
  });
});

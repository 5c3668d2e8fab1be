/**
 * Accounts and claims: which claims each scope releases, and what a user's ID token and
 * userinfo answer carry.
 */
import type { FindAccount } from 'oidc-provider';
import type { DemoUser } from './types.js';

/** Okta's `idp` claim: the id of the identity provider, here a fixed org-like id. */
const OKTA_IDP_ID = '00olocalokta00000001';
/** A fixed `updated_at`, so that userinfo answers do not change between runs. */
const PROFILE_UPDATED_AT = 1_735_689_600; // 2025-01-01T00:00:00Z

/**
 * Which claims each scope releases. `openid` also releases the claims that Okta puts in
 * every ID token (auth_time, amr, ver, idp) and `acr` (only there when `acr_values` was
 * asked: step-up.ts); findAccount gives ver and idp to ID tokens only.
 */
export const OKTA_CLAIMS = {
  openid: ['sub', 'auth_time', 'amr', 'acr', 'ver', 'idp'],
  profile: [
    'name',
    'given_name',
    'family_name',
    'middle_name',
    'nickname',
    'preferred_username',
    'profile',
    'picture',
    'website',
    'gender',
    'birthdate',
    'zoneinfo',
    'locale',
    'updated_at',
  ],
  email: ['email', 'email_verified'],
  groups: ['groups'],
};

/**
 * oidc-provider's `findAccount` over a list of users: thin claims for ID tokens (with
 * `groups` when `groupsClaim` is set), all for userinfo.
 */
export function accountFinder(users: DemoUser[], groupsClaim: boolean): FindAccount {
  return (_ctx, sub) => findAccount(users, sub, groupsClaim);
}

function findAccount(users: DemoUser[], sub: string, groupsClaim: boolean) {
  const user = users.find((candidate) => candidate.sub === sub);
  if (!user) return undefined;
  return {
    accountId: user.sub,
    claims: (use: string) => (use === 'id_token' ? idTokenClaims(user, groupsClaim) : userinfoClaims(user)),
  };
}

/**
 * The thin set of Okta's code-flow ID token; scopes still decide which of these appear.
 * Okta leaves groups out of it unless a groups claim is configured (its groups-claim guide:
 * "Profile attributes and Groups aren't returned" in a thin ID token).
 */
function idTokenClaims(user: DemoUser, groupsClaim: boolean) {
  return {
    sub: user.sub,
    name: displayName(user),
    preferred_username: user.username,
    email: user.email,
    ver: 1,
    idp: OKTA_IDP_ID,
    ...(groupsClaim ? { groups: user.groups } : {}),
  };
}

function userinfoClaims(user: DemoUser) {
  return {
    sub: user.sub,
    name: displayName(user),
    given_name: user.givenName,
    family_name: user.familyName,
    preferred_username: user.username,
    email: user.email,
    email_verified: true,
    locale: 'en_US',
    zoneinfo: 'America/Los_Angeles',
    updated_at: PROFILE_UPDATED_AT,
    groups: user.groups,
  };
}

function displayName(user: DemoUser): string {
  return `${user.givenName} ${user.familyName}`;
}

import { randomBytes } from 'node:crypto';

// Claim sets shaped like what a real Okta authorization server issues in the authorization
// code flow, written for these tests from what Okta publishes (the facts, not its examples):
// - the ID token from /v1/token is "thin": the authentication claims, plus `name` and
//   `preferred_username` with `profile` and `email` with `email`; scope-dependent claims
//   (`given_name`, `family_name`, `email_verified`, `groups`, `address`, `phone_number`...)
//   are left to /v1/userinfo unless the authorization server has a claim of that name set to
//   go into the ID token "Always";
// - /v1/userinfo answers with `sub` and the claims of each granted scope.
// Ids have Okta's shapes: users `00u…`, identity providers `00o…`, 20 characters; ID token
// `jti`s `ID.…`.

export const ISSUER = 'https://dev-314159.okta.com/oauth2/default';
export const CLIENT = '0oa9x8w7v6u5t4s3r2q1';
export const USER = '00u5p7q9r1s3t5v7w9x1';

interface Person {
  given: string;
  family: string;
  login: string;
  groups: string[];
}

export const MARGARET: Person = {
  given: 'Margaret',
  family: 'Hamilton',
  login: 'margaret.hamilton@example.org',
  groups: ['Everyone', 'Flight Software'],
};

/** The claims of a code-flow ID token for `scopes`, as Okta issues it with no custom claims. */
export function thinIdToken(
  scopes: readonly string[],
  person: Person = MARGARET,
  nonce = 'n-0S6_WzA2Mj',
): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    sub: USER,
    ver: 1,
    iss: ISSUER,
    aud: CLIENT,
    iat: now,
    exp: now + 3600,
    jti: `ID.${randomBytes(32).toString('base64url')}`,
    amr: ['pwd'],
    idp: '00o2b4d6f8h0j2l4n6p8',
    nonce,
    auth_time: now - 12,
    at_hash: randomBytes(16).toString('base64url'),
  };
  if (scopes.includes('profile')) {
    claims.name = `${person.given} ${person.family}`;
    claims.preferred_username = person.login;
  }
  if (scopes.includes('email')) claims.email = person.login;
  return claims;
}

/**
 * The same ID token from an authorization server whose admin added claims for the ID token,
 * "Always" (Security → API → Authorization Servers → Claims): the names and emails, and a
 * groups claim (a Groups filter).
 */
export function configuredIdToken(scopes: readonly string[], person: Person = MARGARET): Record<string, unknown> {
  const claims = thinIdToken(scopes, person);
  if (scopes.includes('profile')) Object.assign(claims, { given_name: person.given, family_name: person.family });
  if (scopes.includes('email')) claims.email_verified = true;
  if (scopes.includes('groups')) claims.groups = person.groups;
  return claims;
}

/** What /v1/userinfo answers for a token granted `scopes` (Okta answers 403 without one of profile, email, address, phone). */
export function userinfoAnswer(scopes: readonly string[], person: Person = MARGARET): Record<string, unknown> {
  const answer: Record<string, unknown> = { sub: USER };
  if (scopes.includes('profile')) {
    Object.assign(answer, {
      name: `${person.given} ${person.family}`,
      given_name: person.given,
      family_name: person.family,
      preferred_username: person.login,
      locale: 'en_US',
      zoneinfo: 'America/New_York',
      updated_at: 1_700_000_000,
    });
  }
  if (scopes.includes('email')) Object.assign(answer, { email: person.login, email_verified: true });
  if (scopes.includes('groups')) answer.groups = person.groups;
  return answer;
}

import type { OktaClient, UserInfo } from '../client/client.js';
import type { IdTokenClaims } from '../client/id-token.js';
import type { OktaTokens } from '../client/tokens.js';
import { TokenError, UserInfoError } from '../core/errors.js';

/**
 * Passport's normalized profile (http://www.passportjs.org/docs/profile), filled from
 * the verified ID token claims and, when fetched, `/v1/userinfo`.
 */
export interface OktaProfile {
  provider: 'okta';
  /** Okta's user id (`sub`): unique within its issuer only. */
  id: string;
  /**
   * The verified issuer (`iss`) of the ID token. Key users by `issuer` + `id` when an app
   * signs in from more than one Okta org or authorization server (OpenID Connect Core §5.7).
   */
  issuer: string;
  displayName: string;
  /** `preferred_username`: usually the Okta login (an email address). */
  username?: string | undefined;
  name?: { givenName?: string | undefined; familyName?: string | undefined; middleName?: string | undefined } | undefined;
  emails?: { value: string; verified?: boolean | undefined }[] | undefined;
  photos?: { value: string }[] | undefined;
  /** The `groups` claim, when the app's Okta groups claim or the `groups` scope provides it. */
  groups?: string[] | undefined;
  /** All claims: the ID token's verified claims, plus those only userinfo had (userinfo never replaces one). */
  _json: Record<string, unknown>;
  /** The JSON text of `_json`'s source: the userinfo body if fetched, else the ID token payload. */
  _raw: string;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** Maps OpenID Connect standard claims (Core §5.1) to Passport's profile. */
export function toProfile(claims: Record<string, unknown> & { sub: string; iss: string }, raw: string): OktaProfile {
  const givenName = str(claims.given_name);
  const familyName = str(claims.family_name);
  const middleName = str(claims.middle_name);
  const email = str(claims.email);
  const picture = str(claims.picture);
  const username = str(claims.preferred_username);
  const groups = Array.isArray(claims.groups) ? claims.groups.filter((g): g is string => typeof g === 'string') : undefined;
  const displayName = str(claims.name) ?? ([givenName, familyName].filter(Boolean).join(' ') || username || email || claims.sub);
  const profile: OktaProfile = { provider: 'okta', id: claims.sub, issuer: claims.iss, displayName, _json: claims, _raw: raw };
  if (username) profile.username = username;
  if (givenName || familyName || middleName) profile.name = { givenName, familyName, middleName };
  if (email) {
    profile.emails = [{ value: email, verified: typeof claims.email_verified === 'boolean' ? claims.email_verified : undefined }];
  }
  if (picture) profile.photos = [{ value: picture }];
  if (groups) profile.groups = groups;
  return profile;
}

/** Scopes whose claims Okta's `/userinfo` gives; without one of them it answers 403 `insufficient_scope`. */
const USERINFO_SCOPES = ['profile', 'email', 'address', 'phone'];
/** Claims about the token and the authentication, which only the verified ID token may set. */
const TOKEN_CLAIMS = new Set([
  'iss',
  'aud',
  'azp',
  'exp',
  'iat',
  'nbf',
  'jti',
  'nonce',
  'auth_time',
  'acr',
  'amr',
  'sid',
  'at_hash',
  'c_hash',
  'cnf',
]);

/**
 * The profile of a sign-in: the verified ID token's claims, plus, when `userInfo` asks for it,
 * those only `/v1/userinfo` has. `'auto'` asks only when a granted scope promises claims the
 * ID token lacks and Okta will answer (one of `profile`, `email`, `address`, `phone`
 * granted); a 403 `insufficient_scope` then leaves the profile to the ID token.
 */
export async function loadProfile(
  client: OktaClient,
  userInfo: boolean | 'auto',
  tokens: OktaTokens,
  claims: IdTokenClaims,
): Promise<OktaProfile> {
  if (!wantsUserInfo(userInfo, tokens.scopes, claims)) return toProfile(claims, JSON.stringify(claims));
  let answer: UserInfo;
  try {
    answer = await client.fetchUserInfo(tokens.accessToken);
  } catch (err) {
    // 'auto' asked for extra profile claims the ID token lacks; Okta saying the token's
    // scopes give none is no reason to refuse a sign-in whose ID token is valid.
    if (userInfo === 'auto' && err instanceof TokenError && err.error === 'insufficient_scope') {
      return toProfile(claims, JSON.stringify(claims));
    }
    throw err;
  }
  if (answer.sub !== claims.sub) {
    throw new UserInfoError('The userinfo answer is for another user than the ID token (sub differs)');
  }
  // userinfo is not signed: it may add profile claims, never replace the ID token's
  // verified ones, nor bring claims that only a signed token can vouch for.
  const added: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(answer)) if (!TOKEN_CLAIMS.has(name)) added[name] = value;
  return toProfile({ ...added, ...claims }, JSON.stringify(answer));
}

/**
 * The profile fields each scope promises (docs/configuration.md, "Profile and tokens"), as the
 * claims that must be in the ID token for the profile to need nothing from userinfo. Okta's
 * code-flow ID token carries `name`, `preferred_username` and `email` (with those scopes) and
 * the authentication claims; `given_name`, `family_name`, `email_verified` and `groups` only
 * when the authorization server is set to put them in the ID token "Always". `middle_name` and
 * `picture` are not asked for: many users have none, so their absence shows nothing.
 */
const PROMISED = new Map<string, (claims: IdTokenClaims) => boolean>([
  // name (givenName, familyName) and username
  [
    'profile',
    (claims) => (claims.given_name !== undefined || claims.family_name !== undefined) && claims.preferred_username !== undefined,
  ],
  // emails: value and verified
  ['email', (claims) => claims.email !== undefined && claims.email_verified !== undefined],
  ['groups', (claims) => claims.groups !== undefined],
]);

/** Under 'auto': whether a granted scope's promised profile field is missing from the ID token, and Okta's userinfo would answer. */
function wantsUserInfo(userInfo: boolean | 'auto', scopes: readonly string[], claims: IdTokenClaims): boolean {
  if (userInfo !== 'auto') return userInfo;
  if (!scopes.some((scope) => USERINFO_SCOPES.includes(scope))) return false;
  return scopes.some((scope) => PROMISED.get(scope)?.(claims) === false);
}

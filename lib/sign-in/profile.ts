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
  emails?: Array<{ value: string; verified?: boolean | undefined }> | undefined;
  photos?: Array<{ value: string }> | undefined;
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

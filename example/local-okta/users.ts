/**
 * The people who can sign in, the password check of the sign-in form and the check of the
 * second factor. Claims about them (what each scope releases) are in claims.ts.
 */
import { timingSafeEqual } from 'node:crypto';
import type { DemoUser } from './types.js';

/**
 * The demo users; their passwords and one-time codes are shown by the example app when it
 * starts. Alice is an admin with a second factor, Bob has a second factor, Carol has none
 * (a step-up to two factors fails for her, as for an Okta user with no authenticator enrolled).
 */
export const DEMO_USERS: DemoUser[] = [
  {
    sub: '00ualice000000000001',
    username: 'alice@example.com',
    password: 'alice-password',
    givenName: 'Alice',
    familyName: 'Anderson',
    email: 'alice@example.com',
    groups: ['Everyone', 'Admins'],
    oneTimeCode: '246810',
  },
  {
    sub: '00ubob00000000000002',
    username: 'bob@example.com',
    password: 'bob-password',
    givenName: 'Bob',
    familyName: 'Brown',
    email: 'bob@example.com',
    groups: ['Everyone'],
    oneTimeCode: '135790',
  },
  {
    sub: '00ucarol000000000003',
    username: 'carol@example.com',
    password: 'carol-password',
    givenName: 'Carol',
    familyName: 'Clark',
    email: 'carol@example.com',
    groups: ['Everyone'],
  },
];

/** The user whose username and password these are, if any. */
export function authenticate(users: DemoUser[], username: string, password: string): DemoUser | undefined {
  // Okta logins are case-insensitive; passwords are not.
  const login = username.trim().toLowerCase();
  return users.find((user) => user.username.toLowerCase() === login && user.password === password);
}

/** The user named by a `sub`, a username or an email (case-insensitive for the last two). */
export function findUser(users: DemoUser[], name: string): DemoUser | undefined {
  const login = name.trim().toLowerCase();
  return users.find((user) => user.sub === name || user.username.toLowerCase() === login || user.email.toLowerCase() === login);
}

/** Whether `code` is the user's one-time code (false for a user without a second factor). */
export function oneTimeCodeMatches(user: DemoUser, code: string): boolean {
  if (user.oneTimeCode === undefined) return false;
  const expected = Buffer.from(user.oneTimeCode);
  const given = Buffer.from(code.trim());
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * The people who can sign in, and the password check of the sign-in form. Claims about
 * them (what each scope releases) are in claims.ts.
 */
import type { DemoUser } from './types.js';

/** The demo users; their passwords are shown by the example app when it starts. */
export const DEMO_USERS: DemoUser[] = [
  {
    sub: '00ualice000000000001',
    username: 'alice@example.com',
    password: 'alice-password',
    givenName: 'Alice',
    familyName: 'Anderson',
    email: 'alice@example.com',
    groups: ['Everyone', 'Admins'],
  },
  {
    sub: '00ubob00000000000002',
    username: 'bob@example.com',
    password: 'bob-password',
    givenName: 'Bob',
    familyName: 'Brown',
    email: 'bob@example.com',
    groups: ['Everyone'],
  },
];

/** The user whose username and password these are, if any. */
export function authenticate(users: DemoUser[], username: string, password: string): DemoUser | undefined {
  // Okta logins are case-insensitive; passwords are not.
  const login = username.trim().toLowerCase();
  return users.find((user) => user.username.toLowerCase() === login && user.password === password);
}

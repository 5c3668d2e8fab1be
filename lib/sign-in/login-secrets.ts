import { hash, randomBytes } from 'node:crypto';

/** The one-time values of a sign-in: `state`, the PKCE verifier and the nonce. */
export interface LoginSecrets {
  state: string;
  codeVerifier: string;
  nonce: string;
}

/**
 * The version of the stored login format this code writes. A version fixes how `state` and
 * the nonce derive from the verifier (the labels below) and how a session keeps a pending
 * login: changing either is a new version, and the old ones stay readable, or every sign-in
 * pending during a deploy would fail. Entries written before versions were recorded are
 * version 1.
 */
export const LOGIN_FORMAT = 1;

/** The derivation labels of each version. Never change a version's labels: add a version. */
const LABELS: Readonly<Record<number, { state: string; nonce: string } | undefined>> = {
  1: { state: 'passport-okta-oidc state', nonce: 'passport-okta-oidc nonce' },
};

/** Whether this code can read pending logins written in `version`. */
export function knownFormat(version: unknown): version is number {
  return typeof version === 'number' && LABELS[version] !== undefined;
}

/**
 * A sign-in's one-time values from one draw of 256 random bits: the PKCE verifier is the
 * random value itself, and `state` and `nonce` are SHA-256 of it under distinct labels.
 * Both are sent in the clear and say nothing of the verifier (a SHA-256 preimage), as
 * the S256 challenge already does; they are as unpredictable as the verifier (256 bits).
 * A session store then keeps the verifier alone and derives the other two again.
 */
export function loginSecrets(): LoginSecrets {
  const codeVerifier = randomBytes(32).toString('base64url');
  return { state: stateFor(codeVerifier), codeVerifier, nonce: nonceFor(codeVerifier) };
}

/**
 * The last derivation of each label: a sign-in derives the same value twice in a row (the
 * strategy, then the session store checking that it may keep the verifier alone; or the
 * store finding the pending login, then expanding it), so one remembered pair saves a hash.
 */
const last: Record<'state' | 'nonce', [verifier: string, value: string]> = { state: ['', ''], nonce: ['', ''] };

function derive(kind: 'state' | 'nonce', codeVerifier: string, version: number): string {
  const memo = last[kind];
  if (version === LOGIN_FORMAT && memo[0] === codeVerifier && codeVerifier !== '') return memo[1];
  // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- a version is LOGIN_FORMAT or one knownFormat() accepted
  const label = LABELS[version]![kind];
  const value = hash('sha256', `${label} ${codeVerifier}`, 'base64url');
  if (version === LOGIN_FORMAT) {
    memo[0] = codeVerifier;
    memo[1] = value;
  }
  return value;
}

/** The `state` of the sign-in whose verifier is `codeVerifier` (see {@link loginSecrets}). */
export function stateFor(codeVerifier: string, version = LOGIN_FORMAT): string {
  return derive('state', codeVerifier, version);
}

/** The nonce of the sign-in whose verifier is `codeVerifier` (see {@link loginSecrets}). */
export function nonceFor(codeVerifier: string, version = LOGIN_FORMAT): string {
  return derive('nonce', codeVerifier, version);
}

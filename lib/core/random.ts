import { hash, randomBytes } from 'node:crypto';

/** A random base64url string from `bytes` random bytes (32 bytes = 256 bits). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** PKCE S256 code challenge: base64url(SHA-256(verifier)) without padding (RFC 7636 §4.2). */
export function codeChallengeS256(codeVerifier: string): string {
  return hash('sha256', codeVerifier, 'base64url');
}

/** The one-time values of a sign-in: `state`, the PKCE verifier and the nonce. */
export interface LoginSecrets {
  state: string;
  codeVerifier: string;
  nonce: string;
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
const last = { state: ['', ''], nonce: ['', ''] };

function derive(label: 'state' | 'nonce', codeVerifier: string): string {
  const memo = last[label];
  if (memo[0] === codeVerifier && codeVerifier !== '') return memo[1]!;
  const value = hash('sha256', `passport-okta-oidc ${label} ${codeVerifier}`, 'base64url');
  memo[0] = codeVerifier;
  memo[1] = value;
  return value;
}

/** The `state` of the sign-in whose verifier is `codeVerifier` (see {@link loginSecrets}). */
export function stateFor(codeVerifier: string): string {
  return derive('state', codeVerifier);
}

/** The nonce of the sign-in whose verifier is `codeVerifier` (see {@link loginSecrets}). */
export function nonceFor(codeVerifier: string): string {
  return derive('nonce', codeVerifier);
}

import { hash, randomBytes } from 'node:crypto';

/** A random base64url string from `bytes` random bytes (32 bytes = 256 bits). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** PKCE S256 code challenge: base64url(SHA-256(verifier)) without padding (RFC 7636 §4.2). */
export function codeChallengeS256(codeVerifier: string): string {
  return hash('sha256', codeVerifier, 'base64url');
}

import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { knownFormat, LOGIN_FORMAT, loginSecrets, nonceFor, stateFor } from '../../../lib/sign-in/login-secrets.js';
import { codeChallengeS256 } from '../../../lib/core/random.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('base64url');

describe('login secrets (sign-in/login-secrets.ts)', () => {
  it('draws a fresh 256-bit verifier for each sign-in', () => {
    const drawn = Array.from({ length: 50 }, () => loginSecrets());
    for (const { codeVerifier } of drawn) expect(codeVerifier).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set(drawn.map((s) => s.codeVerifier)).size).to.equal(50);
  });

  it('derives state and nonce from the verifier with the labels of format 1, which never change', () => {
    // ARCHITECTURE.md, "Stored formats that must stay readable": pending sign-ins keep only
    // the verifier, so a change of these labels would break every sign-in in flight.
    expect(LOGIN_FORMAT).to.equal(1);
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    expect(stateFor(verifier)).to.equal(sha256(`passport-okta-oidc state ${verifier}`));
    expect(nonceFor(verifier)).to.equal(sha256(`passport-okta-oidc nonce ${verifier}`));
    expect(stateFor(verifier, 1)).to.equal(stateFor(verifier));
    const secrets = loginSecrets();
    expect(secrets.state).to.equal(sha256(`passport-okta-oidc state ${secrets.codeVerifier}`));
    expect(secrets.nonce).to.equal(sha256(`passport-okta-oidc nonce ${secrets.codeVerifier}`));
  });

  it('gives state, nonce, verifier and PKCE challenge as four different 43-character values', () => {
    const { state, nonce, codeVerifier } = loginSecrets();
    const values = [state, nonce, codeVerifier, codeChallengeS256(codeVerifier)];
    expect(new Set(values).size).to.equal(4);
    for (const value of values) expect(value).to.have.length(43);
  });

  it('derives the same values again, whatever was derived in between (its one-entry memo is not stale)', () => {
    const a = 'a'.repeat(43);
    const b = 'b'.repeat(43);
    const first = [stateFor(a), nonceFor(a)];
    stateFor(b);
    nonceFor(b);
    expect([stateFor(a), nonceFor(a)]).to.deep.equal(first);
    expect(stateFor(b)).to.equal(sha256(`passport-okta-oidc state ${b}`));
  });

  it('knows format 1 only: what another version or a tampered session says is unknown', () => {
    expect(knownFormat(1)).to.equal(true);
    for (const other of [0, 2, 99, -1, 1.5, '1', null, undefined, [1]]) expect(knownFormat(other), String(other)).to.equal(false);
  });
});

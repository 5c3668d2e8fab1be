import { expect } from 'chai';
import { TokenError } from '../../../lib/core/errors.js';
import type { HttpAnswer } from '../../../lib/core/http.js';
import { challengeFailure, readChallenges } from '../../../lib/core/www-authenticate.js';

const params = (header: string): Array<[string, Record<string, string>]> =>
  readChallenges(header).map(({ scheme, params: p }) => [scheme, Object.fromEntries(p)]);

function answer(status: number, wwwAuthenticate?: string): HttpAnswer {
  const headers = new Headers(wwwAuthenticate === undefined ? {} : { 'www-authenticate': wwwAuthenticate });
  return { status, headers, text: '' };
}

describe('WWW-Authenticate (core/www-authenticate.ts)', () => {
  describe('readChallenges (RFC 9110 §11.2)', () => {
    it('reads each challenge with its parameters, schemes and names in lower case', () => {
      expect(params('Bearer realm="api", error="invalid_token", DPoP algs="ES256 RS256"')).to.deep.equal([
        ['bearer', { realm: 'api', error: 'invalid_token' }],
        ['dpop', { algs: 'ES256 RS256' }],
      ]);
      expect(params('BEARER ERROR=insufficient_scope')).to.deep.equal([['bearer', { error: 'insufficient_scope' }]]);
    });

    it('unescapes quoted-strings and keeps commas inside them', () => {
      expect(params('Bearer error_description="say \\"no\\", twice", error=x')).to.deep.equal([
        ['bearer', { error_description: 'say "no", twice', error: 'x' }],
      ]);
    });

    it("skips a token68 (Basic's credentials) and what is not an auth-param, up to the next comma", () => {
      expect(params('Basic abc==, Bearer error="invalid_token"')).to.deep.equal([
        ['basic', {}],
        ['bearer', { error: 'invalid_token' }],
      ]);
      expect(params('Bearer realm=, error="x"')).to.deep.equal([['bearer', { error: 'x' }]]);
      expect(params('Bearer @@@')).to.deep.equal([['bearer', {}]]);
    });

    it('keeps the first of a repeated parameter, and ignores parameters before any scheme', () => {
      expect(params('Bearer error="first", error="second"')).to.deep.equal([['bearer', { error: 'first' }]]);
      expect(params('error="orphan"')).to.deep.equal([]);
      expect(params('')).to.deep.equal([]);
    });
  });

  describe('challengeFailure (RFC 6750 §3, RFC 9449 §7.1)', () => {
    it("turns a 401 or 403 Bearer or DPoP challenge's error into a TokenError with its fields", () => {
      const err = challengeFailure(
        answer(
          401,
          'Bearer realm="x", error="invalid_token", error_description="The access token is invalid.", error_uri="https://e.example/1"',
        ),
        'userinfo endpoint',
        [],
      );
      expect(err).to.be.instanceOf(TokenError);
      expect(err).to.include({
        error: 'invalid_token',
        description: 'The access token is invalid.',
        uri: 'https://e.example/1',
        oktaStatus: 401,
      });
      expect(challengeFailure(answer(403, 'DPoP error="insufficient_scope"'), 'userinfo endpoint', [])).to.include({
        error: 'insufficient_scope',
        oktaStatus: 403,
        description: undefined,
      });
    });

    it('reads the first challenge of a known scheme that has an error', () => {
      const err = challengeFailure(answer(401, 'Basic realm="x", Bearer realm="y", DPoP error="use_dpop_nonce"'), 'x', []);
      expect(err?.error).to.equal('use_dpop_nonce');
    });

    it('is undefined for another status, no header, another scheme, or no error', () => {
      expect(challengeFailure(answer(400, 'Bearer error="invalid_request"'), 'x', [])).to.equal(undefined);
      expect(challengeFailure(answer(401), 'x', [])).to.equal(undefined);
      expect(challengeFailure(answer(401, 'Basic error="invalid_token"'), 'x', [])).to.equal(undefined);
      expect(challengeFailure(answer(401, 'Bearer realm="okta"'), 'x', [])).to.equal(undefined);
    });

    it('scrubs the secrets sent from every field, as sent and encoded', () => {
      const token = 'at.0123456789abcdefghij';
      const header =
        `Bearer error="bad ${token}", error_description="token ${encodeURIComponent(token + '+/')} refused", ` +
        `error_uri="https://e.example/?t=${Buffer.from(token).toString('base64')}"`;
      const err = challengeFailure(answer(401, header), 'userinfo endpoint', [token, `${token}+/`])!;
      const shown = JSON.stringify({ ...err, message: err.message });
      expect(shown).to.not.contain(token).and.not.contain(Buffer.from(token).toString('base64'));
      expect(err.error).to.contain('[redacted]');
    });
  });
});

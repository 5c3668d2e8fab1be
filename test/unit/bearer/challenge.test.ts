import { expect } from 'chai';
import { AccessTokenError } from '../../../lib/core/errors.js';
import type { OktaRequest } from '../../../lib/passport/request.js';
import {
  headerCount,
  isQuotable,
  MAX_TOKEN_LENGTH,
  readCredentials,
  wwwAuthenticate,
  type ChallengeSettings,
} from '../../../lib/bearer/challenge.js';
import { request } from '../../support/passport.js';

// The headers an API sends for each refusal, over HTTP: test/integration/bearer.test.ts.

const settings = (extra: Partial<ChallengeSettings> = {}): ChallengeSettings => ({
  realm: undefined,
  dpop: 'allowed',
  algs: ['ES256', 'RS256'],
  ...extra,
});

/** A request with these raw header lines, as Node gives them (it keeps only the first Authorization). */
function withHeaders(lines: Array<[string, string]>): OktaRequest {
  const req = request({});
  const headers: Record<string, string> = {};
  for (const [name, value] of lines) headers[name.toLowerCase()] ??= value;
  return Object.assign(req, { headers, rawHeaders: lines.flat() });
}

function refusalOf(req: OktaRequest): AccessTokenError {
  try {
    readCredentials(req);
  } catch (err) {
    expect(err).to.be.instanceOf(AccessTokenError);
    return err as AccessTokenError;
  }
  expect.fail('expected an AccessTokenError');
}

describe('the Authorization header and the challenge (bearer/challenge.ts)', () => {
  describe('wwwAuthenticate (RFC 6750 §3, RFC 9449 §7.2)', () => {
    it('offers each accepted scheme in one header, without an error when no credentials came', () => {
      expect(wwwAuthenticate(settings())).to.equal('Bearer, DPoP algs="ES256 RS256"');
      expect(wwwAuthenticate(settings({ dpop: 'required' }))).to.equal('DPoP algs="ES256 RS256"');
      expect(wwwAuthenticate(settings({ dpop: 'disabled', realm: 'orders' }))).to.equal('Bearer realm="orders"');
    });

    it('puts the error on the challenge of the scheme the request used', () => {
      const refusal = { error: 'invalid_token' as const, description: 'The access token expired', scheme: 'DPoP' as const };
      expect(wwwAuthenticate(settings({ realm: 'api' }), refusal)).to.equal(
        'Bearer realm="api", DPoP realm="api", error="invalid_token", error_description="The access token expired", algs="ES256 RS256"',
      );
      expect(wwwAuthenticate(settings(), { ...refusal, scheme: 'Bearer' })).to.equal(
        'Bearer error="invalid_token", error_description="The access token expired", DPoP algs="ES256 RS256"',
      );
    });

    it('puts it on the first offered scheme when the request used one not offered, or none', () => {
      const refusal = { error: 'invalid_request' as const, description: 'DPoP is required', scheme: 'Bearer' as const };
      expect(wwwAuthenticate(settings({ dpop: 'required' }), refusal)).to.equal(
        'DPoP error="invalid_request", error_description="DPoP is required", algs="ES256 RS256"',
      );
      expect(wwwAuthenticate(settings({ dpop: 'disabled' }), { ...refusal, scheme: undefined })).to.equal(
        'Bearer error="invalid_request", error_description="DPoP is required"',
      );
    });

    it('names the scopes needed with insufficient_scope', () => {
      expect(
        wwwAuthenticate(settings({ dpop: 'disabled' }), {
          error: 'insufficient_scope',
          description: 'The access token lacks a scope',
          scope: 'orders:read orders:write',
        }),
      ).to.equal(
        'Bearer error="insufficient_scope", error_description="The access token lacks a scope", scope="orders:read orders:write"',
      );
    });
  });

  it('isQuotable: printable ASCII without a double quote or a backslash', () => {
    expect(isQuotable('api://default orders:read ~!')).to.equal(true);
    expect(isQuotable('')).to.equal(true);
    for (const bad of ['say "hi"', 'back\\slash', 'line\nbreak', 'tab\t', 'é', '\u007f'])
      expect(isQuotable(bad), bad).to.equal(false);
  });

  it('headerCount: counts the raw lines of a header in any case, or the parsed header without them', () => {
    const req = withHeaders([
      ['Authorization', 'Bearer a'],
      ['Host', 'api.example'],
      ['AUTHORIZATION', 'Bearer b'],
    ]);
    expect(headerCount(req, 'authorization')).to.equal(2);
    expect(headerCount(req, 'dpop')).to.equal(0);
    const parsed = Object.assign(request({ headers: { dpop: 'x' } }), { rawHeaders: undefined }) as unknown as OktaRequest;
    expect(headerCount(parsed, 'dpop')).to.equal(1);
    expect(headerCount(parsed, 'authorization')).to.equal(0);
  });

  describe('readCredentials (RFC 6750 §2.1, RFC 9449 §7.1)', () => {
    it('reads a Bearer or DPoP token, the scheme in any case', () => {
      expect(readCredentials(withHeaders([['Authorization', 'Bearer abc.DEF-_~+/=']]))).to.deep.equal({
        scheme: 'Bearer',
        token: 'abc.DEF-_~+/=',
        jwt: false,
      });
      expect(readCredentials(withHeaders([['authorization', 'dPoP   tok']]))).to.deep.equal({
        scheme: 'DPoP',
        token: 'tok',
        jwt: false,
      });
    });

    it('says whether the token has the shape of a JWT, on the usual path and the general one', () => {
      const read = (value: string) => readCredentials(withHeaders([['Authorization', value]]));
      expect(read('Bearer aA0-_.bB1.cC2')).to.deep.equal({ scheme: 'Bearer', token: 'aA0-_.bB1.cC2', jwt: true });
      expect(read('DPOP a.b.c')).to.deep.equal({ scheme: 'DPoP', token: 'a.b.c', jwt: true });
      expect(read(' bearer   a.b.c  ')).to.deep.equal({ scheme: 'Bearer', token: 'a.b.c', jwt: true });
      for (const token of ['a.b', 'a..c', 'a.b.c.d.e', 'a.b.c=', 'a.b/.c', '.b.c']) {
        expect(read(`Bearer ${token}`), token).to.deep.equal({ scheme: 'Bearer', token, jwt: false });
      }
      const long = `a.b.${'c'.repeat(8189)}`;
      expect(() => read(`Bearer ${long}`), 'the usual path keeps the size limit').to.throw(/longer than 8192/);
    });

    it('reads no credentials from a request without Authorization, or with another scheme', () => {
      expect(readCredentials(withHeaders([]))).to.equal(undefined);
      expect(readCredentials(withHeaders([['Authorization', 'Basic dXNlcjpwYXNz']]))).to.equal(undefined);
    });

    it('refuses a repeated, empty, malformed or oversized header as invalid_request', () => {
      const cases: Array<[Array<[string, string]>, string]> = [
        [
          [
            ['Authorization', 'Bearer a'],
            ['Authorization', 'Bearer b'],
          ],
          'The request carries several Authorization headers',
        ],
        [[['Authorization', 'Bearer']], 'The Authorization header has no Bearer token'],
        [[['Authorization', 'DPoP  ']], 'The Authorization header has no DPoP token'],
        [[['Authorization', 'Bearer a b']], 'The Authorization header is malformed'],
        [[['Authorization', 'Bearer tok"en']], 'The Authorization header is malformed'],
        [[['Authorization', 'Bearer ==abc']], 'The Authorization header is malformed'],
        [[['Authorization', '(Bearer) abc']], 'The Authorization header is malformed'],
        [
          [['Authorization', `Bearer ${'a'.repeat(MAX_TOKEN_LENGTH + 1)}`]],
          `The access token is longer than ${MAX_TOKEN_LENGTH} characters`,
        ],
      ];
      for (const [lines, description] of cases) {
        const err = refusalOf(withHeaders(lines));
        expect(err, description).to.include({ error: 'invalid_request', description });
      }
      expect(readCredentials(withHeaders([['Authorization', `Bearer ${'a'.repeat(MAX_TOKEN_LENGTH)}`]]))?.token).to.have.length(
        8192,
      );
    });
  });
});

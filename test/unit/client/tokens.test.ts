import { expect } from 'chai';
import { readTokenResponse } from '../../../lib/client/tokens.js';
import { ResponseError } from '../../../lib/core/errors.js';

// A missing expires_in, an unknown token_type, a non-string access_token and a missing ID
// token are also refused through validateAuthorizationCode (test/unit/client/client.test.ts).

const NOW = Date.UTC(2031, 0, 1);
const read = (body: Record<string, unknown>, requestedScopes: readonly string[] = ['openid']) =>
  readTokenResponse(body, { status: 200, now: NOW, requestedScopes });
const base = { access_token: 'at-1', token_type: 'Bearer', expires_in: 3600 };

function refusal(body: Record<string, unknown>): string {
  try {
    read(body);
  } catch (err) {
    expect(err).to.be.instanceOf(ResponseError).with.property('oktaStatus', 200);
    return (err as Error).message;
  }
  expect.fail('expected a ResponseError');
}

describe('the token response (client/tokens.ts, RFC 6749 §5.1)', () => {
  it('reads the tokens, the expiry from expires_in and the granted scopes', () => {
    expect(read({ ...base, refresh_token: 'rt-1', id_token: 'a.b.c', scope: 'openid  profile offline_access' })).to.deep.equal({
      accessToken: 'at-1',
      accessTokenExpiresAt: new Date(NOW + 3_600_000),
      refreshToken: 'rt-1',
      idToken: 'a.b.c',
      tokenType: 'Bearer',
      scopes: ['openid', 'profile', 'offline_access'],
    });
  });

  it('takes the requested scopes when Okta names none, as a copy', () => {
    const requested = ['openid', 'email'];
    const tokens = read(base, requested);
    expect(tokens.scopes).to.deep.equal(requested);
    expect(tokens.scopes).to.not.equal(requested);
    expect(read({ ...base, scope: '' }, requested).scopes, 'an empty scope grants none').to.deep.equal([]);
  });

  it('spells the token type as the package does, whatever the case Okta uses', () => {
    expect(read({ ...base, token_type: 'bearer' }).tokenType).to.equal('Bearer');
    expect(read({ ...base, token_type: 'DPOP' }).tokenType).to.equal('DPoP');
    expect(refusal({ ...base, token_type: 'Bearer2' })).to.equal(
      "Okta's token endpoint answered with a token_type other than Bearer or DPoP",
    );
  });

  it('reads expires_in given as a string of digits, and refuses one that is not a positive number', () => {
    expect(read({ ...base, expires_in: '60' }).accessTokenExpiresAt).to.deep.equal(new Date(NOW + 60_000));
    for (const bad of [0, -1, 'soon', Number.POSITIVE_INFINITY, null, true]) {
      expect(refusal({ ...base, expires_in: bad }), String(bad)).to.equal(
        "Okta's token endpoint answered with no valid expires_in",
      );
    }
  });

  it('reads an empty refresh_token or id_token as none', () => {
    expect(read({ ...base, refresh_token: '', id_token: '' })).to.include({ refreshToken: null, idToken: null });
  });

  it('refuses fields of the wrong type, naming the field', () => {
    expect(refusal({ ...base, access_token: '' })).to.equal("Okta's token endpoint answered with no access_token");
    expect(refusal({ ...base, refresh_token: 7 })).to.equal(
      "Okta's token endpoint answered with a refresh_token that is not a string",
    );
    expect(refusal({ ...base, id_token: {} })).to.equal("Okta's token endpoint answered with an id_token that is not a string");
    expect(refusal({ ...base, scope: ['openid'] })).to.equal("Okta's token endpoint answered with a scope that is not a string");
  });

  it('never puts a token in its refusal', () => {
    expect(refusal({ ...base, access_token: 'at-secret-value', token_type: 'mac' })).to.not.contain('at-secret-value');
    expect(refusal({ ...base, refresh_token: 12345678 })).to.not.contain('12345678');
  });
});

import { expect } from 'chai';
import { AuthorizationError, ConfigurationError } from '../../../lib/core/errors.js';
import { authorizationFailure, readCallbackParams } from '../../../lib/sign-in/callback.js';
import { request } from '../../support/passport.js';

// Through the strategy (test/unit/sign-in/strategy.test.ts): the user-facing errors Okta
// sends most, repeated and oversized parameters, form_post, a POST without a parsed body.

const CALLBACK = '/auth/okta/callback';
const read = (init: Parameters<typeof request>[0], responseMode = 'query') =>
  readCallbackParams(request(init), responseMode, CALLBACK);

describe('the callback parameters (sign-in/callback.ts)', () => {
  describe('readCallbackParams', () => {
    it('keeps only the authorization response’s parameters (RFC 6749 §4.1.2, RFC 9207 iss)', () => {
      const params = read({
        query: { code: 'c', state: 's', iss: 'https://acme.okta.com', session_state: 'x', scope: 'openid' },
      });
      expect(params).to.deep.equal({ code: 'c', state: 's', iss: 'https://acme.okta.com' });
    });

    it('reads an error without a code as a callback', () => {
      expect(
        read({ query: { error: 'access_denied', error_description: 'd', error_uri: 'https://e', state: 's' } }),
      ).to.deep.equal({
        error: 'access_denied',
        error_description: 'd',
        error_uri: 'https://e',
        state: 's',
      });
    });

    it('is not a callback without code and error', () => {
      expect(read({ query: { state: 's', iss: 'x' } })).to.equal(undefined);
      expect(read({ query: {} })).to.equal(undefined);
    });

    it('parses the URL when no framework parsed the query', () => {
      const req = Object.assign(request({ url: `${CALLBACK}?code=c%2B1&state=s` }), { query: undefined });
      expect(readCallbackParams(req, 'query', CALLBACK)).to.deep.equal({ code: 'c+1', state: 's' });
    });

    it('fails with 400, naming the parameter, on one repeated, not a string, or over 4096 characters', () => {
      const failure = (message: string) => ({ kind: 'fail', challenge: { message }, status: 400 });
      expect(read({ query: { code: ['a', 'b'], state: 's' } })).to.deep.equal(
        failure('The sign-in callback parameter code is repeated or malformed'),
      );
      expect(read({ query: { code: 'c', state: { nested: 's' } } })).to.deep.equal(
        failure('The sign-in callback parameter state is repeated or malformed'),
      );
      expect(read({ query: { code: 'c', state: 's'.repeat(4097) } })).to.deep.equal(
        failure('The sign-in callback parameter state is too long'),
      );
      expect(read({ query: { code: 'c', state: 's'.repeat(4096) } })).to.deep.equal({ code: 'c', state: 's'.repeat(4096) });
    });

    describe('a POST (form_post)', () => {
      it('reads the body, not the query', () => {
        expect(
          read({ method: 'POST', query: { code: 'from-query' }, body: { code: 'c', state: 's' } }, 'form_post'),
        ).to.deep.equal({
          code: 'c',
          state: 's',
        });
      });

      it('without a parsed body at the form_post callback, says to add express.urlencoded()', () => {
        expect(() => read({ method: 'POST', url: `${CALLBACK}?x=1`, query: {}, body: undefined }, 'form_post')).to.throw(
          ConfigurationError,
          'add express.urlencoded() to the callback route',
        );
      });

      it('without a body elsewhere, or without form_post, is not a callback: a sign-in form may POST to start one', () => {
        expect(read({ method: 'POST', url: '/login', query: {}, body: undefined }, 'form_post')).to.equal(undefined);
        expect(read({ method: 'POST', url: CALLBACK, query: {}, body: undefined }, 'query')).to.equal(undefined);
      });

      it('with a body that is not an object (an unparsed string, null) is not a callback', () => {
        expect(read({ method: 'POST', body: 'code=c&state=s' }, 'form_post')).to.equal(undefined);
        expect(read({ method: 'POST', body: null }, 'form_post')).to.equal(undefined);
      });
    });
  });

  describe('authorizationFailure', () => {
    it("fails with 403, Okta's description (the error code when there is none), the error and the sign-in's app state", () => {
      for (const error of ['unmet_authentication_requirements', 'jit_failure', 'access_denied']) {
        expect(authorizationFailure({ error, error_description: 'Not today.' }, undefined), error).to.deep.equal({
          kind: 'fail',
          challenge: { message: 'Not today.', error },
          status: 403,
        });
      }
      expect(authorizationFailure({ error: 'login_required' }, { returnTo: '/r', silent: true })).to.deep.equal({
        kind: 'fail',
        challenge: { message: 'login_required', error: 'login_required', state: { returnTo: '/r', silent: true } },
        status: 403,
      });
    });

    it('reports what the app or Okta must change as an AuthorizationError with its fields', () => {
      for (const error of ['server_error', 'temporarily_unavailable', 'invalid_scope', 'unauthorized_client']) {
        const outcome = authorizationFailure({ error, error_description: 'd', error_uri: 'https://e.example' }, undefined);
        expect(outcome.kind, error).to.equal('error');
        const err = (outcome as Extract<typeof outcome, { kind: 'error' }>).error;
        expect(err).to.be.instanceOf(AuthorizationError).and.include({ error, description: 'd', uri: 'https://e.example' });
      }
    });
  });
});

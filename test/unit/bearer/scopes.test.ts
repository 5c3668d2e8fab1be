import { expect } from 'chai';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { rememberChallenge, requireScopes } from '../../../lib/bearer/scopes.js';
import { ConfigurationError } from '../../../lib/core/errors.js';
import type { OktaRequest } from '../../../lib/passport/request.js';
import { request } from '../../support/passport.js';

// Over HTTP behind the strategy: test/integration/bearer.test.ts ("requireScopes").

const settings = { realm: undefined, dpop: 'allowed' as const, algs: ['ES256'] };

/** A request the bearer strategy accepted with these scopes. */
function accepted(scopes: string[], tokenType: 'Bearer' | 'DPoP' = 'Bearer'): OktaRequest & { authInfo?: unknown } {
  const req = Object.assign(request({}), { authInfo: { scopes, tokenType, claims: {} } });
  rememberChallenge(req, settings);
  return req;
}

/** Runs the middleware: what it passed to next (undefined if it answered), and the response. */
function guard(middleware: ReturnType<typeof requireScopes>, req: OktaRequest & { authInfo?: unknown }) {
  const res = new ServerResponse(new IncomingMessage(new Socket()));
  let passed: { err: unknown } | undefined;
  middleware(req, res, (err?: unknown) => (passed = { err }));
  return { passed, res };
}

describe('requireScopes (bearer/scopes.ts, RFC 6750 §3.1)', () => {
  it('lets a request through when the token grants every scope asked, given as arguments or lists', () => {
    const middleware = requireScopes('orders:read', ['orders:write']);
    expect(guard(middleware, accepted(['openid', 'orders:write', 'orders:read'])).passed).to.deep.equal({ err: undefined });
  });

  it('answers 403 insufficient_scope naming all the scopes, on the scheme the token came with', () => {
    const { passed, res } = guard(requireScopes('orders:read', 'orders:write'), accepted(['orders:read'], 'DPoP'));
    expect(passed).to.equal(undefined);
    expect(res.statusCode).to.equal(403);
    expect(res.getHeader('www-authenticate')).to.equal(
      'Bearer, DPoP error="insufficient_scope", error_description="The access token does not grant the scopes this request needs", ' +
        'scope="orders:read orders:write", algs="ES256"',
    );
  });

  it('finds the strategy’s settings on the request even when authInfo was replaced by a copy', () => {
    const req = accepted(['orders:read']);
    req.authInfo = { ...(req.authInfo as object) };
    expect(guard(requireScopes('orders:read'), req).passed).to.deep.equal({ err: undefined });
  });

  it('reports a setup error when it does not come after the bearer strategy', () => {
    const bare = Object.assign(request({}), { authInfo: { scopes: ['orders:read'] } });
    const { passed } = guard(requireScopes('orders:read'), bare);
    expect(passed?.err)
      .to.be.instanceOf(ConfigurationError)
      .with.property('message')
      .that.contains("passport.authenticate('okta-bearer'");
    expect(
      guard(requireScopes('orders:read'), Object.assign(accepted([]), { authInfo: undefined })).passed?.err,
    ).to.be.instanceOf(ConfigurationError);
  });

  it('refuses no scope, or a scope that could not be written in the header', () => {
    for (const bad of [[], [''], ['orders read'], ['say"hi'], ['back\\slash'], [42 as unknown as string]]) {
      expect(() => requireScopes(...bad), JSON.stringify(bad)).to.throw(
        ConfigurationError,
        'requireScopes needs one or more scopes',
      );
    }
  });
});

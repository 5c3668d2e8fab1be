import { expect } from 'chai';
import { ConfigurationError } from '../../../lib/core/errors.js';
import type { OktaRequest } from '../../../lib/passport/request.js';
import { HostError, RedirectURIs } from '../../../lib/sign-in/redirect-uri.js';
import { request } from '../../support/passport.js';

const at = (host: string | undefined, extra: Record<string, string> = {}, protocol = 'https'): OktaRequest => {
  const req = request({ headers: extra, protocol });
  if (host === undefined) delete req.headers.host;
  else req.headers.host = host;
  return req;
};

describe('the redirect URI of a sign-in (sign-in/redirect-uri.ts)', () => {
  it('is an absolute callbackURL as it is, whatever the request', () => {
    const uris = new RedirectURIs('https://app.example/auth/okta/callback', ['other.example'], false);
    expect(uris.for(at('evil.example'))).to.equal('https://app.example/auth/okta/callback');
    expect(uris.for(at(undefined))).to.equal('https://app.example/auth/okta/callback');
  });

  it("resolves a path against the request's protocol and host", () => {
    const uris = new RedirectURIs('/auth/okta/callback', undefined, false);
    expect(uris.for(at('app.example:3000', {}, 'http'))).to.equal('http://app.example:3000/auth/okta/callback');
    expect(uris.for(at('other.example'))).to.equal('https://other.example/auth/okta/callback');
  });

  it('reads X-Forwarded-Proto and -Host only with trustProxy', () => {
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'public.example, inner.example' };
    expect(new RedirectURIs('/cb', undefined, true).for(at('internal:8080', forwarded, 'http'))).to.equal(
      'https://public.example/cb',
    );
    expect(new RedirectURIs('/cb', undefined, false).for(at('internal:8080', forwarded, 'http'))).to.equal(
      'http://internal:8080/cb',
    );
  });

  it('refuses a host allowedHosts does not list as the request’s fault, comparing without case', () => {
    const uris = new RedirectURIs('/cb', ['app.example'], false);
    expect(uris.for(at('APP.example'))).to.equal('https://app.example/cb');
    expect(() => uris.for(at('evil.example'))).to.throw(HostError, 'not among allowedHosts');
    expect(() => uris.for(at('app.example.evil.example'))).to.throw(HostError);
  });

  it('says what is wrong when a path cannot be resolved: no Host header', () => {
    expect(() => new RedirectURIs('/cb', undefined, false).for(at(undefined))).to.throw(
      ConfigurationError,
      'callbackURL is a path, but the request has no Host header to resolve it against',
    );
  });
});

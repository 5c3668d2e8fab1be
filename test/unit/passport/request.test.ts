import { expect } from 'chai';
import { absoluteURL, requestOrigin, requestPath, type OktaRequest } from '../../../lib/passport/request.js';
import { request } from '../../support/passport.js';

function req(
  init: { protocol?: string | undefined; headers?: Record<string, string | string[]>; encrypted?: boolean } = {},
): OktaRequest {
  const r = request({});
  r.headers = { host: 'app.example', ...init.headers };
  Object.assign(r, { protocol: init.protocol, socket: { encrypted: init.encrypted } });
  return r;
}

describe('request helpers (passport/request.ts)', () => {
  describe('requestOrigin', () => {
    it("takes Express's protocol, else the socket's, and the Host header", () => {
      expect(requestOrigin(req({ protocol: 'https' }))).to.deep.equal({ protocol: 'https', host: 'app.example' });
      expect(requestOrigin(req({ protocol: undefined, encrypted: true }))).to.deep.equal({
        protocol: 'https',
        host: 'app.example',
      });
      expect(requestOrigin(req({ protocol: undefined }))).to.deep.equal({ protocol: 'http', host: 'app.example' });
    });

    it('takes the first X-Forwarded-Proto and -Host only when trusting the proxy', () => {
      const forwarded = req({
        protocol: 'http',
        headers: { 'x-forwarded-proto': 'https, http', 'x-forwarded-host': ' public.example , inner' },
      });
      expect(requestOrigin(forwarded, true)).to.deep.equal({ protocol: 'https', host: 'public.example' });
      expect(requestOrigin(forwarded, false)).to.deep.equal({ protocol: 'http', host: 'app.example' });
      const listed = req({ protocol: 'http', headers: { 'x-forwarded-host': ['first.example', 'second.example'] } });
      expect(requestOrigin(listed, true).host).to.equal('first.example');
      const empty = req({ protocol: 'http', headers: { 'x-forwarded-proto': ' ', 'x-forwarded-host': '' } });
      expect(requestOrigin(empty, true), 'empty values fall back').to.deep.equal({ protocol: 'http', host: 'app.example' });
    });
  });

  it('absoluteURL: an absolute URL as it is, a path against the origin (localhost without a Host)', () => {
    expect(absoluteURL(req({ protocol: 'https' }), 'https://other.example/x')).to.equal('https://other.example/x');
    expect(absoluteURL(req({ protocol: 'https' }), '/auth/okta/callback')).to.equal('https://app.example/auth/okta/callback');
    const hostless = req({ protocol: 'http' });
    delete hostless.headers.host;
    expect(absoluteURL(hostless, '/cb')).to.equal('http://localhost/cb');
  });

  it('requestPath: the path as the app received it, before a router stripped its mount point', () => {
    expect(requestPath(request({ url: '/auth/okta/callback?code=c' }))).to.equal('/auth/okta/callback');
    const mounted = Object.assign(request({ url: '/callback?code=c' }), { originalUrl: '/auth/okta/callback?code=c' });
    expect(requestPath(mounted)).to.equal('/auth/okta/callback');
    expect(requestPath(Object.assign(request({}), { url: undefined }))).to.equal('/');
  });
});

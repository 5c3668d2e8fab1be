import { expect } from 'chai';
import { ConfigurationError } from '../../../lib/core/errors.js';
import { issuerMismatch, oktaEndpoints, parseOktaDomain } from '../../../lib/core/endpoints.js';

// The endpoint sets and the common oktaDomain mistakes are also checked through the
// constructors (test/unit/client/client.test.ts, test/e2e/newcomer-errors.test.ts,
// test/integration/real-okta-answers.test.ts); these pin what only this module says.

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigurationError);
    return (err as Error).message;
  }
  expect.fail('expected a ConfigurationError');
}

describe('Okta endpoints (core/endpoints.ts)', () => {
  describe('parseOktaDomain', () => {
    it('gives the origin, trimmed and lower-cased as URL parsing makes it', () => {
      expect(parseOktaDomain('  ACME.okta.com ')).to.equal('https://acme.okta.com');
      expect(parseOktaDomain('https://acme.okta.com:443')).to.equal('https://acme.okta.com');
      expect(parseOktaDomain('http://[::1]:8080')).to.equal('http://[::1]:8080');
    });

    it('when missing, says where the endpoints come from, worked out from an issuer if one was given', () => {
      expect(refusal(() => parseOktaDomain(undefined))).to.equal('oktaDomain is required, e.g. "https://acme.okta.com"');
      expect(refusal(() => parseOktaDomain('  ', 'https://acme.okta.com/oauth2/default'))).to.equal(
        'oktaDomain is required: the endpoints come from oktaDomain and authServerId (for this issuer: oktaDomain ' +
          '"https://acme.okta.com", authServerId "default"); issuer is needed only when tokens name another issuer ' +
          'than that (a custom URL domain)',
      );
      expect(refusal(() => parseOktaDomain(undefined, 'https://acme.okta.com'))).to.contain(
        '(for this issuer: oktaDomain "https://acme.okta.com");',
      );
      expect(refusal(() => parseOktaDomain(42, 'not a url'))).to.equal('oktaDomain is required, e.g. "https://acme.okta.com"');
    });

    it('refuses a path pointing at authServerId, and credentials, query or fragment as such', () => {
      expect(refusal(() => parseOktaDomain('https://acme.okta.com/oauth2/default'))).to.equal(
        'oktaDomain "https://acme.okta.com/oauth2/default" must be a bare domain such as "https://acme.okta.com" ' +
          '(no path, query or credentials); use the authServerId option for a custom authorization server',
      );
      for (const domain of ['https://user:pass@acme.okta.com', 'https://acme.okta.com?x=1', 'https://acme.okta.com#top']) {
        expect(
          refusal(() => parseOktaDomain(domain)),
          domain,
        ).to.contain('must be a bare domain');
      }
      expect(refusal(() => parseOktaDomain('https://acme okta.com'))).to.equal(
        'oktaDomain "https://acme okta.com" is not a valid host name or URL',
      );
    });
  });

  describe('oktaEndpoints', () => {
    it("builds a custom server's set under /oauth2/{id}/v1 and the org server's under /oauth2/v1", () => {
      const custom = oktaEndpoints('https://acme.okta.com', 'aus1a2b3c');
      expect(custom.issuer).to.equal('https://acme.okta.com/oauth2/aus1a2b3c');
      expect(custom.introspect).to.equal('https://acme.okta.com/oauth2/aus1a2b3c/v1/introspect');
      const org = oktaEndpoints('https://acme.okta.com');
      expect(org.issuer).to.equal('https://acme.okta.com');
      expect(Object.entries(org).filter(([name]) => name !== 'issuer')).to.deep.equal(
        ['authorize', 'token', 'keys', 'userinfo', 'revoke', 'logout', 'par', 'introspect'].map((name) => [
          name,
          `https://acme.okta.com/oauth2/v1/${name}`,
        ]),
      );
    });

    it('refuses an authServerId that is not an id: it would build other URLs', () => {
      for (const id of ['default/v1', '../admin', 'aus 1', '', 'default?x=1']) {
        expect(
          refusal(() => oktaEndpoints('https://acme.okta.com', id)),
          id,
        ).to.equal(`authServerId "${id}" must be an id such as "default" or "aus1a2b3c"`);
      }
    });

    it('expects the issuer option as iss, and keeps the endpoints under oktaDomain', () => {
      const endpoints = oktaEndpoints('https://login.example.com', 'default', 'https://acme.okta.com/oauth2/default');
      expect(endpoints.issuer).to.equal('https://acme.okta.com/oauth2/default');
      expect(endpoints.token).to.equal('https://login.example.com/oauth2/default/v1/token');
    });
  });

  describe('issuerMismatch', () => {
    const expected = 'https://acme.okta.com/oauth2/default';

    it('quotes both issuers and says how to fix it', () => {
      expect(issuerMismatch('https://login.example.com/oauth2/default', expected)).to.equal(
        "is 'https://login.example.com/oauth2/default', not the expected 'https://acme.okta.com/oauth2/default': " +
          "if Okta's Issuer setting for this authorization server is not the URL oktaDomain and authServerId make " +
          '(e.g. a custom URL domain), set the issuer option to the Issuer Okta shows',
      );
    });

    it('does not repeat a received iss that is missing, not a URL, too long, or would break a header', () => {
      expect(issuerMismatch(undefined, expected)).to.match(/^is missing, not the expected/);
      for (const received of [
        42,
        'acme',
        'javascript:alert(1)',
        `https://a.example/${'x'.repeat(200)}`,
        'https://a.example/"x',
        'https://a.example/\r\nSet-Cookie: x',
      ]) {
        const text = issuerMismatch(received, expected);
        expect(text, String(received)).to.match(/^is not a URL, not the expected/);
        expect(text).to.not.contain('"');
      }
    });
  });
});

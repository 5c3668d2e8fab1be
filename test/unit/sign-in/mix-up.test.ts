import { expect } from 'chai';
import { ConfigurationError } from '../../../lib/core/errors.js';
import type { OktaRequest } from '../../../lib/passport/request.js';
import { callbackKey, checkSiblings, registerClaim, wrongArrival, type CallbackClaim } from '../../../lib/sign-in/mix-up.js';
import { request } from '../../support/passport.js';

// The guard over HTTP, with real Passport and strategies, is in test/security/mix-up.test.ts
// and test/security/hardening.test.ts. The claims made here use callback paths under
// /unit-mix-up/ that no other test uses: the guard's list of live strategies is the
// process's, and must not make another file's strategies conflict.

const A = 'https://acme.okta.com/oauth2/default';
const B = 'https://acme.okta.com/oauth2/aus-other';

let made = 0;
/** A strategy object with its claim on `callback`, as an OktaStrategy registers itself. */
function strategy(callback: string, issuer: string, requireIss = false): { object: object; claim: CallbackClaim } {
  const object = { name: `s${++made}` };
  const claim = { callback, key: callbackKey(callback), strategy: object.name, issuer, requireIss };
  registerClaim(object, claim);
  return { object, claim };
}

/** A request that Passport (with initialize()) runs, its registry holding `strategies`. */
const withRegistry = (registry: Record<string, unknown>): OktaRequest =>
  Object.assign(request({}), { _passport: { instance: { _strategies: registry } } });

function conflict(req: OktaRequest, claim: CallbackClaim): string | undefined {
  try {
    checkSiblings(req, claim);
    return undefined;
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigurationError);
    return (err as Error).message;
  }
}

describe('the mix-up guard (sign-in/mix-up.ts)', () => {
  describe('callbackKey: one callback, however it is spelled', () => {
    it('compares paths as routers do: case, trailing slash, origin, query, dot segments', () => {
      const spellings = [
        '/unit-mix-up/callback',
        '/Unit-Mix-Up/Callback/',
        'https://app.example:443/unit-mix-up/callback',
        'http://localhost:3000/unit-mix-up/callback?from=okta#top',
        '/unit-mix-up/./x/../callback',
      ];
      expect(new Set(spellings.map(callbackKey))).to.deep.equal(new Set(['/unit-mix-up/callback']));
      expect(callbackKey('/unit-mix-up/a b')).to.equal(callbackKey('/unit-mix-up/a%20b'));
      expect(callbackKey('/')).to.equal('/');
      expect(callbackKey('https://app.example')).to.equal('/');
      expect(callbackKey('/unit-mix-up/callback2')).to.not.equal(callbackKey('/unit-mix-up/callback'));
    });
  });

  describe('checkSiblings, with the registry of the Passport instance', () => {
    it('refuses both strategies of two authorization servers that share a callback, naming both', () => {
      const first = strategy('/unit-mix-up/shared', A);
      const second = strategy('https://app.example/Unit-Mix-Up/Shared/', B);
      const req = withRegistry({ okta: first.object, other: second.object, session: { name: 'session' } });
      const message = conflict(req, first.claim);
      expect(message).to.equal(
        `Strategies "${first.claim.strategy}" and "${second.claim.strategy}" finish sign-ins of different Okta authorization ` +
          `servers (${A} and ${B}) at the same callback path /unit-mix-up/shared (callbackURL "/unit-mix-up/shared" and ` +
          '"https://app.example/Unit-Mix-Up/Shared/"): a callback could not tell which server issued its code (mix-up attack). ' +
          'Give each strategy a callbackURL with a path of its own, or set requireIss: true on both if both servers send iss in the callback.',
      );
      expect(conflict(req, second.claim)).to.equal(message);
    });

    it('lets strategies of one issuer share a callback, and two of different issuers when both require iss', () => {
      const same = [strategy('/unit-mix-up/same', A), strategy('/unit-mix-up/same', A)];
      expect(conflict(withRegistry({ a: same[0]!.object, b: same[1]!.object }), same[0]!.claim)).to.equal(undefined);
      const both = [strategy('/unit-mix-up/iss', A, true), strategy('/unit-mix-up/iss', B, true)];
      expect(conflict(withRegistry({ a: both[0]!.object, b: both[1]!.object }), both[1]!.claim)).to.equal(undefined);
      const one = [strategy('/unit-mix-up/iss-one', A, true), strategy('/unit-mix-up/iss-one', B, false)];
      expect(conflict(withRegistry({ a: one[0]!.object, b: one[1]!.object }), one[0]!.claim)).to.match(
        /requireIss: true on both/,
      );
    });

    it('ignores strategies that are not in this instance’s registry, and sees the registry change', () => {
      const mine = strategy('/unit-mix-up/changing', A);
      const theirs = strategy('/unit-mix-up/changing', B);
      const registry: Record<string, unknown> = { mine: mine.object };
      const req = withRegistry(registry);
      expect(conflict(req, mine.claim), 'the other one is live, but in no registry of this instance').to.equal(undefined);
      registry.theirs = theirs.object;
      expect(conflict(req, mine.claim)).to.match(/mix-up attack/);
      delete registry.theirs;
      expect(conflict(req, mine.claim)).to.equal(undefined);
    });
  });

  describe('checkSiblings, without a registry (passport >= 0.6 without initialize())', () => {
    const served = (manager: object): OktaRequest => Object.assign(request({}), { _sessionManager: manager });

    it('counts the strategies that served this session manager or none yet, and asks for passport.initialize()', () => {
      const appOne = {};
      const appTwo = {};
      const mine = strategy('/unit-mix-up/live', A);
      const other = strategy('/unit-mix-up/live', B);
      expect(conflict(served(appOne), mine.claim), 'the other one served no request yet: it may be this app’s').to.match(
        /add app\.use\(passport\.initialize\(\)\)/,
      );
      expect(conflict(served(appTwo), other.claim), 'mine served another app: not a sibling').to.equal(undefined);
      expect(conflict(served(appOne), mine.claim), 'now known to be another app’s').to.equal(undefined);
    });

    it('does not check a strategy run outside Passport', () => {
      const mine = strategy('/unit-mix-up/bare', A);
      strategy('/unit-mix-up/bare', B);
      expect(conflict(request({}), mine.claim)).to.equal(undefined);
    });
  });

  describe('wrongArrival (RFC 9700 §4.4.2)', () => {
    const arriving = (url: string, headers: Record<string, string> = {}): OktaRequest => request({ url, headers });

    it('accepts a callback at the path of its redirect URI, however spelled', () => {
      expect(
        wrongArrival(arriving('/Unit-Mix-Up/Callback/?code=c&state=s'), 'https://app.example/unit-mix-up/callback', false),
      ).to.equal(undefined);
      const mounted = Object.assign(arriving('/callback?code=c'), { originalUrl: '/unit-mix-up/callback?code=c' });
      expect(
        wrongArrival(mounted, 'https://app.example/unit-mix-up/callback', false),
        'the path before a router stripped its mount',
      ).to.equal(undefined);
    });

    it('refuses one that arrived elsewhere, naming both paths', () => {
      expect(wrongArrival(arriving('/unit-mix-up/other?code=c'), 'https://app.example/unit-mix-up/callback', false)).to.equal(
        'The sign-in response arrived at /unit-mix-up/other, but this sign-in was started for the callback /unit-mix-up/callback: ' +
          'it is refused (mix-up defence, RFC 9700 §4.4.2). Finish each sign-in at its own callbackURL with its own strategy.',
      );
    });

    it('puts back the prefix a trusted proxy stripped (X-Forwarded-Prefix), and only from a trusted proxy', () => {
      const req = arriving('/callback?code=c', { 'x-forwarded-prefix': '/unit-mix-up/' });
      expect(wrongArrival(req, 'https://app.example/unit-mix-up/callback', true)).to.equal(undefined);
      expect(wrongArrival(req, 'https://app.example/unit-mix-up/callback', false)).to.match(/arrived at \/callback,/);
      const relative = arriving('/callback?code=c', { 'x-forwarded-prefix': 'unit-mix-up' });
      expect(wrongArrival(relative, 'https://app.example/unit-mix-up/callback', true), 'a prefix must be a path').to.match(
        /arrived at/,
      );
    });
  });
});

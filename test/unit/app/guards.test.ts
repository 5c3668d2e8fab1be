import { expect } from 'chai';
import type { IncomingHttpHeaders } from 'node:http';
import {
  decideAcr,
  decideClaims,
  decideGroups,
  decideSignIn,
  decideSilent,
  STEP_UP_GRACE_MS,
  type GuardContext,
  type OktaGuardDecision,
} from '../../../lib/app/guards.js';
import { refusalAnswer } from '../../../lib/app/answers.js';
import { readRecord, recordOf, RECORD_KEY, type SignInRecord } from '../../../lib/app/session-record.js';
import type { OktaRequest } from '../../../lib/passport/request.js';

// Each guard's decision table: who asks (anonymous, signed in, signed in but short of what
// the page needs) × how (a browser's navigation, a JSON or script request, a POST).

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const T0 = Date.UTC(2026, 11, 6, 12);

interface FakeRequest {
  method?: string;
  url?: string;
  headers?: IncomingHttpHeaders;
  user?: unknown;
  record?: SignInRecord;
}

function request({
  method = 'GET',
  url = '/reports?year=2026',
  headers = { accept: HTML },
  user,
  record,
}: FakeRequest = {}): OktaRequest {
  const session: Record<string, unknown> = {};
  if (record) session[RECORD_KEY] = record;
  return { method, url, originalUrl: url, headers, session, user, protocol: 'http' } as unknown as OktaRequest;
}

const KINDS: Record<string, FakeRequest> = {
  'an HTML navigation': {},
  'a HEAD of a page': { method: 'HEAD' },
  'a JSON GET': { headers: { accept: 'application/json' } },
  'a GET accepting anything (curl)': { headers: { accept: '*/*' } },
  'an XHR': { headers: { accept: HTML, 'x-requested-with': 'XMLHttpRequest' } },
  "a browser's fetch()": { headers: { accept: HTML, 'sec-fetch-mode': 'cors' } },
  'a POST of a form': { method: 'POST', headers: { accept: HTML } },
  'a DELETE': { method: 'DELETE', headers: { accept: 'application/json' } },
};
const NAVIGATIONS = ['an HTML navigation', 'a HEAD of a page'];

function context(overrides: Partial<GuardContext> = {}): GuardContext & { warnings: number } {
  const ctx = {
    warnings: 0,
    now: () => T0,
    defaultReturnTo: '/',
    markerCookie: 'okta_silent',
    markerMaxAge: undefined,
    absoluteLifetime: undefined,
    quietPaths: ['/auth/okta/callback', '/login-failed'],
    warnNoRecord: () => {
      ctx.warnings++;
    },
    ...overrides,
  };
  return ctx;
}

function aliceRecord(claims: Record<string, unknown> = {}): SignInRecord {
  return recordOf(
    {
      iss: 'https://acme.okta.com/oauth2/default',
      sub: '00u1alice',
      auth_time: T0 / 1000 - 600,
      acr: 'urn:okta:loa:1fa:pwd',
      groups: ['Everyone', 'Finance'],
      department: 'Finance',
      ...claims,
    },
    T0 - 600_000,
  );
}

const ALICE = { id: '00u1alice' };

function signIn(decision: OktaGuardDecision): Extract<OktaGuardDecision, { kind: 'sign-in' }> {
  expect(decision.kind, JSON.stringify(decision)).to.equal('sign-in');
  return decision as Extract<OktaGuardDecision, { kind: 'sign-in' }>;
}

function refused(decision: OktaGuardDecision, status: number, reason: string): void {
  expect(decision.kind, JSON.stringify(decision)).to.equal('refuse');
  const { refusal } = decision as Extract<OktaGuardDecision, { kind: 'refuse' }>;
  expect([refusal.status, refusal.reason]).to.deep.equal([status, reason]);
}

describe('unit: app/guards', () => {
  describe('requireSignIn', () => {
    for (const [kind, shape] of Object.entries(KINDS)) {
      const navigation = NAVIGATIONS.includes(kind);
      it(`anonymous, ${kind}: ${navigation ? 'starts a sign-in that returns to the page' : '401, never a redirect'}`, () => {
        const decision = decideSignIn(context(), request(shape));
        if (!navigation) return refused(decision, 401, 'sign_in_required');
        const start = signIn(decision);
        expect(start.options.state).to.deep.equal({ returnTo: '/reports?year=2026' });
        expect(start.cookies).to.have.length(1);
        expect(start.cookies[0]).to.match(/^okta_silent=1; Path=\/; HttpOnly; SameSite=Lax$/);
      });
      it(`signed in, ${kind}: passes`, () => {
        expect(decideSignIn(context(), request({ ...shape, user: ALICE })).kind).to.equal('pass');
      });
    }

    const attempts = [
      '//evil.example/x',
      '/\\evil.example',
      '/\\/evil.example',
      'https://evil.example/',
      '/./\\evil.example',
      '/%0d%0aSet-Cookie:x=1',
      `/${'a'.repeat(1100)}`,
    ];
    for (const url of attempts) {
      it(`returns to the default page, never elsewhere, from ${JSON.stringify(url.slice(0, 30))}`, () => {
        const start = signIn(decideSignIn(context({ defaultReturnTo: '/home' }), request({ url })));
        const { returnTo } = start.options.state;
        expect(returnTo.startsWith('/') && !returnTo.startsWith('//') && !returnTo.includes('\\')).to.equal(true);
        expect(new URL(returnTo, 'http://app.example').origin).to.equal('http://app.example');
        expect(returnTo).to.not.include('\n');
      });
    }

    it('asks for max_age within the absolute session lifetime, so that Okta authenticates again rather than loop', () => {
      // A minute short of the lifetime (a quarter of a short one).
      expect(signIn(decideSignIn(context({ absoluteLifetime: 28_800 }), request())).options.maxAge).to.equal(28_740);
      expect(signIn(decideSignIn(context({ absoluteLifetime: 3 }), request())).options.maxAge).to.equal(2);
      const acr = decideAcr(context({ absoluteLifetime: 28_800 }), request(), 'urn:okta:loa:2fa:any', 900);
      expect(signIn(acr).options.maxAge).to.equal(900);
      expect(signIn(decideSilent(context({ absoluteLifetime: 600 }), request())).options).to.deep.include({
        prompt: 'none',
        maxAge: 540,
      });
    });

    it('marks the cookie Secure on https', () => {
      const req = request();
      (req as { protocol?: string }).protocol = 'https';
      expect(signIn(decideSignIn(context(), req)).cookies[0]).to.include('Secure');
    });
  });

  describe('requireGroups', () => {
    for (const [kind, shape] of Object.entries(KINDS)) {
      const navigation = NAVIGATIONS.includes(kind);
      it(`anonymous, ${kind}: as requireSignIn (${navigation ? 'sign-in' : '401'})`, () => {
        const decision = decideGroups(context(), request(shape), ['Admins'], false);
        if (navigation) signIn(decision);
        else refused(decision, 401, 'sign_in_required');
      });
      it(`signed in and in the group, ${kind}: passes`, () => {
        expect(
          decideGroups(context(), request({ ...shape, user: ALICE, record: aliceRecord() }), ['Admins', 'Finance'], false).kind,
        ).to.equal('pass');
      });
      it(`signed in without the group, ${kind}: 403, never a new sign-in`, () => {
        refused(
          decideGroups(context(), request({ ...shape, user: ALICE, record: aliceRecord() }), ['Admins'], false),
          403,
          'missing_group',
        );
      });
    }

    it('with all: needs each group', () => {
      const req = (): OktaRequest => request({ user: ALICE, record: aliceRecord() });
      expect(decideGroups(context(), req(), ['Everyone', 'Finance'], true).kind).to.equal('pass');
      refused(decideGroups(context(), req(), ['Everyone', 'Admins'], true), 403, 'missing_group');
    });

    it('reads another claim when the authorization server names it otherwise', () => {
      const req = request({ user: ALICE, record: aliceRecord({ GroupsClaim: ['Admins'] }) });
      expect(decideGroups(context(), req, ['Admins'], false, 'GroupsClaim').kind).to.equal('pass');
      refused(decideGroups(context(), req, ['Admins'], false), 403, 'missing_group');
    });

    it('reads a missing or malformed groups claim as no group', () => {
      refused(
        decideGroups(context(), request({ user: ALICE, record: aliceRecord({ groups: undefined }) }), ['Everyone'], false),
        403,
        'missing_group',
      );
      refused(
        decideGroups(context(), request({ user: ALICE, record: aliceRecord({ groups: 'Everyone' }) }), ['Everyone'], false),
        403,
        'missing_group',
      );
      refused(
        decideGroups(context(), request({ user: ALICE, record: aliceRecord({ groups: [1, null] }) }), ['1'], false),
        403,
        'missing_group',
      );
    });

    it('refuses (403) a user signed in without a sign-in record, and warns', () => {
      const ctx = context();
      refused(decideGroups(ctx, request({ user: ALICE }), ['Everyone'], false), 403, 'no_sign_in_record');
      expect(ctx.warnings).to.equal(1);
    });
  });

  describe('requireClaims', () => {
    const req = (): OktaRequest => request({ user: ALICE, record: aliceRecord() });
    it('an object: each claim must equal the value, a list claim must include it', () => {
      expect(decideClaims(context(), req(), { department: 'Finance' }).kind).to.equal('pass');
      expect(decideClaims(context(), req(), { groups: ['Everyone', 'Finance'] }).kind).to.equal('pass');
      refused(decideClaims(context(), req(), { department: 'Sales' }), 403, 'missing_claim');
      refused(decideClaims(context(), req(), { groups: ['Finance', 'Admins'] }), 403, 'missing_claim');
      refused(decideClaims(context(), req(), { employeeNumber: '7' }), 403, 'missing_claim');
    });
    it('a predicate: only true passes', () => {
      expect(decideClaims(context(), req(), (claims) => claims.department === 'Finance').kind).to.equal('pass');
      refused(
        decideClaims(context(), req(), () => 'yes' as unknown as boolean),
        403,
        'missing_claim',
      );
    });
    it('anonymous JSON: 401, anonymous page: sign-in', () => {
      refused(decideClaims(context(), request(KINDS['a JSON GET']), { department: 'Finance' }), 401, 'sign_in_required');
      signIn(decideClaims(context(), request(), { department: 'Finance' }));
    });
  });

  describe('requireAcr', () => {
    const TWO_FA = 'urn:okta:loa:2fa:any';
    it('anonymous page: one sign-in asking for the class and max_age', () => {
      const start = signIn(decideAcr(context(), request(), TWO_FA, 300));
      expect(start.options).to.deep.include({ acrValues: TWO_FA, maxAge: 300 });
    });
    it('a sign-in of the class (or a stronger one), recent enough: passes', () => {
      expect(decideAcr(context(), request({ user: ALICE, record: aliceRecord({ acr: TWO_FA }) }), TWO_FA, 900).kind).to.equal(
        'pass',
      );
      expect(
        decideAcr(context(), request({ user: ALICE, record: aliceRecord({ acr: 'phr' }) }), TWO_FA, undefined).kind,
      ).to.equal('pass');
    });
    it('a weaker class, on a page: a step-up, noted in the record', () => {
      const req = request({ user: ALICE, record: aliceRecord() });
      const start = signIn(decideAcr(context(), req, TWO_FA, undefined));
      expect(start.options).to.deep.equal({ state: { returnTo: '/reports?year=2026', stepUp: TWO_FA }, acrValues: TWO_FA });
      expect(readRecord(req)?.stepUp).to.deep.equal({ acr: TWO_FA, startedAt: T0 });
    });
    it('too old for maxAge: a step-up with max_age', () => {
      const req = request({ user: ALICE, record: aliceRecord({ acr: TWO_FA }) });
      expect(signIn(decideAcr(context(), req, TWO_FA, 60)).options.maxAge).to.equal(60);
    });
    for (const kind of ['a JSON GET', 'a POST of a form', 'an XHR']) {
      it(`a weaker class, ${kind}: 401 with what would meet it, never a redirect`, () => {
        const decision = decideAcr(context(), request({ ...KINDS[kind], user: ALICE, record: aliceRecord() }), TWO_FA, 60);
        refused(decision, 401, 'step_up_required');
        expect((decision as { refusal: { acrValues: string; maxAge: number } }).refusal).to.deep.include({
          acrValues: TWO_FA,
          maxAge: 60,
        });
      });
    }
    it('still short right after a completed step-up: 403, not another trip to Okta; later, a new step-up', () => {
      const record = { ...aliceRecord(), stepUp: { acr: TWO_FA, startedAt: T0 - 5000, completedAt: T0 - 1000 } };
      refused(decideAcr(context(), request({ user: ALICE, record }), TWO_FA, 0), 403, 'step_up_failed');
      const later = context({ now: () => T0 - 1000 + STEP_UP_GRACE_MS + 1 });
      signIn(decideAcr(later, request({ user: ALICE, record }), TWO_FA, 0));
    });
  });

  describe('silentSignIn', () => {
    it('anonymous page without the marker: one prompt=none attempt, marked', () => {
      const start = signIn(decideSilent(context(), request()));
      expect(start.options).to.deep.equal({ state: { returnTo: '/reports?year=2026', silent: true }, prompt: 'none' });
      expect(start.cookies[0]).to.match(/^okta_silent=1;/);
    });
    const passes: Record<string, FakeRequest> = {
      'a browser that has the marker': { headers: { accept: HTML, cookie: 'sid=abc; okta_silent=1' } },
      'a signed-in user': { user: ALICE },
      'a POST': KINDS['a POST of a form']!,
      'a JSON GET': KINDS['a JSON GET']!,
      "a browser's fetch()": KINDS["a browser's fetch()"]!,
      'the callback': { url: '/auth/okta/callback?error=login_required&state=x' },
      'the failure page': { url: '/login-failed' },
    };
    for (const [what, shape] of Object.entries(passes)) {
      it(`never for ${what}`, () => {
        expect(decideSilent(context(), request(shape)).kind).to.equal('pass');
      });
    }
    it('a marker with Max-Age when configured', () => {
      expect(signIn(decideSilent(context({ markerMaxAge: 600 }), request())).cookies[0]).to.include('Max-Age=600');
    });
  });

  describe('the answers to refusals', () => {
    it('a page for a navigation, JSON for anything else; never cached', () => {
      const refusal = { status: 403, reason: 'missing_group', message: 'No <b>access</b>' } as const;
      const page = refusalAnswer(request(), refusal);
      expect(page.headers['Content-Type']).to.match(/^text\/html/);
      expect(page.body).to.include('No &#60;b&#62;access&#60;/b&#62;').and.not.include('<b>');
      const json = refusalAnswer(request(KINDS['a JSON GET']), refusal);
      expect(json.status).to.equal(403);
      expect(JSON.parse(json.body)).to.deep.equal({ error: 'missing_group', message: 'No <b>access</b>' });
      for (const answer of [page, json]) expect(answer.headers['Cache-Control']).to.equal('no-store');
    });
  });
});

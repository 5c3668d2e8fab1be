import { expect } from 'chai';
import { readRecord, recordOf, RECORD_KEY, type SignInRecord } from '../../../lib/app/session-record.js';
import { settleSignIn, type OktaSignInSettlement, type SettleContext } from '../../../lib/app/sign-in-result.js';
import { IdTokenError, ResponseError } from '../../../lib/core/errors.js';
import type { OktaRequest } from '../../../lib/passport/request.js';

const T0 = Date.UTC(2026, 11, 6, 12);
const ISS = 'https://acme.okta.com/oauth2/default';
const TWO_FA = 'urn:okta:loa:2fa:any';

function context(overrides: Partial<SettleContext> = {}): SettleContext {
  return {
    now: () => T0,
    defaultReturnTo: '/',
    markerCookie: 'okta_silent',
    markerMaxAge: undefined,
    absoluteLifetime: undefined,
    quietPaths: [],
    failureRedirect: undefined,
    warnNoRecord: () => undefined,
    ...overrides,
  };
}

function callbackRequest(user?: unknown, record?: SignInRecord): OktaRequest & { session: Record<string, unknown> } {
  const session: Record<string, unknown> = {};
  if (record) session[RECORD_KEY] = record;
  const headers = { accept: 'text/html' };
  return { method: 'GET', url: '/auth/okta/callback?code=x&state=y', headers, session, user } as never;
}

const aliceClaims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  iss: ISS,
  sub: '00u1alice',
  auth_time: T0 / 1000 - 5,
  acr: TWO_FA,
  nonce: 'n-0123',
  groups: ['Everyone'],
  ...extra,
});

function answer(outcome: OktaSignInSettlement): { status: number; headers: Record<string, unknown>; body: string } {
  expect(outcome.kind, JSON.stringify(outcome)).to.equal('answer');
  return (outcome as Extract<OktaSignInSettlement, { kind: 'answer' }>).answer;
}

function logIn(outcome: OktaSignInSettlement): Extract<OktaSignInSettlement, { kind: 'log-in' }> {
  expect(outcome.kind, JSON.stringify(outcome)).to.equal('log-in');
  return outcome as Extract<OktaSignInSettlement, { kind: 'log-in' }>;
}

describe('unit: app/sign-in-result', () => {
  it('a sign-in: logs the user in, keeps the record (without the ID token checks), returns to the page, marks the browser', () => {
    const req = callbackRequest();
    const outcome = logIn(
      settleSignIn(context(), req, null, { id: 'alice' }, { state: { returnTo: '/reports?y=1' }, claims: aliceClaims() }),
    );
    expect(outcome.user).to.deep.equal({ id: 'alice' });
    const sent = outcome.finish(req);
    expect([sent.status, sent.headers.Location]).to.deep.equal([302, '/reports?y=1']);
    expect(sent.headers['Set-Cookie']).to.have.length(1);
    const record = readRecord(req)!;
    expect(record).to.deep.include({
      iss: ISS,
      sub: '00u1alice',
      acr: TWO_FA,
      signedInAt: T0,
      lastSeenAt: T0,
      authTime: T0 / 1000 - 5,
    });
    expect(record.claims).to.not.have.property('nonce');
    expect(record.claims.groups).to.deep.equal(['Everyone']);
  });

  for (const returnTo of ['https://evil.example/', '//evil.example', '/\\evil.example', 42]) {
    it(`returns to the default page from a state naming ${JSON.stringify(returnTo)}`, () => {
      const req = callbackRequest();
      const outcome = logIn(
        settleSignIn(context({ defaultReturnTo: '/home' }), req, null, {}, { state: { returnTo }, claims: aliceClaims() }),
      );
      expect(outcome.finish(req).headers.Location).to.equal('/home');
    });
  }

  for (const error of ['login_required', 'consent_required', 'interaction_required']) {
    it(`a silent attempt Okta answers ${error}: back to the page, quietly, still anonymous`, () => {
      const challenge = { message: error, error, state: { returnTo: '/news', silent: true } };
      const sent = answer(
        settleSignIn(context({ failureRedirect: '/login-failed' }), callbackRequest(), null, false, challenge, 403),
      );
      expect([sent.status, sent.headers.Location]).to.deep.equal([302, '/news']);
    });
  }

  describe('a step-up', () => {
    const before = (): SignInRecord => ({
      ...recordOf({ iss: ISS, sub: '00u1alice', acr: 'urn:okta:loa:1fa:pwd', auth_time: T0 / 1000 - 3600 }, T0 - 3_600_000),
      stepUp: { acr: TWO_FA, startedAt: T0 - 20_000 },
    });

    it('of the same user: logged in again, the record updated, its sign-in time kept, the step-up noted', () => {
      const req = callbackRequest({ id: 'alice' }, before());
      const info = { state: { returnTo: '/admin', stepUp: TWO_FA }, claims: aliceClaims() };
      const outcome = logIn(settleSignIn(context(), req, null, { id: 'alice' }, info));
      expect(outcome.finish(req).headers.Location).to.equal('/admin');
      const record = readRecord(req)!;
      expect(record).to.deep.include({ acr: TWO_FA, authTime: T0 / 1000 - 5, signedInAt: T0 - 3_600_000 });
      expect(record.stepUp).to.deep.equal({ acr: TWO_FA, startedAt: T0 - 20_000, completedAt: T0 });
    });

    it('that came back as another user: 403, and the session stays as it was', () => {
      const req = callbackRequest({ id: 'alice' }, before());
      const info = { state: { returnTo: '/admin', stepUp: TWO_FA }, claims: aliceClaims({ sub: '00u2mallory' }) };
      const sent = answer(settleSignIn(context(), req, null, { id: 'mallory' }, info));
      expect(sent.status).to.equal(403);
      expect(sent.body).to.include('another user');
      expect(readRecord(req)).to.deep.include({ sub: '00u1alice', acr: 'urn:okta:loa:1fa:pwd' });
    });

    it('that Okta could not meet (unmet_authentication_requirements): a 403 page saying so, ready for another try', () => {
      const req = callbackRequest({ id: 'alice' }, before());
      const challenge = {
        message: 'Unable to meet',
        error: 'unmet_authentication_requirements',
        state: { returnTo: '/admin', stepUp: TWO_FA },
      };
      const sent = answer(settleSignIn(context({ failureRedirect: '/login-failed' }), req, null, false, challenge, 403));
      expect(sent.status).to.equal(403);
      expect(sent.headers['Content-Type']).to.match(/^text\/html/);
      expect(sent.body).to.include('second factor');
      expect(readRecord(req)!.stepUp).to.equal(undefined);
    });

    it("whose ID token's acr or auth_time fell short: a 403 page, not an error", () => {
      for (const claim of ['acr', 'auth_time']) {
        const req = callbackRequest({ id: 'alice' }, before());
        const sent = answer(settleSignIn(context(), req, new IdTokenError(claim, 'is short'), undefined, undefined));
        expect(sent.status).to.equal(403);
      }
    });
  });

  it('an auth_time already past the absolute lifetime (a wrong clock): a 403 page rather than a session that ends at once', () => {
    const ctx = context({ absoluteLifetime: 3600 });
    const old = aliceClaims({ auth_time: T0 / 1000 - 3600 });
    const sent = answer(settleSignIn(ctx, callbackRequest(), null, { id: 'alice' }, { state: { returnTo: '/r' }, claims: old }));
    expect(sent.status).to.equal(403);
    expect(sent.body).to.include('clock');
    const silent = answer(
      settleSignIn(ctx, callbackRequest(), null, { id: 'alice' }, { state: { returnTo: '/r', silent: true }, claims: old }),
    );
    expect([silent.status, silent.headers.Location]).to.deep.equal([302, '/r']);
    const fresh = aliceClaims({ auth_time: T0 / 1000 - 3599 });
    expect(settleSignIn(ctx, callbackRequest(), null, { id: 'alice' }, { state: {}, claims: fresh }).kind).to.equal('log-in');
  });

  it('any other error goes to the error handler', () => {
    const err = new ResponseError('token endpoint', 503, undefined);
    expect(settleSignIn(context(), callbackRequest(), err, undefined, undefined)).to.deep.equal({ kind: 'error', error: err });
    const idTokenError = new IdTokenError('acr', 'is short');
    expect(settleSignIn(context(), callbackRequest(), idTokenError, undefined, undefined).kind).to.equal('error');
  });

  it('a failure goes to failureRedirect with its message in the session, as Passport does', () => {
    const req = callbackRequest();
    req.session.messages = ['earlier'];
    const challenge = { message: 'User is not assigned to the client application.', error: 'access_denied' };
    const sent = answer(settleSignIn(context({ failureRedirect: '/login-failed' }), req, null, false, challenge, 403));
    expect([sent.status, sent.headers.Location]).to.deep.equal([302, '/login-failed']);
    expect(req.session.messages).to.deep.equal(['earlier', 'User is not assigned to the client application.']);
  });

  it('without failureRedirect, a failure gets a page with its status and the escaped message', () => {
    const sent = answer(settleSignIn(context(), callbackRequest(), null, false, { message: 'No <script>' }, 400));
    expect(sent.status).to.equal(400);
    expect(sent.body).to.include('No &#60;script&#62;');
  });
});

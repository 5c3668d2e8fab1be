import { expect } from 'chai';
import fc from 'fast-check';
import type { OktaStrategy } from '../../lib/index.js';
import { describeOutcome, makeStrategy, sleep, startSignIn, type Session, type TestUser } from '../support/hostile-harness.js';
import { CLIENT_ID, HostileOkta, type Behaviour, type Forgery } from '../support/hostile-okta.js';
import { request, track, type Outcome, type Tracked } from '../support/passport.js';
import { expectNoLeak } from '../support/secret-leaks.js';

/**
 * Property-based tests over what reaches the callback: random query strings and form
 * bodies, random token responses, random ID token claims. Whatever arrives, the strategy
 * must not throw out of `authenticate`, must report exactly one outcome, and must call
 * `success` only for this browser's own state and code and a valid token response.
 */

// Placeholders the generators use for values only known once a sign-in has started.
const STATE = Symbol('state');
const CODE = Symbol('code');
const NONCE = Symbol('nonce');
const ISSUER = Symbol('issuer');
const OTHER_STATE = Symbol('another sign-in state');
const OTHER_CODE = Symbol('another sign-in code');
type Placeholder = typeof STATE | typeof CODE | typeof NONCE | typeof ISSUER | typeof OTHER_STATE | typeof OTHER_CODE;

interface Live {
  state: string;
  code: string;
  nonce: string;
  issuer: string;
  otherState: string;
  otherCode: string;
}

function resolve(value: unknown, live: Live): unknown {
  switch (value) {
    case STATE:
      return live.state;
    case CODE:
      return live.code;
    case NONCE:
      return live.nonce;
    case ISSUER:
      return live.issuer;
    case OTHER_STATE:
      return live.otherState;
    case OTHER_CODE:
      return live.otherCode;
  }
  if (Array.isArray(value)) return value.map((v) => resolve(v, live));
  return value;
}

const junk = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constant(''),
  fc.string({ minLength: 4097, maxLength: 4200 }),
  fc.array(fc.string({ maxLength: 8 }), { minLength: 2, maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
  fc.integer(),
  fc.constant(null),
  fc.boolean(),
);
const paramValue = fc.oneof(
  { arbitrary: fc.constantFrom<Placeholder>(OTHER_STATE, OTHER_CODE, ISSUER), weight: 1 },
  { arbitrary: fc.array(fc.constantFrom<Placeholder>(STATE, CODE), { minLength: 2, maxLength: 2 }), weight: 1 },
  { arbitrary: junk, weight: 3 },
);
/** Absent (`undefined`) or present; the right value or a wrong one: all four come up often. */
const param = <T>(right: fc.Arbitrary<T>, presentWeight: number): fc.Arbitrary<unknown> =>
  fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 4 - presentWeight },
    { arbitrary: right, weight: presentWeight },
    { arbitrary: paramValue, weight: 1 },
  );
const CALLBACK_NAMES = ['code', 'state', 'error', 'error_description', 'error_uri', 'iss'] as const;
const EXTRA_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'session_state', 'response_mode', 'foo'];
const params = fc.record({
  code: param(fc.constant(CODE), 3),
  state: param(fc.constant(STATE), 3),
  error: param(fc.constantFrom('access_denied', 'login_required', 'invalid_scope', 'server_error'), 1),
  error_description: param(fc.string({ maxLength: 40 }), 1),
  error_uri: param(fc.constant('https://errors.example/'), 1),
  iss: param(fc.constant(ISSUER), 1),
  extra: fc.array(fc.tuple(fc.constantFrom(...EXTRA_NAMES), junk), { maxLength: 3 }),
});
const callbackShape = fc.record({
  method: fc.constantFrom('GET', 'GET', 'POST', 'HEAD', 'PUT'),
  params,
  /** Where the params go: the query string, the body, or both (and what the other one holds). */
  placement: fc.constantFrom('query', 'body', 'both'),
  otherBody: fc.oneof(fc.constant(undefined), fc.constant({}), fc.string({ maxLength: 10 }), fc.constant(null)),
  nullPrototype: fc.boolean(),
});
type CallbackShape = typeof callbackShape extends fc.Arbitrary<infer T> ? T : never;

function buildParams(shape: CallbackShape, live: Live): Record<string, unknown> {
  const entries: Array<[string, unknown]> = [];
  for (const name of CALLBACK_NAMES) {
    if (shape.params[name] !== undefined) entries.push([name, resolve(shape.params[name], live)]);
  }
  for (const [name, value] of shape.params.extra) entries.push([name, value]);
  const object = Object.fromEntries(entries);
  return shape.nullPrototype ? Object.assign(Object.create(null) as object, object) : object;
}

/** The only callbacks that may sign in: this browser's state and code, no error, no foreign iss. */
function genuine(shape: CallbackShape, live: Live): boolean {
  const source = shape.method === 'POST' ? shape.placement !== 'query' : shape.placement !== 'body';
  if (!source) return false;
  const p = shape.params;
  return (
    resolve(p.state, live) === live.state &&
    resolve(p.code, live) === live.code &&
    p.error === undefined &&
    (p.iss === undefined || resolve(p.iss, live) === live.issuer)
  );
}

/** An ID token claim edit, or a whole token response edit, and whether the spec allows it. */
const now = (): number => Math.floor(Date.now() / 1000);
/** Mostly valid values, so that valid combinations come up too. */
const mostly = <T>(valid: fc.Arbitrary<T>, invalid: fc.Arbitrary<T>): fc.Arbitrary<T> =>
  fc.oneof({ arbitrary: valid, weight: 4 }, { arbitrary: invalid, weight: 1 });
const timeClaim = (valid: string[], invalid: string[]): fc.Arbitrary<string> =>
  mostly(fc.constantFrom(...valid), fc.constantFrom(...invalid));
const timeValue = (kind: string): unknown =>
  ({ 'past-far': now() - 7200, 'past-near': now() - 30, 'future-near': now() + 30, 'future-far': now() + 7200, string: '1e12' })[
    kind
  ];
const claimEdits = fc.record(
  {
    iss: mostly(fc.constant<unknown>(ISSUER), fc.constantFrom<unknown>('https://evil.okta.com', 42)),
    aud: mostly(
      fc.constantFrom<unknown>(CLIENT_ID, [CLIENT_ID]),
      fc.constantFrom<unknown>([CLIENT_ID, 'api'], ['api'], 'api', [], 42, [CLIENT_ID, CLIENT_ID]),
    ),
    azp: mostly(fc.constant<unknown>(CLIENT_ID), fc.constantFrom<unknown>('api', 42)),
    sub: mostly(fc.constant<unknown>('00ubob'), fc.constantFrom<unknown>('', 42, ['00ualice'])),
    nonce: mostly(fc.constant<unknown>(NONCE), fc.constantFrom<unknown>('another-nonce', 42)),
    exp: timeClaim(['past-near', 'future-near', 'future-far'], ['past-far', 'string', 'missing']),
    iat: timeClaim(['past-far', 'past-near', 'future-near'], ['future-far', 'string', 'missing']),
    nbf: timeClaim(['past-far', 'future-near', 'missing'], ['future-far', 'string']),
  },
  { requiredKeys: [] },
);
type ClaimEdits = typeof claimEdits extends fc.Arbitrary<infer T> ? T : never;
const tokenEdits = fc.record(
  {
    access_token: mostly(fc.constant<unknown>('at-other'), fc.constantFrom<unknown>('', 42, null)),
    token_type: mostly(
      fc.constantFrom<unknown>('Bearer', 'bearer', 'DPoP', 'dpop'),
      fc.constantFrom<unknown>('mac', 'Bearer ', '', 42),
    ),
    expires_in: mostly(fc.constantFrom<unknown>(3600, '3600'), fc.constantFrom<unknown>(0, -1, 'soon', null, Infinity)),
    refresh_token: mostly(fc.constant<unknown>('rt-1'), fc.constantFrom<unknown>(42, null)),
    scope: mostly(fc.constantFrom<unknown>('openid', 'openid profile'), fc.constantFrom<unknown>(42, null)),
  },
  { requiredKeys: [] },
);
type TokenEdits = typeof tokenEdits extends fc.Arbitrary<infer T> ? T : never;
const forgery = mostly<Forgery | null>(
  fc.constant(null),
  fc.constantFrom<Forgery>('alg-none', 'bad-signature', 'hs256-client-secret', 'hs256-public-key', 'encrypted', 'not-a-jwt'),
);

/** The claims edits applied, as the provider will sign them (`missing` removes the claim). */
function claimsFrom(edits: ClaimEdits, live: Live): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(edits)) {
    if (name === 'exp' || name === 'iat' || name === 'nbf')
      out[name] = value === 'missing' ? undefined : timeValue(value as string);
    else out[name] = resolve(value, live);
  }
  return out;
}

/** OpenID Connect Core §3.1.3.7, written independently of lib/client/id-token.ts, with 60 s of tolerance. */
function claimsAcceptable(claims: Record<string, unknown>, live: Live): boolean {
  const t = now();
  const { iss, aud, azp, sub, nonce, exp, iat, nbf } = claims;
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (iss !== live.issuer) return false;
  if (!audiences.includes(CLIENT_ID)) return false;
  if (Array.isArray(aud) && aud.length > 1 && azp !== CLIENT_ID) return false;
  // Core §3.1.3.7 (3): an audience the client does not trust is refused (no trustedAudiences here).
  if (audiences.some((a) => a !== CLIENT_ID)) return false;
  if (azp !== undefined && azp !== CLIENT_ID) return false;
  if (typeof sub !== 'string' || sub === '') return false;
  if (nonce !== live.nonce) return false;
  if (typeof exp !== 'number' || exp <= t - 60) return false;
  if (typeof iat !== 'number' || iat > t + 60) return false;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > t + 60)) return false;
  return true;
}

/** RFC 6749 §5.1 plus what this package documents (`expires_in` required). */
function tokenResponseAcceptable(edits: TokenEdits): boolean {
  const body = { access_token: 'at', token_type: 'Bearer', expires_in: 3600, ...edits } as Record<string, unknown>;
  const expiresIn = typeof body.expires_in === 'string' ? Number(body.expires_in) : body.expires_in;
  return (
    typeof body.access_token === 'string' &&
    body.access_token !== '' &&
    typeof body.token_type === 'string' &&
    /^(bearer|dpop)$/i.test(body.token_type) &&
    typeof expiresIn === 'number' &&
    Number.isFinite(expiresIn) &&
    expiresIn > 0 &&
    (!('refresh_token' in edits) || typeof body.refresh_token === 'string') &&
    (!('scope' in edits) || typeof body.scope === 'string')
  );
}

describe('properties of the callback (fast-check, hostile provider over real HTTP)', function () {
  this.timeout(60_000);
  let okta: HostileOkta;
  let strategy: OktaStrategy;
  const pending: Array<{ input: unknown; tracked: Tracked }> = [];

  /** A started sign-in with its code issued, plus another browser's, to tempt the strategy. */
  async function live(session: Session): Promise<Live> {
    const url = await startSignIn(strategy, session);
    const grant = okta.issueCode(url.searchParams);
    const other = okta.issueCode((await startSignIn(strategy, {})).searchParams);
    return {
      state: grant.state,
      code: grant.code,
      nonce: grant.nonce!,
      issuer: okta.issuer,
      otherState: other.state,
      otherCode: other.code,
    };
  }

  /** Runs one callback; checks "no throw" at once and "one outcome" at the end of the property. */
  async function callback(input: unknown, req: ReturnType<typeof request>): Promise<Outcome> {
    const tracked = track(strategy, req);
    expect(tracked.threw, 'authenticate threw').to.deep.equal([]);
    pending.push({ input, tracked });
    const outcome = await tracked.first;
    expectNoLeak({ where: 'property', outcome, reflected: [...stringsIn(req.query), ...stringsIn(req.body)] }, okta.secrets);
    return outcome;
  }

  async function expectOneOutcomeEach(): Promise<void> {
    await sleep(50);
    for (const { input, tracked } of pending.splice(0)) {
      expect(
        tracked.all.map((o) => o.kind),
        JSON.stringify(input, (_k, v: unknown) => (typeof v === 'symbol' ? v.toString() : v)),
      ).to.have.length(1);
    }
  }

  before(async () => {
    okta = await HostileOkta.start();
    strategy = makeStrategy(okta, { userInfo: false });
  });
  beforeEach(() => okta.reset());
  after(async () => {
    await okta.close();
  });

  it('any callback query or body: no throw, one outcome, success only for this browser’s own state and code', async () => {
    let successes = 0;
    await fc.assert(
      fc.asyncProperty(callbackShape, async (shape) => {
        const session: Session = {};
        const values = await live(session);
        const built = buildParams(shape, values);
        const placed = (where: 'query' | 'body'): unknown =>
          shape.placement === where || shape.placement === 'both' ? built : where === 'body' ? shape.otherBody : {};
        const req = request({
          method: shape.method,
          url: '/auth/okta/callback',
          query: placed('query') as Record<string, unknown>,
          body: placed('body'),
          session,
        });
        const outcome = await callback(shape, req);
        if (outcome.kind === 'success') {
          successes++;
          expect(genuine(shape, values), 'success for a callback that is not genuine').to.equal(true);
          expect((outcome.user as TestUser).id).to.equal('00ualice');
        }
      }),
      {
        numRuns: 200,
        examples: [
          [
            {
              method: 'GET',
              params: {
                code: CODE,
                state: STATE,
                error: undefined,
                error_description: undefined,
                error_uri: undefined,
                iss: undefined,
                extra: [],
              },
              placement: 'query',
              otherBody: undefined,
              nullPrototype: true,
            },
          ],
        ],
      },
    );
    await expectOneOutcomeEach();
    console.log(`      ${successes} random callbacks were genuine and signed in`);
    expect(successes, 'the generator reaches success too').to.be.above(0);
  });

  it('any ID token claims, forgery or token response: success exactly when all of them are valid', async () => {
    const counts = { success: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(claimEdits, tokenEdits, forgery, async (claims, token, forged) => {
        const session: Session = {};
        const values = await live(session);
        const signedClaims = claimsFrom(claims, values);
        const behaviour: Behaviour = { claims: signedClaims, tokenResponse: token };
        if (forged !== null) behaviour.forge = forged;
        okta.behaviour = behaviour;
        const outcome = await callback(
          { claims, token, forged },
          request({ query: { code: values.code, state: values.state }, session }),
        );
        const effective = effectiveClaims(signedClaims, values);
        const valid = forged === null && tokenResponseAcceptable(token) && claimsAcceptable(effective, values);
        counts[outcome.kind === 'success' ? 'success' : 'rejected']++;
        const detail = JSON.stringify({ claims: signedClaims, token, forged, outcome: describeOutcome(outcome) });
        if (valid) {
          expect(outcome.kind, detail).to.equal('success');
          expect((outcome as { user: TestUser }).user.id).to.equal(effective.sub);
        } else {
          expect(outcome.kind, detail).to.be.oneOf(['error', 'fail']);
        }
      }),
      { numRuns: 150, examples: [[{}, {}, null]] },
    );
    await expectOneOutcomeEach();
    console.log(`      ${counts.success} accepted, ${counts.rejected} rejected`);
    expect(counts.success, 'some valid combinations were generated').to.be.above(0);
  });

  it('any status and body from the token endpoint: no throw, one outcome, never success', async () => {
    const reply = fc.record({
      status: fc.constantFrom(200, 201, 204, 302, 400, 401, 403, 404, 429, 500, 502, 503),
      body: fc.oneof(fc.jsonValue(), fc.string(), fc.constant(undefined)),
      contentType: fc.constantFrom('application/json', 'text/html', 'application/jwt', undefined),
    });
    await fc.assert(
      fc.asyncProperty(reply, async ({ status, body, contentType }) => {
        const session: Session = {};
        const values = await live(session);
        okta.behaviour = {
          token: {
            status,
            body: typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body),
            headers: contentType ? { 'content-type': contentType } : {},
          },
        };
        const outcome = await callback({ status, body }, request({ query: { code: values.code, state: values.state }, session }));
        expect(outcome.kind).to.equal('error');
      }),
      { numRuns: 100 },
    );
    await expectOneOutcomeEach();
  });
});

/** The strings in a parsed query or body (which may hold codes the generator put there). */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(stringsIn);
}

/** The claims the provider signs: its defaults for alice, overlaid with the edits. */
function effectiveClaims(edits: Record<string, unknown>, live: Live): Record<string, unknown> {
  const t = now();
  const base: Record<string, unknown> = {
    iss: live.issuer,
    aud: CLIENT_ID,
    sub: '00ualice',
    iat: t,
    exp: t + 3600,
    nonce: live.nonce,
  };
  const out = { ...base, ...edits };
  for (const [key, value] of Object.entries(out)) if (value === undefined) delete out[key];
  return out;
}

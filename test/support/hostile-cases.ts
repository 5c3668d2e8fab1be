import { SignJWT } from 'jose';
import { gzipSync } from 'node:zlib';
import { IdTokenError, RateLimitError, RequestError, ResponseError, TokenError, UserInfoError } from '../../lib/core/errors.js';
import { type OktaAuthenticateOptions, type OktaStrategy, type OktaStrategyOptions } from '../../lib/index.js';
import type { SignIn } from './hostile-harness.js';
import type { Outcome } from './passport.js';
import { CLIENT_ID, sharedKey, type HostileOkta } from './hostile-okta.js';

/** What a case must end in: an `error` or `fail` of this class (and claim / message). */
export interface Rejection {
  kind: 'error' | 'fail';
  errorClass?: new (...args: never[]) => Error;
  claim?: string;
  message?: RegExp;
  /** The `fail` status; for an `error`, the status Okta answered (`oktaStatus`). */
  status?: number;
}

export interface CaseContext {
  okta: HostileOkta;
  strategy: OktaStrategy;
  /** Milliseconds added to the strategy's clock. */
  clock: { skew: number };
  /** A normal sign-in with the case's strategy (for cases that need one first). */
  signIn(): Promise<SignIn>;
}

/**
 * One relying-party check, named after the OpenID Foundation's RP certification test
 * it mirrors (`rp-...`) or, when it has no counterpart there, after what it does.
 */
export interface ConformanceCase {
  id: string;
  title: string;
  expect: 'accept' | Rejection;
  strategy?: Partial<OktaStrategyOptions>;
  /** Per-request options of the sign-in. */
  authenticate?: OktaAuthenticateOptions;
  /** Makes the provider misbehave (and may run earlier sign-ins). */
  arrange?(context: CaseContext): void | Promise<void>;
  /** Extra checks after the sign-in. */
  check?(context: CaseContext, result: SignIn): void;
}

const hour = 3600;
const nowSeconds = (): number => Math.floor(Date.now() / 1000);
const idToken = (claim: string, message?: RegExp): Rejection => ({ kind: 'error', errorClass: IdTokenError, claim, message });

function expectThat(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

export const conformanceCases: ConformanceCase[] = [
  {
    id: 'rp-response_type-code',
    title: 'signs in with the code flow, PKCE S256, state and nonce',
    expect: 'accept',
    check({ okta }, { authorizeURL }) {
      const params = authorizeURL.searchParams;
      expectThat(params.get('response_type') === 'code', 'response_type=code');
      expectThat(params.get('code_challenge_method') === 'S256', 'PKCE S256');
      expectThat(/^[\w-]{43}$/.test(params.get('state') ?? '') && /^[\w-]{43}$/.test(params.get('nonce') ?? ''), 'state, nonce');
      expectThat(okta.hits.token === 1 && okta.hits.keys === 1, 'one token call, one key set fetch');
    },
  },
  {
    id: 'rp-id_token-sig-rs256',
    title: 'accepts an RS256 ID token signed with the published key',
    expect: 'accept',
  },
  {
    id: 'rp-token_endpoint-client_secret_basic',
    title: 'authenticates to the token endpoint with client_secret_basic',
    expect: 'accept',
    check({ okta }) {
      const token = okta.recent.find((r) => r.endpoint === 'token');
      expectThat(/^Basic /.test(token?.authorization ?? '') && !/client_secret/.test(token?.body ?? ''), 'Basic only');
    },
  },
  {
    id: 'rp-token_endpoint-client_secret_post',
    title: 'authenticates with client_secret_post when configured',
    expect: 'accept',
    strategy: { tokenEndpointAuthMethod: 'client_secret_post' },
    check({ okta }) {
      const token = okta.recent.find((r) => r.endpoint === 'token');
      expectThat(token?.authorization === undefined && /client_secret=/.test(token?.body ?? ''), 'post only');
    },
  },
  {
    id: 'rp-id_token-sig-none',
    title: 'rejects an unsigned ID token (alg none)',
    expect: idToken('alg'),
    arrange: ({ okta }) => void (okta.behaviour = { forge: 'alg-none' }),
  },
  {
    id: 'rp-id_token-bad-sig-rs256',
    title: 'rejects an RS256 ID token whose signature does not verify',
    expect: idToken('signature'),
    arrange: ({ okta }) => void (okta.behaviour = { forge: 'bad-signature' }),
  },
  {
    id: 'rp-id_token-bad-sig-hs256',
    title: 'rejects an HS256 ID token keyed with the client secret (asymmetric algorithms only)',
    expect: idToken('alg'),
    arrange: ({ okta }) => void (okta.behaviour = { forge: 'hs256-client-secret' }),
  },
  {
    id: 'id_token-hs256-public-key-confusion',
    title: 'rejects an HS256 ID token keyed with the public key (key confusion)',
    expect: idToken('alg'),
    arrange: ({ okta }) => void (okta.behaviour = { forge: 'hs256-public-key' }),
  },
  {
    id: 'id_token-alg-not-allowed',
    title: 'rejects an ES256 ID token from a published key when only RS256 is allowed',
    expect: idToken('alg'),
    async arrange({ okta }) {
      const ec = await sharedKey('ec-key', 'ES256');
      okta.keys = [...okta.keys, ec];
      okta.behaviour = { signWith: ec };
    },
  },
  {
    id: 'id_token-encrypted',
    title: 'rejects an encrypted (JWE) ID token it cannot verify',
    expect: idToken('token'),
    arrange: ({ okta }) => void (okta.behaviour = { forge: 'encrypted' }),
  },
  {
    id: 'id_token-unknown-crit',
    title: 'rejects an ID token with a critical header parameter it does not understand',
    expect: { kind: 'error', errorClass: IdTokenError },
    arrange: ({ okta }) => void (okta.behaviour = { forge: 'unknown-crit' }),
  },
  {
    id: 'id_token-garbage',
    title: 'rejects an id_token that is not a JWT',
    expect: idToken('token'),
    arrange: ({ okta }) => void (okta.behaviour = { forge: 'not-a-jwt' }),
  },
  {
    id: 'rp-id_token-issuer-mismatch',
    title: 'rejects an ID token from another issuer',
    expect: idToken('iss'),
    arrange: ({ okta }) => void (okta.behaviour = { claims: { iss: 'https://evil.okta.com/oauth2/default' } }),
  },
  {
    id: 'id_token-issuer-org-server',
    title: "rejects an ID token from the same org's org authorization server",
    expect: idToken('iss'),
    arrange: ({ okta }) => void (okta.behaviour = { claims: { iss: okta.origin } }),
  },
  {
    id: 'id_token-issuer-trailing-slash',
    title: 'rejects an issuer that differs by a trailing slash',
    expect: idToken('iss'),
    arrange: ({ okta }) => void (okta.behaviour = { claims: { iss: `${okta.issuer}/` } }),
  },
  {
    id: 'rp-id_token-aud',
    title: 'rejects an ID token for another client',
    expect: idToken('aud'),
    arrange: ({ okta }) => void (okta.behaviour = { claims: { aud: '0oa-another-client' } }),
  },
  {
    id: 'id_token-aud-missing',
    title: 'rejects an ID token without aud',
    expect: idToken('aud'),
    arrange: ({ okta }) => void (okta.behaviour = { claims: { aud: undefined } }),
  },
  {
    id: 'id_token-aud-untrusted-no-azp',
    title: 'rejects several audiences (one untrusted) without azp',
    expect: idToken('azp'),
    arrange: ({ okta }) => void (okta.behaviour = { claims: { aud: [CLIENT_ID, 'untrusted-api'] } }),
  },
  {
    id: 'id_token-aud-untrusted-bad-azp',
    title: 'rejects several audiences with an azp naming another client',
    expect: idToken('azp'),
    arrange: ({ okta }) => void (okta.behaviour = { claims: { aud: [CLIENT_ID, 'untrusted-api'], azp: 'untrusted-api' } }),
  },
  {
    id: 'id_token-azp-other-client',
    title: 'rejects a single audience with an azp naming another client',
    expect: idToken('azp'),
    arrange: ({ okta }) => void (okta.behaviour = { claims: { azp: 'untrusted-api' } }),
  },
  {
    id: 'id_token-aud-untrusted-azp-client',
    title: 'rejects an audience the client does not trust even when azp is this client',
    expect: idToken('aud'),
    arrange: ({ okta }) => void (okta.behaviour = { claims: { aud: [CLIENT_ID, 'untrusted-api'], azp: CLIENT_ID } }),
  },
  {
    id: 'id_token-aud-several-azp-client',
    title: 'accepts several audiences when azp is this client and the others are trustedAudiences',
    strategy: { trustedAudiences: ['api://default'] },
    expect: 'accept',
    arrange: ({ okta }) => void (okta.behaviour = { claims: { aud: [CLIENT_ID, 'api://default'], azp: CLIENT_ID } }),
  },
  {
    id: 'rp-id_token-sub',
    title: 'rejects an ID token without sub',
    expect: idToken('sub'),
    arrange: ({ okta }) => void (okta.behaviour = { claims: { sub: undefined } }),
  },
  {
    id: 'id_token-sub-empty',
    title: 'rejects an ID token whose sub is empty or not a string',
    expect: idToken('sub'),
    arrange: ({ okta }) => void (okta.behaviour = { claims: { sub: '' } }),
  },
  {
    id: 'rp-id_token-iat',
    title: 'rejects an ID token without iat',
    expect: idToken('iat'),
    arrange: ({ okta }) => void (okta.behaviour = { claims: { iat: undefined } }),
  },
  {
    id: 'id_token-iat-future',
    title: 'rejects an ID token issued an hour in the future',
    expect: idToken('iat'),
    arrange: ({ okta }) => void (okta.behaviour = { claims: () => ({ iat: nowSeconds() + hour }) }),
  },
  {
    id: 'id_token-expired',
    title: 'rejects an expired ID token',
    expect: idToken('exp'),
    arrange: ({ okta }) => void (okta.behaviour = { claims: () => ({ iat: nowSeconds() - 2 * hour, exp: nowSeconds() - hour }) }),
  },
  {
    id: 'id_token-exp-missing',
    title: 'rejects an ID token without exp',
    expect: idToken('exp'),
    arrange: ({ okta }) => void (okta.behaviour = { claims: { exp: undefined } }),
  },
  {
    id: 'id_token-nbf-future',
    title: 'rejects an ID token that is not valid before an hour from now',
    expect: idToken('nbf'),
    arrange: ({ okta }) => void (okta.behaviour = { claims: () => ({ nbf: nowSeconds() + hour }) }),
  },
  {
    id: 'rp-nonce-invalid',
    title: 'rejects an ID token whose nonce is not the one sent',
    expect: idToken('nonce'),
    arrange: ({ okta }) => void (okta.behaviour = { claims: { nonce: 'a-nonce-from-another-sign-in' } }),
  },
  {
    id: 'id_token-nonce-missing',
    title: 'rejects an ID token without the nonce that was sent',
    expect: idToken('nonce', /missing/),
    arrange: ({ okta }) => void (okta.behaviour = { claims: { nonce: undefined } }),
  },
  {
    id: 'id_token-max-age-auth-time',
    title: 'rejects an auth_time older than the max_age asked for',
    expect: idToken('auth_time'),
    arrange: ({ okta }) => void (okta.behaviour = { claims: () => ({ auth_time: nowSeconds() - 2 * hour }) }),
    authenticate: { maxAge: 300 },
  },
  {
    id: 'id_token-replayed',
    title: "rejects a valid ID token replayed from the same user's earlier sign-in",
    expect: idToken('nonce'),
    async arrange(context) {
      const first = await context.signIn();
      expectThat(first.outcome.kind === 'success', 'the first sign-in succeeds');
      const replayed = context.okta.lastIdToken!;
      context.okta.behaviour = { idToken: () => replayed };
    },
  },
  {
    id: 'id_token-is-access-token',
    title: "rejects Okta's JWT access token given as the ID token",
    expect: idToken('aud'),
    arrange({ okta }) {
      okta.behaviour = {
        idToken: (grant) =>
          okta.sign({
            ver: 1,
            jti: 'AT.x',
            iss: okta.issuer,
            aud: 'api://default',
            iat: nowSeconds(),
            exp: nowSeconds() + hour,
            cid: CLIENT_ID,
            uid: grant.sub,
            scp: grant.scope,
            sub: `${grant.user}@example.com`,
          }),
      };
    },
  },
  {
    id: 'id_token-is-access-token-client-audience',
    title: 'rejects a JWT access token whose audience is this client (no nonce)',
    expect: idToken('nonce'),
    arrange({ okta }) {
      okta.behaviour = {
        idToken: (grant) =>
          okta.sign({
            iss: okta.issuer,
            aud: CLIENT_ID,
            iat: nowSeconds(),
            exp: nowSeconds() + hour,
            cid: CLIENT_ID,
            sub: grant.sub,
          }),
      };
    },
  },
  {
    id: 'id_token-acr-not-requested',
    title: 'rejects an acr that is not one of the acr_values asked for',
    expect: idToken('acr'),
    authenticate: { acrValues: 'urn:okta:loa:2fa:any' },
    arrange: ({ okta }) => void (okta.behaviour = { claims: { acr: 'urn:okta:loa:1fa:any' } }),
  },
  {
    id: 'id_token-acr-requested',
    title: 'accepts an acr that is one of the acr_values asked for',
    expect: 'accept',
    authenticate: { acrValues: 'urn:okta:loa:2fa:any urn:okta:loa:2fa:any:ifpossible' },
    arrange: ({ okta }) => void (okta.behaviour = { claims: { acr: 'urn:okta:loa:2fa:any' } }),
  },
  {
    id: 'rp-id_token-kid-absent-single-jwks',
    title: 'accepts an ID token without kid when the key set has one key',
    expect: 'accept',
    arrange: ({ okta }) => void (okta.behaviour = { header: { kid: undefined } }),
  },
  {
    id: 'rp-id_token-kid-absent-multiple-jwks',
    title: 'rejects an ID token without kid when the key set has several keys',
    expect: idToken('kid'),
    async arrange({ okta }) {
      okta.keys = [...okta.keys, await sharedKey('key-2')];
      okta.behaviour = { header: { kid: undefined } };
    },
  },
  {
    id: 'id_token-kid-unknown',
    title: 'rejects an ID token signed by a key that is not published (after one refetch)',
    expect: idToken('kid'),
    async arrange({ okta }) {
      okta.behaviour = { signWith: await sharedKey('not-published') };
    },
    check({ okta }) {
      expectThat(okta.hits.keys === 1, `one key set fetch, saw ${okta.hits.keys}`);
    },
  },
  {
    id: 'id_token-kid-duplicated-in-jwks',
    title: 'rejects an ID token whose kid names two keys of the key set (does not try each)',
    expect: idToken('kid'),
    async arrange({ okta }) {
      const twin = await sharedKey('twin');
      okta.keys = [...okta.keys, { ...twin, jwk: { ...twin.jwk, kid: okta.signingKey.kid } }];
    },
  },
  {
    id: 'id_token-kid-reused-by-other-key',
    title: "rejects an ID token signed by another key under the published key's kid",
    expect: idToken('signature'),
    async arrange({ okta }) {
      const impostor = await sharedKey('impostor');
      okta.behaviour = { signWith: impostor, header: { kid: okta.signingKey.kid } };
    },
  },
  {
    id: 'rp-key-rotation-op-sign-key',
    title: 'follows a rotation of the signing key with one key set refetch',
    expect: 'accept',
    async arrange(context) {
      const first = await context.signIn();
      expectThat(first.outcome.kind === 'success', 'the first sign-in, with the old key, succeeds');
      context.okta.rotate([await sharedKey('key-rotated')]);
      context.clock.skew += 31_000; // past the 30 s refetch cooldown
    },
    check({ okta }) {
      expectThat(okta.hits.keys === 2, `two key set fetches in all, saw ${okta.hits.keys}`);
    },
  },
  {
    id: 'rp-scope-userinfo-claims',
    title: 'fetches userinfo for the profile and email scopes and maps its claims',
    expect: 'accept',
    strategy: { scope: ['openid', 'profile', 'email'] },
    check({ okta }, { outcome }) {
      const profile = outcome.kind === 'success' ? (outcome.user as { profile: { emails?: unknown } }).profile : undefined;
      expectThat(okta.hits.userinfo === 1, 'one userinfo call');
      expectThat(JSON.stringify(profile?.emails) === '[{"value":"alice@example.com","verified":true}]', 'email from userinfo');
    },
  },
  {
    id: 'rp-userinfo-bearer-header',
    title: 'sends the access token to userinfo in the Authorization header',
    expect: 'accept',
    strategy: { userInfo: true },
    check({ okta }) {
      const userinfo = okta.recent.find((r) => r.endpoint === 'userinfo');
      expectThat(/^Bearer at\./.test(userinfo?.authorization ?? ''), 'Bearer header');
    },
  },
  {
    id: 'rp-userinfo-bad-sub-claim',
    title: "rejects userinfo for another sub than the ID token's",
    expect: { kind: 'error', errorClass: UserInfoError, message: /sub/ },
    strategy: { userInfo: true },
    arrange: ({ okta }) => void (okta.behaviour = { userinfoClaims: { sub: '00umallory' } }),
  },
  {
    id: 'userinfo-sub-missing',
    title: 'rejects userinfo without sub',
    expect: { kind: 'error', errorClass: UserInfoError, message: /sub/ },
    strategy: { userInfo: true },
    arrange: ({ okta }) => void (okta.behaviour = { userinfoClaims: { sub: undefined } }),
  },
  {
    id: 'rp-userinfo-sig',
    title: 'refuses a signed (JWT) userinfo answer with a clear error',
    expect: { kind: 'error', errorClass: ResponseError, message: /signed JWT/ },
    strategy: { userInfo: true },
    arrange({ okta }) {
      okta.behaviour = {
        userinfo: async (grant) => ({
          headers: { 'content-type': 'application/jwt' },
          body: await new SignJWT({ sub: grant?.sub, iss: okta.issuer, aud: CLIENT_ID })
            .setProtectedHeader({ alg: 'RS256', kid: okta.signingKey.kid })
            .sign(okta.signingKey.privateKey),
        }),
      };
    },
  },
  {
    id: 'token_type-mac',
    title: 'rejects a token response whose token_type is not Bearer or DPoP',
    expect: { kind: 'error', errorClass: ResponseError, message: /token_type/ },
    arrange: ({ okta }) => void (okta.behaviour = { tokenResponse: { token_type: 'mac' } }),
  },
  {
    id: 'token_type-missing',
    title: 'rejects a token response without token_type',
    expect: { kind: 'error', errorClass: ResponseError, message: /token_type/ },
    arrange: ({ okta }) => void (okta.behaviour = { tokenResponse: { token_type: undefined } }),
  },
  {
    id: 'token_type-bearer-lowercase',
    title: 'accepts token_type "bearer" in any case (RFC 6749 §5.1)',
    expect: 'accept',
    arrange: ({ okta }) => void (okta.behaviour = { tokenResponse: { token_type: 'bearer' } }),
  },
  {
    id: 'token-id_token-missing',
    title: 'rejects a token response without id_token when openid was asked',
    expect: { kind: 'error', errorClass: ResponseError, message: /id_token/ },
    arrange: ({ okta }) => void (okta.behaviour = { tokenResponse: { id_token: undefined } }),
  },
  {
    id: 'token-id_token-empty',
    title: 'rejects a token response with an empty id_token',
    expect: { kind: 'error', errorClass: ResponseError, message: /id_token/ },
    arrange: ({ okta }) => void (okta.behaviour = { tokenResponse: { id_token: '' } }),
  },
  {
    id: 'token-access_token-missing',
    title: 'rejects a token response without access_token',
    expect: { kind: 'error', errorClass: ResponseError, message: /access_token/ },
    arrange: ({ okta }) => void (okta.behaviour = { tokenResponse: { access_token: undefined } }),
  },
  {
    id: 'token-expires_in-invalid',
    title: 'rejects a token response without a valid expires_in',
    expect: { kind: 'error', errorClass: ResponseError, message: /expires_in/ },
    arrange: ({ okta }) => void (okta.behaviour = { tokenResponse: { expires_in: 'soon' } }),
  },
];

/** A way for the provider to be slow, down or wrong, and the error it must cause. */
export interface FailureMode {
  name: string;
  expect: Rejection;
  strategy?: Partial<OktaStrategyOptions>;
  arrange(okta: HostileOkta): void;
}

const MB = 1024 * 1024;
let bomb: Buffer | undefined;
/** 50 MB of zeros, gzipped once per process (about 50 KB). */
const gzipBomb = (): Buffer => (bomb ??= gzipSync(Buffer.alloc(50 * MB), { level: 9 }));
const rateLimitHeaders = { 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': '1900000000' };
const response = (message: RegExp, status?: number): Rejection => ({
  kind: 'error',
  errorClass: ResponseError,
  message,
  status,
});
const timeout: Rejection = { kind: 'error', errorClass: RequestError, message: /did not answer within 300 ms/ };

export const failureModes: FailureMode[] = [
  {
    name: 'token endpoint answers 500 with an HTML page',
    expect: response(/unexpected status 500/, 500),
    arrange: (okta) =>
      void (okta.behaviour = {
        token: { status: 500, headers: { 'content-type': 'text/html' }, body: '<html>Internal Server Error</html>' },
      }),
  },
  {
    name: 'token endpoint answers 502 with no body',
    expect: response(/unexpected status 502/, 502),
    arrange: (okta) => void (okta.behaviour = { token: { status: 502 } }),
  },
  {
    name: 'token endpoint answers 503 with Retry-After',
    expect: response(/unexpected status 503/, 503),
    arrange: (okta) =>
      void (okta.behaviour = {
        token: { status: 503, headers: { 'retry-after': '30' }, body: { errorCode: 'E0000009', errorSummary: 'down' } },
      }),
  },
  {
    name: 'token endpoint answers 429 with rate-limit headers',
    expect: { kind: 'error', errorClass: RateLimitError, message: /rate limiting/, status: 429 },
    arrange: (okta) =>
      void (okta.behaviour = {
        token: { status: 429, headers: rateLimitHeaders, body: { errorCode: 'E0000047', errorSummary: 'API call exceeded' } },
      }),
  },
  {
    name: 'token endpoint answers 200 with invalid JSON',
    expect: response(/not JSON/, 200),
    arrange: (okta) =>
      void (okta.behaviour = { token: { body: '{"access_token": "at", ', headers: { 'content-type': 'application/json' } } }),
  },
  {
    name: 'token endpoint answers 200 with a JSON array',
    expect: response(/not an object/, 200),
    arrange: (okta) => void (okta.behaviour = { token: { body: [{ access_token: 'x' }] } }),
  },
  {
    name: 'token endpoint answers 200 with an empty body',
    expect: response(/not JSON/, 200),
    arrange: (okta) => void (okta.behaviour = { token: { status: 200 } }),
  },
  {
    name: 'token endpoint answers 400 invalid_grant',
    expect: { kind: 'error', errorClass: TokenError, message: /invalid_grant/, status: 400 },
    arrange: (okta) =>
      void (okta.behaviour = { token: { status: 400, body: { error: 'invalid_grant', error_description: 'expired' } } }),
  },
  {
    name: 'token endpoint answers 401 invalid_client',
    expect: { kind: 'error', errorClass: TokenError, message: /invalid_client/, status: 401 },
    arrange: (okta) => void (okta.behaviour = { token: { status: 401, body: { error: 'invalid_client' } } }),
  },
  {
    name: 'token endpoint redirects elsewhere',
    expect: response(/unexpected status 302/, 302),
    arrange: (okta) => void (okta.behaviour = { token: { status: 302, headers: { location: 'http://127.0.0.1:9/steal' } } }),
  },
  {
    name: 'token endpoint never answers',
    expect: timeout,
    strategy: { timeout: 300 },
    arrange: (okta) => void (okta.behaviour = { token: { hang: true } }),
  },
  {
    name: 'token endpoint answers after the timeout',
    expect: timeout,
    strategy: { timeout: 300 },
    arrange: (okta) => void (okta.behaviour = { token: { delayMs: 600, body: { error: 'late' } } }),
  },
  {
    name: 'token endpoint sends headers, then drips the body',
    expect: timeout,
    strategy: { timeout: 300 },
    arrange: (okta) => void (okta.behaviour = { token: { dripMs: 20 } }),
  },
  {
    name: 'token endpoint drops the connection mid-answer',
    expect: { kind: 'error', errorClass: RequestError, message: /failed/ },
    arrange: (okta) => void (okta.behaviour = { token: { reset: true, headers: { 'content-length': '100' } } }),
  },
  {
    name: 'token endpoint sends 50 MB with Content-Length',
    expect: response(/larger than 1048576 bytes/, 200),
    arrange: (okta) => void (okta.behaviour = { token: { hugeBytes: 50 * MB, declareLength: true } }),
  },
  {
    name: 'token endpoint sends 50 MB chunked',
    expect: response(/larger than 1048576 bytes/, 200),
    arrange: (okta) => void (okta.behaviour = { token: { hugeBytes: 50 * MB } }),
  },
  {
    name: 'token endpoint sends a gzip bomb (50 KB inflating to 50 MB)',
    expect: response(/larger than 1048576 bytes/, 200),
    arrange: (okta) =>
      void (okta.behaviour = {
        token: { body: gzipBomb(), headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' } },
      }),
  },
  {
    name: 'token endpoint sends 100 KB of headers',
    expect: { kind: 'error', errorClass: RequestError, message: /failed/ },
    arrange: (okta) => void (okta.behaviour = { token: { headers: { 'x-junk': 'a'.repeat(100_000) }, body: {} } }),
  },
  {
    name: 'keys endpoint answers 503 and no keys are cached',
    expect: response(/keys endpoint answered with unexpected status 503/, 503),
    arrange: (okta) => void (okta.behaviour = { keys: { status: 503 } }),
  },
  {
    name: 'keys endpoint never answers and no keys are cached',
    expect: { kind: 'error', errorClass: RequestError, message: /keys endpoint did not answer/ },
    strategy: { timeout: 300 },
    arrange: (okta) => void (okta.behaviour = { keys: { hang: true } }),
  },
  {
    name: 'keys endpoint answers invalid JSON',
    expect: response(/keys endpoint answered 200 with a body that is not JSON/, 200),
    arrange: (okta) => void (okta.behaviour = { keys: { body: '<html>maintenance</html>' } }),
  },
  {
    name: 'keys endpoint answers a malformed key set',
    expect: response(/malformed key set/, 200),
    arrange: (okta) => void (okta.behaviour = { keys: { body: { keys: 'all of them' } } }),
  },
  {
    name: 'keys endpoint answers 429',
    expect: { kind: 'error', errorClass: RateLimitError, message: /keys endpoint is rate limiting this client/, status: 429 },
    arrange: (okta) => void (okta.behaviour = { keys: { status: 429, headers: rateLimitHeaders } }),
  },
  {
    name: 'keys endpoint sends 50 MB chunked',
    expect: response(/keys endpoint sent an answer larger than/, 200),
    arrange: (okta) => void (okta.behaviour = { keys: { hugeBytes: 50 * MB } }),
  },
  {
    name: 'userinfo endpoint answers 500',
    expect: response(/userinfo endpoint answered with unexpected status 500/, 500),
    strategy: { userInfo: true },
    arrange: (okta) => void (okta.behaviour = { userinfo: { status: 500, body: 'oops' } }),
  },
  {
    name: 'userinfo endpoint answers 429 with rate-limit headers',
    expect: { kind: 'error', errorClass: RateLimitError, status: 429 },
    strategy: { userInfo: true },
    arrange: (okta) => void (okta.behaviour = { userinfo: { status: 429, headers: rateLimitHeaders } }),
  },
  {
    name: 'userinfo endpoint answers 401 invalid_token',
    expect: { kind: 'error', errorClass: TokenError, message: /invalid_token/, status: 401 },
    strategy: { userInfo: true },
    arrange: (okta) => void (okta.behaviour = { userinfo: { status: 401, body: { error: 'invalid_token' } } }),
  },
  {
    name: 'userinfo endpoint never answers',
    expect: { kind: 'error', errorClass: RequestError, message: /userinfo endpoint did not answer within 300 ms/ },
    strategy: { userInfo: true, timeout: 300 },
    arrange: (okta) => void (okta.behaviour = { userinfo: { hang: true } }),
  },
  {
    name: 'userinfo endpoint answers invalid JSON',
    expect: response(/userinfo endpoint answered 200 with a body that is not JSON/, 200),
    strategy: { userInfo: true },
    arrange: (okta) => void (okta.behaviour = { userinfo: { body: 'sub=00ualice' } }),
  },
  {
    name: 'userinfo endpoint sends 50 MB with Content-Length',
    expect: response(/userinfo endpoint sent an answer larger than/, 200),
    strategy: { userInfo: true },
    arrange: (okta) => void (okta.behaviour = { userinfo: { hugeBytes: 50 * MB, declareLength: true } }),
  },
];

/** Checks an outcome against a rejection; returns why it does not match, or undefined. */
export function mismatch(outcome: Outcome, expected: Rejection): string | undefined {
  if (outcome.kind !== expected.kind) return `ended in ${outcome.kind}, expected ${expected.kind}`;
  if (outcome.kind === 'fail') {
    if (expected.status !== undefined && outcome.status !== expected.status) return `status ${outcome.status}`;
    const message = (outcome.challenge as { message?: string } | undefined)?.message ?? '';
    if (expected.message && !expected.message.test(message)) return `message "${message}"`;
    return undefined;
  }
  if (outcome.kind !== 'error') return undefined;
  const err = outcome.error as Error & { claim?: string; oktaStatus?: number };
  const isA = (value: unknown, errorClass: new (...args: never[]) => Error): boolean => value instanceof errorClass;
  if (expected.errorClass && !isA(err, expected.errorClass)) return `${err.name}: ${err.message}`;
  if (expected.claim !== undefined && err.claim !== expected.claim) {
    return `claim ${err.claim}, expected ${expected.claim}: ${err.message}`;
  }
  if (expected.message && !expected.message.test(err.message)) return `message "${err.message}"`;
  if (expected.status !== undefined && err.oktaStatus !== expected.status) return `Okta's status ${err.oktaStatus}`;
  return undefined;
}

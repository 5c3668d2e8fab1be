import { bearerKeyStore } from '../core/key-cache.js';
import { ConfigurationError } from '../core/errors.js';
import { checkOptionNames, isObject } from '../core/options.js';
import type { OktaRequest } from '../passport/request.js';
import type { OktaStrategy } from '../sign-in/strategy.js';
import type { OktaAnswer } from './answers.js';
import { verifyLogoutJwt, type LogoutJwtPolicy } from './logout-jwt.js';
import {
  answer,
  bodyFailure,
  isHttpsOrLoopback,
  isPlainObject,
  jsonError,
  jwtSettings,
  type JwtSettings,
  mediaType,
  jsonOutageAnswer,
  readBody,
  receiver,
  shortString,
  type OktaLogoutReceiver,
  type ReceiverJwtOptions,
} from './logout-receiver.js';
import type { Revocation, Revocations } from './revocation.js';

/** Options of `okta.universalLogout()` (see `oktaSession`). */
export interface UniversalLogoutOptions extends ReceiverJwtOptions {
  /**
   * The endpoint's own URL, as registered in Okta (the app's Authentication tab, Logout,
   * "Logout endpoint URL"): Okta's JWT must name it as its audience. Absolute https (http
   * only on localhost, 127.0.0.1 and [::1]); a query is allowed, a fragment is not.
   */
  endpoint: string;
  /**
   * The `iss` of Okta's JWT. Default: the Okta org, the origin of the strategy's issuer
   * (`https://acme.okta.com`), whose key set signs it. Okta's guide does not say which
   * authorization server signs; give a custom server's issuer if yours does.
   */
  issuer?: string | undefined;
  /**
   * The key set that verifies Okta's JWT. Default: `/oauth2/v1/keys` for the org, or
   * `{issuer}/v1/keys` for a custom authorization server, at the strategy's Okta domain.
   */
  keysURL?: string | undefined;
}

const OPTION_NAMES = ['endpoint', 'issuer', 'keysURL', 'clockTolerance', 'maxTokenAge', 'maxBodyBytes', 'bodyTimeout', 'onError'];
/** Okta's `typ` for its Universal Logout JWT. */
const JWT_TYPE = 'global-token-revocation+jwt';
const EMAIL = /^[^\s@]+@[^\s@]+$/;

/**
 * Okta's Universal Logout endpoint (a Global Token Revocation endpoint): Okta POSTs
 * `{"subject": {"format": "iss_sub", "iss": ..., "sub": ...}}` or
 * `{"subject": {"format": "email", "email": ...}}` with `Authorization: Bearer <JWT>`, a JWT
 * that it signs (its "Signed JWT" endpoint authentication). The receiver verifies the JWT
 * (signature by the org's keys, `typ`, `iss`, `aud` = {@link UniversalLogoutOptions.endpoint},
 * `exp`, `nbf`, `iat`, a `jti` never seen before by any instance sharing the revocation
 * store), records that the user's sessions signed in until now are over, and answers:
 *
 * - 204: recorded; every session of that user (or email) ends on its next request.
 * - 400: the body is not a JSON object with one subject of format `iss_sub` or `email`.
 * - 401 with `WWW-Authenticate: Bearer`: no JWT, or a JWT that fails a check (a replay too).
 * - 405, 408, 413 (body over `maxBodyBytes`), 415 (not `application/json`).
 * - 503: the revocation store or Okta's key set cannot be reached; Okta tries again.
 *
 * Never 404: the revocation is recorded whether or not the user has a session here, so
 * that the answer tells nobody which users exist (Okta's guide and the draft list 404 for
 * an unknown user; an app that keeps no user list cannot know, and it is safer not to say).
 * Okta's guide names the body member `subject`; the draft it links to and Okta's own
 * examples elsewhere say `sub_id`: either is accepted, not both.
 *
 * @example
 * ```ts
 * const universal = universalLogoutReceiver(revocations, strategy, { endpoint: 'https://app.example.com/auth/okta/universal-logout' })
 * app.post('/auth/okta/universal-logout', universal)
 * ```
 */
export function universalLogoutReceiver(
  revocations: Revocations,
  strategy: OktaStrategy,
  options: UniversalLogoutOptions,
): OktaLogoutReceiver {
  if (!isObject(options)) throw new ConfigurationError('universalLogout needs its options');
  checkOptionNames('universalLogout', options, OPTION_NAMES);
  const settings = jwtSettings(options);
  const audience = endpointAudiences(options.endpoint);
  const context = strategy.client.jwt;
  const strategyIssuer = strategy.client.issuer;
  const org = new URL(strategyIssuer).origin;
  const issuer = options.issuer === undefined ? org : checkedURL('issuer', options.issuer);
  const keysURL =
    options.keysURL === undefined ? defaultKeysURL(issuer, org, context.keysURL) : checkedURL('keysURL', options.keysURL);
  const keys = keysURL === context.keysURL ? () => context.keys : bearerKeyStore(context.http, keysURL, context.keyStore);
  const policy: LogoutJwtPolicy = {
    keys,
    issuer,
    audience,
    algorithms: context.idToken.algorithms,
    type: JWT_TYPE,
    requireType: true,
    requiredClaims: ['exp'],
    settings,
    now: context.idToken.now,
  };
  const sameOrg = new Set([org, new URL(issuer).origin, new URL(context.keysURL).origin]);
  const handle = async (req: OktaRequest): Promise<OktaAnswer> => {
    if (req.method !== 'POST') return jsonError(405, 'invalid_request', 'Universal Logout takes a POST.', { Allow: 'POST' });
    const token = bearerToken(req);
    if (token === undefined) return unauthorized('The request carries no bearer JWT.', false);
    try {
      const verified = await verifyLogoutJwt(token, policy);
      if (!verified.ok) return unauthorized(`Refused: ${verified.reason}.`, true);
      const subject = await readSubject(req, settings);
      if (!('format' in subject)) return subject;
      const revoked =
        subject.format === 'email'
          ? [{ kind: 'email', org, email: subject.email } as const]
          : subjectRevocations(subject.iss, subject.sub, strategyIssuer, sameOrg);
      // The jti is claimed first: a replayed request must never move a revocation to a later
      // time (ending sessions signed in since). A store that fails after the claim burns it;
      // Okta's retry comes with a new JWT.
      if (!(await revocations.firstUse('universal', issuer, verified.payload.jti, verified.rememberUntil))) {
        return unauthorized('Refused: this JWT was used before (jti).', true);
      }
      for (const revocation of revoked) await revocations.revoke(revocation);
      return answer(204);
    } catch (err) {
      return jsonOutageAnswer(err, settings.onError);
    }
  };
  return receiver(handle, 'universal-logout');
}

/** RFC 6750 §3: `Bearer` alone when no token came, with `error="invalid_token"` for a refused one. */
function unauthorized(description: string, withToken: boolean): OktaAnswer {
  const challenge = withToken ? 'Bearer error="invalid_token"' : 'Bearer';
  return jsonError(401, withToken ? 'invalid_token' : 'invalid_request', description, { 'WWW-Authenticate': challenge });
}

function bearerToken(req: OktaRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || header.length > 16_384) return undefined;
  return /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header)?.[1];
}

function parseJSON(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The revocations an `iss_sub` subject makes: the user at the issuer named, and, when that is
 * another server of this Okta org, at the strategy's issuer too (Okta's user id, `sub`, is the
 * same at the org and at each of its custom authorization servers).
 */
function subjectRevocations(iss: string, sub: string, strategyIssuer: string, sameOrg: ReadonlySet<string>): Revocation[] {
  const named: Revocation = { kind: 'subject', iss, sub };
  const ours = iss !== strategyIssuer && sameOrg.has(URL.parse(iss)?.origin ?? '');
  return ours ? [named, { kind: 'subject', iss: strategyIssuer, sub }] : [named];
}

type Subject = { format: 'email'; email: string } | { format: 'iss_sub'; iss: string; sub: string };

/** The subject of the request's JSON body, or the answer to a body that names none. */
async function readSubject(req: OktaRequest, settings: JwtSettings): Promise<Subject | OktaAnswer> {
  if (mediaType(req) !== 'application/json') return jsonError(415, 'invalid_request', 'The body must be application/json.');
  const body = await readBody(req, settings);
  const failed = bodyFailure(body, (status, message) => jsonError(status, 'invalid_request', message));
  if (failed !== undefined) return failed;
  const parsed = body.kind === 'parsed' ? body.value : parseJSON(body.kind === 'text' ? body.text : '');
  const subject = subjectOf(parsed);
  return typeof subject === 'string' ? jsonError(400, 'invalid_request', subject) : subject;
}

/** The subject the body names, or why it names none we can act on. */
function subjectOf(body: unknown): Subject | string {
  if (!isPlainObject(body)) return 'The body is not a JSON object.';
  const members = ['subject', 'sub_id'].filter((name) => Object.hasOwn(body, name));
  const [member] = members;
  if (members.length !== 1 || member === undefined) return 'The body must have one subject identifier: "subject" (or "sub_id").';
  const subject = body[member];
  if (!isPlainObject(subject)) return 'The subject identifier is not an object.';
  if (subject.format === 'email') {
    const email = shortString(subject.email, 320);
    return email !== undefined && EMAIL.test(email) ? { format: 'email', email } : 'The subject has no valid email.';
  }
  if (subject.format === 'iss_sub') {
    const iss = shortString(subject.iss);
    const sub = shortString(subject.sub);
    return iss !== undefined && sub !== undefined ? { format: 'iss_sub', iss, sub } : 'The subject needs iss and sub.';
  }
  return 'The subject format is not supported: use iss_sub or email.';
}

/** The audiences Okta's JWT may name: the endpoint without its query (as Okta's JWT has it), or as registered. */
function endpointAudiences(endpoint: unknown): string[] {
  if (typeof endpoint !== 'string' || !URL.canParse(endpoint)) {
    throw new ConfigurationError('universalLogout needs endpoint: the absolute URL registered in Okta for it');
  }
  const url = new URL(endpoint);
  if (!isHttpsOrLoopback(url) || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigurationError(
      'endpoint must be an https URL (http for localhost only) without fragment or credentials, as registered in Okta',
    );
  }
  const bare = `${url.origin}${url.pathname}`;
  return url.search === '' ? [bare] : [bare, url.href];
}

function checkedURL(name: string, value: unknown): string {
  const url = typeof value === 'string' ? URL.parse(value) : null;
  if (url === null || !isHttpsOrLoopback(url) || url.hash !== '' || url.username !== '' || (value as string).endsWith('/')) {
    throw new ConfigurationError(`${name} must be an https URL (http for localhost only) without trailing slash`);
  }
  return value as string;
}

/** The key set of `issuer`, at the Okta domain the strategy reaches its keys at when it is the same org. */
function defaultKeysURL(issuer: string, org: string, strategyKeysURL: string): string {
  const url = new URL(issuer);
  const origin = url.origin === org ? new URL(strategyKeysURL).origin : url.origin;
  const path = url.pathname === '/' ? '/oauth2' : url.pathname;
  return `${origin}${path}/v1/keys`;
}

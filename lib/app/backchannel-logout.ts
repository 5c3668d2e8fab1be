import { ConfigurationError } from '../core/errors.js';
import { checkOptionNames, isObject } from '../core/options.js';
import type { OktaRequest } from '../passport/request.js';
import type { OktaStrategy } from '../sign-in/strategy.js';
import type { OktaAnswer } from './answers.js';
import { verifyLogoutJwt, type LogoutClaims, type LogoutJwtPolicy } from './logout-jwt.js';
import {
  answer,
  bodyFailure,
  isPlainObject,
  jsonError,
  jwtSettings,
  mediaType,
  jsonOutageAnswer,
  readBody,
  receiver,
  shortString,
  type OktaLogoutReceiver,
  type ReceivedBody,
  type ReceiverJwtOptions,
} from './logout-receiver.js';
import type { Revocation, Revocations } from './revocation.js';

/** Options of `okta.backChannelLogout()` (see `oktaSession`). */
export type BackChannelLogoutOptions = ReceiverJwtOptions;

const OPTION_NAMES = ['clockTolerance', 'maxTokenAge', 'maxBodyBytes', 'bodyTimeout', 'onError'];
/** The member of `events` that makes a SET a back-channel logout token (Back-Channel Logout 1.0 §2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * An OpenID Connect Back-Channel Logout 1.0 endpoint (register it as the client's
 * `backchannel_logout_uri`): the provider POSTs `logout_token=<JWT>` as a form. The token is
 * verified as §2.6 asks, with the strategy's issuer and key cache: signature (never `none`),
 * `typ` `logout+jwt` (an untyped token is accepted: §2.4 only says SHOULD; any other `typ`, as
 * an ID token's `JWT` or an access token's `at+jwt`, is refused), `iss`, `aud` (this client,
 * and no audience it does not trust), `iat` (not in the future, at most `maxTokenAge` old),
 * `exp` when present, an `events` object with the back-channel logout member (an object),
 * a `sid` or a `sub`, no `nonce`, and a `jti` not seen before by any instance sharing the
 * revocation store. Then it records the revocation:
 *
 * - with a `sid`: that Okta session only (the sessions signed in with ID tokens of that `sid`);
 * - with a `sub` and no `sid`: every session of that user at this issuer.
 *
 * Answers 200 when recorded; 400 with `{"error": "invalid_request", "error_description": ...}`
 * for any refusal (§2.8); 405, 413; 503 when the revocation store or the key set cannot be
 * reached (the provider may retry). Always `Cache-Control: no-store`.
 *
 * @example
 * ```ts
 * app.post('/auth/okta/backchannel-logout', backChannelLogoutReceiver(revocations, strategy))
 * ```
 */
export function backChannelLogoutReceiver(
  revocations: Revocations,
  strategy: OktaStrategy,
  options: BackChannelLogoutOptions = {},
): OktaLogoutReceiver {
  if (!isObject(options)) throw new ConfigurationError('backChannelLogout options must be an object');
  checkOptionNames('backChannelLogout', options, OPTION_NAMES);
  const settings = jwtSettings(options);
  const context = strategy.client.jwt;
  const { issuer, clientId, trustedAudiences } = context.idToken;
  const policy: LogoutJwtPolicy = {
    keys: () => context.keys,
    issuer,
    audience: clientId,
    algorithms: context.idToken.algorithms,
    type: 'logout+jwt',
    requireType: false,
    requiredClaims: ['events'],
    settings,
    now: context.idToken.now,
  };
  const refuse = (description: string): OktaAnswer => jsonError(400, 'invalid_request', description);

  const handle = async (req: OktaRequest): Promise<OktaAnswer> => {
    if (req.method !== 'POST') return jsonError(405, 'invalid_request', 'Back-channel logout takes a POST.', { Allow: 'POST' });
    if (mediaType(req) !== 'application/x-www-form-urlencoded') {
      return refuse('The body must be a form (application/x-www-form-urlencoded).');
    }
    try {
      const body = await readBody(req, settings);
      const failed = bodyFailure(body, (status, message) => jsonError(status, 'invalid_request', message));
      if (failed !== undefined) return failed;
      const token = logoutTokenOf(body);
      if (token === undefined) return refuse('The form must carry one logout_token.');
      const verified = await verifyLogoutJwt(token, policy);
      if (!verified.ok) return refuse(`Refused: ${verified.reason}.`);
      const revocation = revocationOf(verified.payload, issuer, clientId, trustedAudiences);
      if (typeof revocation === 'string') return refuse(`Refused: ${revocation}.`);
      if (!(await revocations.firstUse('backchannel', issuer, verified.payload.jti, verified.rememberUntil))) {
        return refuse('Refused: this logout token was used before (jti).');
      }
      await revocations.revoke(revocation);
      return answer(200);
    } catch (err) {
      // §2.8 has no answer for "try again later"; a 503 lets a provider that retries do so.
      return jsonOutageAnswer(err, settings.onError);
    }
  };
  return receiver(handle, 'back-channel');
}

/**
 * What a verified logout token ends (§2.4: `sid` names the session, `sub` alone the user),
 * or why it is refused: an audience this client does not trust, no back-channel event, a
 * `nonce`, `sid`/`sub` that are not non-empty strings, or neither of them.
 */
function revocationOf(
  claims: LogoutClaims,
  issuer: string,
  clientId: string,
  trustedAudiences: readonly string[],
): Revocation | string {
  const audiences: unknown[] = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (audiences.some((aud) => aud !== clientId && !trustedAudiences.includes(aud as string))) {
    return 'the token names an audience this client does not trust';
  }
  const events = claims.events;
  if (!isPlainObject(events) || !isPlainObject(events[BACKCHANNEL_LOGOUT_EVENT]))
    return 'the token has no back-channel logout event';
  if (Object.hasOwn(claims, 'nonce')) return 'a logout token must not have a nonce';
  const sid = claims.sid === undefined ? undefined : shortString(claims.sid);
  const sub = claims.sub === undefined ? undefined : shortString(claims.sub);
  if ((claims.sid !== undefined && sid === undefined) || (claims.sub !== undefined && sub === undefined)) {
    return 'sid and sub must be non-empty strings';
  }
  if (sid !== undefined) return { kind: 'session', iss: issuer, sid };
  if (sub !== undefined) return { kind: 'subject', iss: issuer, sub };
  return 'the token has neither sid nor sub';
}

/** The one `logout_token` of the form, from the raw body or from `express.urlencoded()`'s object. */
function logoutTokenOf(body: ReceivedBody): string | undefined {
  if (body.kind === 'text') {
    const tokens = new URLSearchParams(body.text).getAll('logout_token');
    return tokens.length === 1 ? shortString(tokens[0], 16_384) : undefined;
  }
  if (body.kind === 'parsed' && isPlainObject(body.value)) return shortString(body.value.logout_token, 16_384);
  return undefined;
}

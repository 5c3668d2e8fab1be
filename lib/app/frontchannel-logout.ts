import { ConfigurationError } from '../core/errors.js';
import { checkOptionNames, isObject } from '../core/options.js';
import type { OktaRequest } from '../passport/request.js';
import type { OktaStrategy } from '../sign-in/strategy.js';
import type { OktaAnswer } from './answers.js';
import { isHttpsOrLoopback, outageAnswer, receiver, shortString, type OktaLogoutReceiver } from './logout-receiver.js';
import type { Revocations } from './revocation.js';
import { readRecord } from './session-record.js';
import { endLocalSession, type SessionRequest } from './session.js';

/** Options of `okta.frontChannelLogout()` (see `oktaSession`). */
export interface FrontChannelLogoutOptions {
  /**
   * Whether Okta sends `iss` and `sid` (Okta's Single Logout "Include user session details";
   * `frontchannel_logout_session_required` in OpenID Connect). Default `true`: a request
   * without them is answered 400. With `false`, such a request ends the local session whose
   * cookie it carries, if any: a browser sends the app's cookies in Okta's cross-site frame
   * only when they are `SameSite=None`, so most such requests end nothing.
   */
  sessionRequired?: boolean | undefined;
  /**
   * Origins allowed to frame the answer (CSP `frame-ancestors`). Default: the origins of the
   * strategy's issuer and of its Okta domain (they differ with a custom URL domain), where
   * Okta's sign-out page is.
   */
  frameAncestors?: readonly string[] | undefined;
  /** Told why a request was answered 503 (the revocation store could not be reached), for logs. */
  onError?: ((err: unknown) => void) | undefined;
}

const OPTION_NAMES = ['sessionRequired', 'frameAncestors', 'onError'];

/**
 * An OpenID Connect Front-Channel Logout 1.0 endpoint (Okta's Single Logout "Logout request
 * URL"): when the user signs out of another app, Okta's sign-out page loads
 * `{this URL}?iss={issuer}&sid={sid}` in a hidden iframe. The receiver checks that `iss` is
 * the strategy's issuer and records that the Okta session `sid` is over: every session
 * signed in with an ID token of that `sid` ends on its next request, on any instance. It
 * reads no cookie (browsers withhold them from cross-site frames), so it does not depend on them.
 *
 * Answers a tiny page, never cached, that only the issuer's origin may frame and that runs
 * nothing (`Content-Security-Policy: default-src 'none'; frame-ancestors <issuer origin>`):
 * 200 when recorded; 400 for another `iss`, only one of `iss` and `sid`, or none when
 * `sessionRequired`; 405 for other methods than GET and HEAD; 503 when the revocation store
 * cannot be reached.
 *
 * @example
 * ```ts
 * app.get('/auth/okta/frontchannel-logout', frontChannelLogoutReceiver(revocations, strategy))
 * ```
 */
export function frontChannelLogoutReceiver(
  revocations: Revocations,
  strategy: OktaStrategy,
  options: FrontChannelLogoutOptions = {},
): OktaLogoutReceiver {
  if (!isObject(options)) throw new ConfigurationError('frontChannelLogout options must be an object');
  checkOptionNames('frontChannelLogout', options, OPTION_NAMES);
  const issuer = strategy.client.issuer;
  const sessionRequired = options.sessionRequired ?? true;
  if (typeof sessionRequired !== 'boolean') throw new ConfigurationError('sessionRequired must be true or false');
  const onError = options.onError;
  if (onError !== undefined && typeof onError !== 'function') throw new ConfigurationError('onError must be a function');
  const ancestors = frameAncestors(options.frameAncestors, [issuer, strategy.client.endpoints.logout]);
  const page = (status: number, title: string): OktaAnswer => ({
    status,
    headers: {
      'Set-Cookie': [],
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      Pragma: 'no-cache',
      'Content-Security-Policy': `default-src 'none'; frame-ancestors ${ancestors}`,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      ...(status === 405 ? { Allow: 'GET, HEAD' } : {}),
    },
    body: `<!doctype html>\n<meta charset="utf-8">\n<title>${title}</title>\n`,
  });

  const handle = async (req: OktaRequest): Promise<OktaAnswer> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return page(405, 'Method not allowed');
    const query = new URL((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/', 'http://x').searchParams;
    const issParams = query.getAll('iss');
    const sidParams = query.getAll('sid');
    if (issParams.length > 1 || sidParams.length > 1) return page(400, 'Bad request');
    const iss = issParams[0];
    const sid = sidParams[0];
    try {
      if (iss === undefined && sid === undefined) {
        if (sessionRequired) return page(400, 'Bad request');
        await endCookieSession(req, revocations, issuer);
        return page(200, 'Signed out');
      }
      const session = shortString(sid);
      if (iss !== issuer || session === undefined) return page(400, 'Bad request');
      await revocations.revoke({ kind: 'session', iss, sid: session });
      return page(200, 'Signed out');
    } catch (err) {
      const outage = outageAnswer(err, onError, () => page(503, 'Try again later'));
      if (outage === undefined) throw err;
      return outage;
    }
  };
  return receiver(handle, 'front-channel');
}

/**
 * Without `iss` and `sid` (`sessionRequired: false`): the session of the request's own
 * cookies, when the browser sent them. Its Okta session is recorded as over when the
 * sign-in record knows it, so that every instance ends it; the local session ends here.
 */
async function endCookieSession(req: SessionRequest, revocations: Revocations, issuer: string): Promise<void> {
  const record = readRecord(req);
  if (record?.sid !== undefined && record.sid !== '' && record.iss === issuer) {
    await revocations.revoke({ kind: 'session', iss: record.iss, sid: record.sid });
  }
  if (req.session !== undefined || req.user !== undefined) await endLocalSession(req);
}

/** The CSP `frame-ancestors` source list: the origins given, or those of the default URLs. */
function frameAncestors(given: unknown, defaults: readonly string[]): string {
  if (given === undefined) return [...new Set(defaults.map((url) => new URL(url).origin))].join(' ');
  if (!Array.isArray(given) || given.length === 0) {
    throw new ConfigurationError('frameAncestors must list origins, e.g. ["https://acme.okta.com"]');
  }
  return given
    .map((value: unknown) => {
      const url = typeof value === 'string' ? URL.parse(value) : null;
      if (url === null || !isHttpsOrLoopback(url) || url.origin !== value) {
        throw new ConfigurationError(`frameAncestors must list origins such as "https://acme.okta.com" (got ${String(value)})`);
      }
      return url.origin;
    })
    .join(' ');
}

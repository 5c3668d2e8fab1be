import { BoundedCache } from '../core/cache.js';
import type { TokenEndpointAuthMethod } from '../core/client-auth.js';
import { ConfigurationError, TokenError } from '../core/errors.js';
import { requestOrigin } from '../passport/request.js';
import type { OktaRequest } from '../passport/request.js';

/**
 * What a start step saw that loses its pending sign-in on the way back, told only when the
 * callback then finds no pending sign-in for its `state`: the generic "state is unknown"
 * says nothing of the cause, which is nearly always one of these set-up mistakes.
 */
interface StartNote {
  /** The sign-in started on the host `start`, and Okta calls back to another, `callback`. */
  hosts?: { start: string; callback: string };
  /** The session cookie is Secure, and the start request came over plain http. */
  secureCookieOnHttp?: true;
}

/** Notes kept per strategy; the oldest go first. Only starts that look wrong leave one. */
const MAX_NOTES = 1000;
/** A host name or address with an optional port, as a browser sends it. */
const PLAUSIBLE_HOST = /^[A-Za-z0-9.\-[\]:]{1,260}$/;

const SECURE_COOKIE_ON_HTTP =
  'The session cookie is Secure (cookie.secure: true) but this request came over plain http, so the session ' +
  "middleware never gave the browser its cookie: the sign-in's session was lost between its start and Okta's " +
  'callback, and a signed-in user would be too. Behind a proxy that terminates TLS, tell Express to trust it: ' +
  "app.set('trust proxy', 1). Over plain http (development), set cookie.secure to false, or to 'auto'.";

/**
 * Turns the failures a newcomer meets into messages that name the cause and the fix: a
 * Secure session cookie over http, a sign-in started on another host than its callback,
 * Okta refusing the client's credentials. One object per strategy, shared by the objects
 * Passport derives from it.
 */
export class Diagnosis {
  private readonly notes = new BoundedCache<string, StartNote>({ maxEntries: MAX_NOTES });
  /** Each kind of diagnosis is also logged, once per strategy. */
  private readonly logged = new Set<string>();
  /** The last redirect URI's host name: one URL parse per URI, not per sign-in. */
  private readonly callback = { uri: '', host: '' };

  constructor(
    private readonly authMethod: TokenEndpointAuthMethod,
    private readonly trustProxy: boolean,
  ) {}

  /** At the start step: remembers, by `state`, what would make the callback miss this sign-in. */
  noteStart(req: OktaRequest, state: string, redirectURI: string): void {
    const startHost = requestOrigin(req, this.trustProxy).host;
    if (this.callback.uri !== redirectURI) {
      this.callback.host = URL.parse(redirectURI)?.host ?? '';
      this.callback.uri = redirectURI;
    }
    const callbackHost = this.callback.host;
    // Cookies are kept per host name, whatever the port. The Host header is the client's to
    // choose: only a plausible host is kept and shown.
    const elsewhere =
      startHost !== undefined &&
      startHost !== callbackHost &&
      callbackHost !== '' &&
      hostname(startHost) !== hostname(callbackHost) &&
      PLAUSIBLE_HOST.test(startHost);
    const insecure = secureCookieOverHttp(req);
    if (!elsewhere && !insecure) return;
    const note: StartNote = elsewhere ? { hosts: { start: startHost, callback: callbackHost } } : {};
    if (insecure) note.secureCookieOnHttp = true;
    this.notes.set(state, note);
  }

  /**
   * At a callback whose `state` has no pending sign-in: why, when it is known. A
   * {@link ConfigurationError} for a session cookie the browser never gets (the failure
   * page could not show a message kept in that session), a message for a `fail` otherwise.
   */
  unknownState(req: OktaRequest, state: string): ConfigurationError | string | undefined {
    const note = this.notes.get(state);
    this.notes.delete(state);
    if (note?.secureCookieOnHttp === true || secureCookieOverHttp(req)) {
      this.log('secure-cookie', SECURE_COOKIE_ON_HTTP);
      return new ConfigurationError(SECURE_COOKIE_ON_HTTP);
    }
    const hosts = note?.hosts;
    if (hosts !== undefined) {
      const message =
        `This sign-in was started on ${hosts.start}, but Okta sent the browser back to ${hosts.callback} ` +
        `(the host of callbackURL): the browser keeps cookies per host, so the sign-in's session stayed on ` +
        `${hosts.start}. Open the app at ${hosts.callback}, or give callbackURL as a path ` +
        '("/auth/okta/callback") so that it follows the host the app is opened on.';
      this.log('host', message);
      return message;
    }
    return undefined;
  }

  /**
   * The error to report, with a message naming the settings when Okta refused the
   * client's credentials (`invalid_client`): the same object, so `code`, `status`,
   * `oktaStatus` and Okta's fields stay as they were.
   */
  explain(err: Error): Error {
    if (!(err instanceof TokenError) || err.error !== 'invalid_client' || err.message.startsWith(REFUSED)) return err;
    retell(err, `${REFUSED}: ${this.credentialsHint()}. Okta said: ${err.message}`);
    return err;
  }

  private credentialsHint(): string {
    const domain = 'and that oktaDomain is the Okta org of this app';
    switch (this.authMethod) {
      case 'private_key_jwt':
        return `check clientID, privateKey and privateKeyId (the public key registered with the Okta app), ${domain}`;
      case 'none':
        return `check clientID, that the Okta app is a public client (Client authentication: None), ${domain}`;
      default:
        return `check clientID/clientSecret (OKTA_CLIENT_SECRET), ${domain}`;
    }
  }

  private log(kind: string, message: string): void {
    if (this.logged.has(kind)) return;
    this.logged.add(kind);
    console.warn(`passport-okta-oidc: ${message}`);
  }
}

const REFUSED = 'Okta refused the client credentials';

/** `Localhost:3000` → `localhost`, `[::1]:3000` → `[::1]`. */
function hostname(host: string): string {
  return host.replace(/:\d*$/, '').toLowerCase();
}

/**
 * Whether the session cookie is Secure and the request is not https as the session
 * middleware sees it: express-session (and @fastify/session) then send no cookie at all.
 * https is the socket's TLS, or Express's `req.secure`/`req.protocol`, which honour its
 * `trust proxy` setting (the strategy's own `trustProxy` does not reach the session).
 */
function secureCookieOverHttp(req: OktaRequest): boolean {
  const cookie = (req.session as { cookie?: { secure?: unknown } } | undefined)?.cookie;
  if (cookie?.secure !== true) return false;
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  return !encrypted && (req as { secure?: unknown }).secure !== true && req.protocol !== 'https';
}

/** Replaces an error's message, in its stack too (which Express's error page and loggers print). */
function retell(err: Error, message: string): void {
  const header = `${err.name}: ${err.message}`;
  err.message = message;
  if (typeof err.stack === 'string' && err.stack.startsWith(header)) {
    err.stack = `${err.name}: ${message}${err.stack.slice(header.length)}`;
  }
}

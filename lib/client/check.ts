import { ConfigurationError, OktaError, RateLimitError, RequestError } from '../core/errors.js';
import type { OktaEndpoints } from '../core/endpoints.js';
import { failureFrom, parseJSONObject } from '../core/answers.js';
import { send, type HttpSettings } from '../core/http.js';
import type { KeyStore } from '../core/keys.js';

/** What {@link checkServer} needs of a client. */
export interface ServerToCheck {
  http: HttpSettings;
  endpoints: OktaEndpoints;
  /** The issuer ID tokens are checked against. */
  issuer: string;
  keys: KeyStore;
  now: () => number;
}

/** A custom authorization server's endpoint base: `https://{domain}/oauth2/{authServerId}`. */
const CUSTOM_SERVER = /^(https?:\/\/[^/]+)\/oauth2\/([A-Za-z0-9_-]+)\/v1\/keys(?:\?.*)?$/;

/**
 * Asks Okta now what the first sign-in would: for a custom authorization server its
 * discovery document (which must name the issuer ID tokens are checked against), then
 * the key set. A failure that points at the settings or the network becomes a
 * {@link ConfigurationError} saying which (the original error is its `cause`); Okta's own
 * trouble (5xx, 429) is thrown as it came.
 */
export async function checkServer(server: ServerToCheck): Promise<void> {
  const custom = customServer(server.endpoints.keys);
  const origin = new URL(server.endpoints.authorize).origin;
  const place = { origin, authServerId: custom?.authServerId };
  if (custom) {
    const url = `${custom.base}/oauth2/${custom.authServerId}/.well-known/openid-configuration`;
    const what = 'discovery document';
    let issuer: unknown;
    try {
      const answer = await send(server.http, url, { method: 'GET', headers: { accept: 'application/json' } }, what);
      if (answer.status !== 200) throw failureFrom(answer, what, [], server.now());
      issuer = parseJSONObject(answer, what).issuer;
    } catch (err) {
      throw explain(err, what, place);
    }
    if (issuer !== server.issuer) {
      throw new ConfigurationError(
        `Okta's discovery document of authorization server "${custom.authServerId}" names the issuer ${JSON.stringify(issuer)}, ` +
          `but ID tokens are checked against "${server.issuer}": check oktaDomain and authServerId, and the ` +
          "authorization server's Issuer setting in Okta (a custom URL domain, or the Okta URL)",
      );
    }
  }
  let count: number;
  try {
    count = await server.keys.load();
  } catch (err) {
    throw explain(err, 'key set', place);
  }
  if (count === 0) {
    throw new ConfigurationError(`Okta's key set at ${origin} is empty: ID tokens could not be checked`);
  }
}

/** The custom authorization server whose keys URL this is: its base URL and id; undefined for the org server. */
function customServer(keysURL: string): { base: string; authServerId: string } | undefined {
  const match = CUSTOM_SERVER.exec(keysURL);
  if (!match) return undefined;
  const [, base = '', authServerId = ''] = match;
  return { base, authServerId };
}

/** The probable cause of a failed check, as a ConfigurationError; Okta's own failures unchanged. */
function explain(err: unknown, what: string, place: { origin: string; authServerId: string | undefined }): unknown {
  const { origin, authServerId } = place;
  const network = 'check oktaDomain, and that this machine can reach it (behind a proxy, pass the fetch option)';
  if (err instanceof RequestError) {
    const reason = err.timeout ? 'did not answer in time' : `could not be reached (${err.message})`;
    return new ConfigurationError(`Okta at ${origin} ${reason}: ${network}`, { cause: err });
  }
  // Okta's answer (ResponseError, TokenError and the like carry its status): 5xx and 429 are Okta's trouble.
  const status = err instanceof OktaError ? (err as { oktaStatus?: unknown }).oktaStatus : undefined;
  if (typeof status !== 'number' || status >= 500 || err instanceof RateLimitError) return err;
  const answered = `${origin} answered ${status} for Okta's ${what}`;
  if (status === 404 && authServerId !== undefined) {
    return new ConfigurationError(
      `${answered}: it has no authorization server "${authServerId}". Check authServerId (Security > API > ` +
        'Authorization Servers in the admin console: "default" is the default one; leave it unset for the org ' +
        `authorization server), and that oktaDomain ("${origin}") is your Okta org`,
      { cause: err },
    );
  }
  return new ConfigurationError(
    `${answered}, which is not what an Okta org answers: check oktaDomain ("${origin}"), the address your users ` +
      'sign in at (e.g. https://acme.okta.com, not the admin console)' +
      (authServerId === undefined ? '' : `, and authServerId ("${authServerId}")`),
    { cause: err },
  );
}

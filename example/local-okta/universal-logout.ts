/**
 * Universal Logout, Okta's side: what Okta does when an admin clears a user's sessions (or
 * Identity Threat Protection acts). It ends the user's Okta sessions, then POSTs to each
 * app's Global Token Revocation endpoint, as Okta's "Build Universal Logout for your app"
 * guide describes:
 *
 *   POST {endpoint}
 *   Content-Type: application/json
 *   Authorization: Bearer <JWT: typ global-token-revocation+jwt, RS256, signed with the org's
 *     ID-token key; iss the org, sub the app's client_id, aud the endpoint URL without query
 *     or fragment, iat, nbf five minutes back, exp five minutes on, jti>
 *
 *   {"subject":{"format":"email","email":"..."}} or
 *   {"subject":{"format":"iss_sub","iss":"<issuer>","sub":"<user id>"}}
 *
 * Okta's guide names the member `subject`; the draft it links to names it `sub_id`
 * (`member` picks the latter). Okta reads only the status of the answer (204 done, 400,
 * 401, 403, 404, 422), and so does this.
 */
import type { JWK } from 'oidc-provider';
import { signJwt } from './jwt.js';
import type { Settings } from './settings.js';
import type { MemoryStore } from './storage.js';
import type { DemoUser, LocalOktaClient, UniversalLogoutRequest, UniversalLogoutResult } from './types.js';
import { findUser } from './users.js';

const TIMEOUT_MS = 5_000;
/** Okta's JWT lives five minutes, and is valid from five minutes back. */
const FIVE_MINUTES = 5 * 60;

/** What Universal Logout needs of an issuer. */
export interface LogoutIssuer {
  id: string | undefined;
  issuer: string;
  signingKey: JWK;
  store: MemoryStore;
}

/** Ends the user's sessions at every issuer, then calls each app; a bad request throws a `TypeError`. */
export async function universalLogout(
  request: UniversalLogoutRequest,
  issuers: readonly LogoutIssuer[],
  settings: Settings,
): Promise<UniversalLogoutResult[]> {
  const user = findUser(settings.users, request.user);
  if (!user) throw new TypeError(`local Okta: no user '${request.user}'`);
  const signer = issuers.find((candidate) => candidate.id === request.authServerId);
  if (!signer) throw new TypeError(`local Okta: no authorization server '${request.authServerId}'`);
  const targets = targetsOf(request, settings.clients);
  for (const { store } of issuers) store.destroySessionsOf(user.sub);
  if (!settings.quiet) console.log(`[local-okta] Universal Logout of ${user.username}`);
  return Promise.all(targets.map(({ client, endpoint }) => callApp(client, endpoint, user, signer, request)));
}

/** The apps to call: the one named, or every app with an endpoint. */
function targetsOf(request: UniversalLogoutRequest, clients: readonly LocalOktaClient[]) {
  const named = request.clientId === undefined ? undefined : clients.find((c) => c.clientId === request.clientId);
  if (request.clientId !== undefined && !named) throw new TypeError(`local Okta: no client '${request.clientId}'`);
  const chosen = named ? [named] : request.endpoint ? clients.slice(0, 1) : clients.filter((c) => c.universalLogoutUri);
  if (chosen.length === 0) throw new TypeError('local Okta: no client has a universalLogoutUri (pass an endpoint)');
  return chosen.map((client) => {
    const endpoint = URL.parse(request.endpoint ?? client.universalLogoutUri ?? '');
    if (!endpoint || !/^https?:$/.test(endpoint.protocol)) {
      throw new TypeError(`local Okta: client '${client.clientId}' needs an http(s) Universal Logout endpoint`);
    }
    return { client, endpoint };
  });
}

async function callApp(
  client: LocalOktaClient,
  endpoint: URL,
  user: DemoUser,
  signer: LogoutIssuer,
  request: UniversalLogoutRequest,
): Promise<UniversalLogoutResult> {
  const format = request.format ?? client.universalLogoutSubjectFormat ?? 'email';
  const subject = format === 'email' ? { format, email: user.email } : { format, iss: signer.issuer, sub: user.sub };
  const body = { [request.member ?? 'subject']: subject };
  const audience = `${endpoint.origin}${endpoint.pathname}`;
  const nbf = Math.floor(Date.now() / 1000) - FIVE_MINUTES;
  const claims = { iss: signer.issuer, sub: client.clientId, aud: audience, nbf };
  const jwt = await signJwt(signer.signingKey, 'global-token-revocation+jwt', claims, FIVE_MINUTES);
  const result = { clientId: client.clientId, endpoint: endpoint.href, body };
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}` },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await response.body?.cancel();
    return { ...result, status: response.status };
  } catch (err) {
    return { ...result, status: 0, error: err instanceof Error ? err.message : String(err) };
  }
}

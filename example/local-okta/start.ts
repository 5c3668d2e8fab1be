/** Starting and stopping a local Okta: one HTTP server, then its issuers. */
import { createServer } from 'node:http';
import { failRequest } from './http.js';
import { createAuthServer, type AuthServer } from './issuers.js';
import { closeServer, listen, listenAddress, urlHost } from './listen.js';
import { handleRequest } from './router.js';
import { resolveSettings, type Settings } from './settings.js';
import type { DemoUser, LocalOkta, LocalOktaOptions } from './types.js';
import { universalLogout } from './universal-logout.js';

/**
 * Starts the local Okta on `host:port`, with a fresh signing key per issuer: the org
 * authorization server and one custom server per `authServerIds` entry. Two calls make two
 * independent orgs (two tenants): their own port, issuers, keys, sessions and cookies.
 *
 * @throws TypeError for an invalid `authServerIds` entry, or for a client that oidc-provider
 *   refuses (named in the message; the server is then closed again).
 *
 * @example
 * const okta = await startLocalOkta({
 *   clients: [{ clientId: 'app', clientSecret: 's3cret', redirectUris: ['http://127.0.0.1:3000/cb'] }],
 * })
 * okta.issuer('default') // 'http://127.0.0.1:54321/oauth2/default'
 * await okta.close()
 */
export async function startLocalOkta(options: LocalOktaOptions): Promise<LocalOkta> {
  const settings = resolveSettings(options);
  const servers: AuthServer[] = [];
  const httpServer = createServer((req, res) => {
    handleRequest(req, res, servers, settings).catch((err: unknown) => failRequest(res, settings, err));
  });
  const port = await listen(httpServer, listenAddress(settings.host), settings.port);
  const origin = `http://${urlHost(settings.host)}:${port}`;

  try {
    // The issuers need the port, so the providers are made once the server listens.
    for (const id of [undefined, ...settings.authServerIds]) {
      servers.push(await createAuthServer(origin, id, settings, () => servers));
    }
  } catch (err) {
    await closeServer(httpServer);
    throw err;
  }

  const okta: LocalOkta = {
    origin,
    issuer: (authServerId) => (authServerId === undefined ? origin : `${origin}/oauth2/${authServerId}`),
    users: settings.users,
    universalLogout: (request) => universalLogout(request, servers, settings),
    close: () => closeServer(httpServer),
  };
  printBanner(okta, settings);
  return okta;
}

function printBanner(okta: LocalOkta, settings: Settings): void {
  if (settings.quiet) return;
  const lines = [
    `Local Okta listening on ${okta.origin}`,
    `  org authorization server: ${okta.issuer()}`,
    ...settings.authServerIds.map((id) => `  custom authorization server '${id}': ${okta.issuer(id)}`),
    '  users:',
    ...settings.users.map((user) => `    ${user.username} / ${user.password} (${userDetails(user)})`),
    `  Universal Logout: POST ${okta.origin}/admin/universal-logout {"user": "<username>"}`,
  ];
  console.log(lines.join('\n'));
}

function userDetails(user: DemoUser): string {
  const factor = user.oneTimeCode === undefined ? 'no second factor' : `one-time code ${user.oneTimeCode}`;
  return `groups: ${user.groups.join(', ')}; ${factor}`;
}

/** The options of `startLocalOkta`, checked and completed with their defaults. */
import type { DemoUser, LocalOktaClient, LocalOktaOptions } from './types.js';
import { DEMO_USERS } from './users.js';

/** `LocalOktaOptions` with every default filled in; what the other modules read. */
export interface Settings {
  host: string;
  port: number;
  clients: LocalOktaClient[];
  authServerIds: string[];
  quiet: boolean;
  users: DemoUser[];
  authorizationResponseIss: boolean;
  dpopNonce: boolean;
  groupsClaim: boolean;
}

/** Checks the options (a `TypeError` names a bad one) and fills in the defaults. */
export function resolveSettings(options: LocalOktaOptions): Settings {
  for (const id of options.authServerIds ?? []) {
    // `v1` would collide with the org server's `/oauth2/v1/...` endpoints.
    if (!/^[A-Za-z0-9_-]+$/.test(id) || id === 'v1') {
      throw new TypeError(`local Okta: invalid authServerIds entry '${id}'`);
    }
  }
  for (const client of options.clients) checkLogoutUris(client);
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    clients: options.clients,
    authServerIds: options.authServerIds ?? ['default'],
    quiet: options.quiet ?? true,
    users: options.users ?? DEMO_USERS,
    authorizationResponseIss: options.authorizationResponseIss ?? false,
    dpopNonce: options.dpopNonce ?? true,
    groupsClaim: options.groupsClaim ?? false,
  };
}

/** The apps' logout URIs are absolute http(s) URLs without a fragment (Back-Channel Logout 1.0 §2.2). */
function checkLogoutUris(client: LocalOktaClient): void {
  const uris = {
    backchannelLogoutUri: client.backchannelLogoutUri,
    frontchannelLogoutUri: client.frontchannelLogoutUri,
    universalLogoutUri: client.universalLogoutUri,
  };
  for (const [name, uri] of Object.entries(uris)) {
    if (uri === undefined) continue;
    const url = URL.parse(uri);
    if (!url || !/^https?:$/.test(url.protocol) || url.hash) {
      throw new TypeError(`local Okta: client '${client.clientId}': ${name} must be an absolute http(s) URL without a fragment`);
    }
  }
}

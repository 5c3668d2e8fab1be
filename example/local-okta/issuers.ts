/**
 * The issuers: the org authorization server and the custom ones, each its own oidc-provider
 * `Provider` with its own signing key, clients, store and sessions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWK as JoseJWK } from 'jose';
import type { JWK, KoaContextWithOIDC, Provider } from 'oidc-provider';
import { checkClients } from './clients.js';
import { providerConfiguration } from './configuration.js';
import { registerGrants } from './grants.js';
import { createSigningKey, publicJwk } from './keys.js';
import { oidc } from './oidc.js';
import { adjustResponse } from './responses.js';
import type { Settings } from './settings.js';
import { memoryStore, type MemoryStore } from './storage.js';

/** One issuer: the org server (`id` undefined) or a custom authorization server. */
export interface AuthServer {
  id: string | undefined;
  issuer: string;
  /** Path prefix stripped before the provider sees a request ('' for the org server). */
  mountPath: string;
  /** A custom server's API audience (`api://{id}`); undefined for the org server. */
  apiAudience: string | undefined;
  /** The private key of its ID tokens, access tokens, logout tokens and Universal Logout JWTs. */
  signingKey: JWK;
  store: MemoryStore;
  provider: Provider;
  /** The provider's Node request handler. */
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/**
 * Makes the issuer `id` (undefined: the org server) of the local Okta at `origin`; `peers`
 * are all the issuers of this local Okta (the org's custom servers trust each other's access
 * tokens in a token exchange, as Okta's "trusted servers").
 */
export async function createAuthServer(
  origin: string,
  id: string | undefined,
  settings: Settings,
  peers: () => readonly AuthServer[],
): Promise<AuthServer> {
  const mountPath = id === undefined ? '' : `/oauth2/${id}`;
  const issuer = `${origin}${mountPath}`;
  const apiAudience = id === undefined ? undefined : `api://${id}`;
  const signingKey = await createSigningKey();
  const store = memoryStore();
  // Cookie names carry the port: two local Oktas on one host (two orgs) keep their own.
  const port = new URL(origin).port;
  const configuration = providerConfiguration({
    settings,
    origin,
    routePrefix: id === undefined ? '/oauth2/v1' : '/v1',
    apiAudience,
    cookiePrefix: id === undefined ? `okta_${port}_org` : `okta_${port}_as_${id}`,
    signingKey,
    adapter: store.adapter,
  });
  const provider = new (oidc().Provider)(issuer, configuration);
  registerGrants(provider, { audience: apiAudience, trustedServers: () => trustedServers(peers()) });
  // Every ID token carries `sid`, as front- and back-channel logout need it (oidc-provider
  // adds it only for clients registered for its own back-channel logout).
  Object.assign(provider.Client.prototype, { includeSid: () => true });
  const logout = { settings, signingKey };
  provider.use(async (ctx, next) => {
    await next();
    await adjustResponse(ctx as KoaContextWithOIDC, issuer, logout);
  });
  provider.silent = settings.quiet; // Koa would print unexpected errors itself
  listenForEvents(provider, id, settings);
  await checkClients(provider, settings.clients);
  return { id, issuer, mountPath, apiAudience, signingKey, store, provider, handle: provider.callback() };
}

/** The custom servers of an org, by issuer, with the public key and audience of their access tokens. */
function trustedServers(servers: readonly AuthServer[]) {
  return new Map(
    servers.flatMap(({ issuer, apiAudience, signingKey }) =>
      apiAudience === undefined
        ? []
        : [[issuer, { audience: apiAudience, publicKey: publicJwk(signingKey) as JoseJWK }] as const],
    ),
  );
}

function listenForEvents(provider: Provider, id: string | undefined, settings: Settings): void {
  if (settings.quiet) return;
  const name = id === undefined ? 'org' : id;
  provider.on('server_error', (_ctx: unknown, err: Error) => {
    console.error(`[local-okta:${name}] server error:`, err);
  });
  provider.on('end_session.success', () => console.log(`[local-okta:${name}] signed out`));
}

/**
 * The issuers: the org authorization server and the custom ones, each its own oidc-provider
 * `Provider` with its own signing key, clients and sessions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { checkClients } from './clients.js';
import { providerConfiguration } from './configuration.js';
import { registerGrants } from './grants.js';
import { createSigningKey } from './keys.js';
import { oidc } from './oidc.js';
import { adjustResponse } from './responses.js';
import type { Settings } from './settings.js';

/** One issuer: the org server (`id` undefined) or a custom authorization server. */
export interface AuthServer {
  id: string | undefined;
  issuer: string;
  /** Path prefix stripped before the provider sees a request ('' for the org server). */
  mountPath: string;
  provider: Provider;
  /** The provider's Node request handler. */
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}

/** Makes the issuer `id` (undefined: the org server) of the local Okta at `origin`. */
export async function createAuthServer(origin: string, id: string | undefined, settings: Settings): Promise<AuthServer> {
  const mountPath = id === undefined ? '' : `/oauth2/${id}`;
  const issuer = `${origin}${mountPath}`;
  const routePrefix = id === undefined ? '/oauth2/v1' : '/v1';
  const configuration = providerConfiguration({
    settings,
    origin,
    routePrefix,
    apiAudience: id === undefined ? undefined : `api://${id}`,
    cookiePrefix: id === undefined ? 'okta_org' : `okta_as_${id}`,
    signingKey: await createSigningKey(),
  });
  const provider = new (oidc().Provider)(issuer, configuration);
  registerGrants(provider);
  provider.use(async (ctx, next) => {
    await next();
    await adjustResponse(ctx as KoaContextWithOIDC, issuer, settings);
  });
  provider.silent = settings.quiet; // Koa would print unexpected errors itself
  listenForEvents(provider, id, settings);
  await checkClients(provider, settings.clients);
  return { id, issuer, mountPath, provider, handle: provider.callback() };
}

function listenForEvents(provider: Provider, id: string | undefined, settings: Settings): void {
  if (settings.quiet) return;
  const name = id === undefined ? 'org' : id;
  provider.on('server_error', (_ctx: unknown, err: Error) => {
    console.error(`[local-okta:${name}] server error:`, err);
  });
  provider.on('end_session.success', () => console.log(`[local-okta:${name}] signed out`));
}

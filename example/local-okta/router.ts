/**
 * HTTP routing: one Node server for every issuer. The provider's own pages come first, then
 * each request goes to the issuer whose paths it names.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleUniversalLogout } from './admin.js';
import { page } from './html.js';
import { sendHtml } from './http.js';
import type { AuthServer } from './issuers.js';
import { handleLogin } from './login.js';
import type { Settings } from './settings.js';

/** A page served outside the issuers; `id` is the path's first capture ('' without one). */
interface Route {
  path: RegExp;
  handle(req: IncomingMessage, res: ServerResponse, id: string, servers: AuthServer[], settings: Settings): Promise<void>;
}

/** The provider's own pages, tried in order before the issuers' paths. */
const ROUTES: readonly Route[] = [
  { path: /^\/login\/([A-Za-z0-9_-]+)$/, handle: handleLogin },
  { path: /^\/admin\/universal-logout$/, handle: handleUniversalLogout },
];

/** Answers one request of the local Okta's HTTP server. */
export async function handleRequest(
  req: IncomingMessage,
  res: ServerResponse,
  servers: AuthServer[],
  settings: Settings,
): Promise<void> {
  const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
  for (const route of ROUTES) {
    const match = route.path.exec(pathname);
    if (match) {
      await route.handle(req, res, match[1] ?? '', servers, settings);
      return;
    }
  }
  const server = serverForPath(pathname, servers);
  if (!server) {
    sendHtml(res, 404, page('Not found', '<h1>Not found</h1>'));
    return;
  }
  if (server.mountPath) {
    // oidc-provider's routes are relative to its mount point; it finds that mount point
    // again from req.originalUrl when it builds absolute URLs.
    const originalUrl = req.url ?? '/';
    const rest = originalUrl.slice(server.mountPath.length);
    Object.assign(req, { originalUrl, url: rest.startsWith('/') ? rest : `/${rest}` });
  }
  await server.handle(req, res);
}

function serverForPath(pathname: string, servers: AuthServer[]): AuthServer | undefined {
  if (pathname.startsWith('/oauth2/v1/') || pathname.startsWith('/.well-known/')) {
    return servers.find((server) => server.id === undefined);
  }
  return servers.find(
    (server) => server.mountPath && (pathname === server.mountPath || pathname.startsWith(`${server.mountPath}/`)),
  );
}

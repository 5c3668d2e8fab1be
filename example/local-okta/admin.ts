/**
 * The provider's admin actions over HTTP, for tests and for `npm run okta:local --
 * universal-logout`: `POST /admin/universal-logout` with a JSON `UniversalLogoutRequest`
 * answers 200 `{ "results": UniversalLogoutResult[] }`, or 400 `{ error, error_description }`.
 * Only JSON is taken, so that a web page cannot post it across sites without a CORS
 * preflight, which this server never allows. For development only: it has no credentials.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './http.js';
import type { AuthServer } from './issuers.js';
import type { Settings } from './settings.js';
import type { UniversalLogoutRequest } from './types.js';
import { universalLogout } from './universal-logout.js';

/** Serves `POST /admin/universal-logout`. */
export async function handleUniversalLogout(
  req: IncomingMessage,
  res: ServerResponse,
  _id: string,
  servers: AuthServer[],
  settings: Settings,
): Promise<void> {
  if (req.method !== 'POST') return sendJson(res, 405, { error: 'invalid_request', error_description: 'POST only' });
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
    return sendJson(res, 415, { error: 'invalid_request', error_description: 'send application/json' });
  }
  let request: UniversalLogoutRequest;
  try {
    request = parseRequest(JSON.parse(await readBody(req)));
    sendJson(res, 200, { results: await universalLogout(request, servers, settings) });
  } catch (err) {
    if (!(err instanceof TypeError || err instanceof SyntaxError)) throw err;
    sendJson(res, 400, { error: 'invalid_request', error_description: err.message });
  }
}

function parseRequest(value: unknown): UniversalLogoutRequest {
  if (typeof value !== 'object' || value === null) throw new TypeError('the body must be a JSON object');
  const fields = value as Record<string, unknown>;
  const text = (name: string): string | undefined => {
    const field = fields[name];
    if (field !== undefined && typeof field !== 'string') throw new TypeError(`'${name}' must be a string`);
    return field;
  };
  const user = text('user');
  if (!user) throw new TypeError("'user' is required");
  const format = text('format');
  if (format !== undefined && format !== 'email' && format !== 'iss_sub') throw new TypeError("'format' is email or iss_sub");
  const member = text('member');
  if (member !== undefined && member !== 'subject' && member !== 'sub_id') throw new TypeError("'member' is subject or sub_id");
  return { user, format, member, clientId: text('clientId'), endpoint: text('endpoint'), authServerId: text('authServerId') };
}

function sendJson(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}

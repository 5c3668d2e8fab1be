/**
 * A fast stand-in for Okta's OpenID Connect endpoints, for the benchmark only. It runs
 * in its own process (started by bench/run.ts) on 127.0.0.1 and serves any number of
 * custom authorization servers, `/oauth2/{authServerId}/...`:
 *
 * - `GET  v1/authorize`: checks the request as Okta does (client, redirect URI, `state`,
 *   PKCE S256 unless the app is set to not require it), then redirects straight back to
 *   the redirect URI with a one-use code; there is no sign-in page.
 * - `POST v1/token`: client authentication (Basic or in the body), the code (one use),
 *   redirect URI and PKCE verifier; answers with an opaque access token and an RS256 ID
 *   token carrying the nonce of the authorization request, if it had one.
 * - `GET  v1/keys`, `GET v1/userinfo`, `GET .well-known/openid-configuration`.
 * - `GET /__counts`: requests counted per authorization server and endpoint.
 * - `GET /__first`: when each authorization server's endpoints first finished an answer
 *   (epoch milliseconds, fractional), for the time-to-ready figures of bench/latency.ts.
 *
 * `BENCH_STUB_DELAY_MS=30` delays every answer of the Okta endpoints by that long, as a
 * network and a real Okta would (bench/latency.ts measures what users wait for with it).
 *
 * The signing key is made once at start; ID tokens are signed with node:crypto.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  contenders,
  LATENCY_CONTENDERS,
  USER_SUB,
  type EndpointName,
  type StubCounts,
} from './config.js';

interface PendingCode {
  authServerId: string;
  redirectURI: string;
  scope: string;
  nonce: string | undefined;
  challenge: string | undefined;
  expiresAt: number;
}

const KID = 'benchkey1';
const CODE_LIFETIME_MS = 60_000;
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwks = JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: KID, alg: 'RS256', use: 'sig' }] });
const idTokenHeader = b64url(JSON.stringify({ kid: KID, alg: 'RS256' }));
const requirePkce = new Map([...contenders(), ...LATENCY_CONTENDERS].map((c) => [c.authServerId, c.requirePkce]));
const codes = new Map<string, PendingCode>();
const counts: StubCounts = {};
const firstAnswers: Record<string, Partial<Record<EndpointName, number>>> = {};
const DELAY_MS = Number(process.env.BENCH_STUB_DELAY_MS ?? 0);
let origin = '';

const ROUTE = /^\/oauth2\/([A-Za-z0-9_-]+)\/(v1\/authorize|v1\/token|v1\/keys|v1\/userinfo|\.well-known\/openid-configuration)$/;
const ENDPOINTS: Record<string, EndpointName> = {
  'v1/authorize': 'authorize',
  'v1/token': 'token',
  'v1/keys': 'keys',
  'v1/userinfo': 'userinfo',
  '.well-known/openid-configuration': 'discovery',
};

function b64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

function count(authServerId: string, endpoint: EndpointName): void {
  const row = (counts[authServerId] ??= { authorize: 0, token: 0, keys: 0, userinfo: 0, discovery: 0, other: 0 });
  row[endpoint]++;
}

function json(res: ServerResponse, status: number, body: string | object): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    pragma: 'no-cache',
  });
  res.end(text);
}

function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  json(res, status, { error, error_description: description });
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function issuerOf(authServerId: string): string {
  return `${origin}/oauth2/${authServerId}`;
}

function authorize(authServerId: string, url: URL, res: ServerResponse): void {
  const q = url.searchParams;
  const redirectURI = q.get('redirect_uri');
  if (q.get('client_id') !== CLIENT_ID || !redirectURI || !URL.canParse(redirectURI)) {
    return oauthError(res, 400, 'invalid_request', 'unknown client or bad redirect_uri');
  }
  const back = new URL(redirectURI);
  const state = q.get('state');
  const refuse = (error: string, description: string): void => {
    back.searchParams.set('error', error);
    back.searchParams.set('error_description', description);
    if (state) back.searchParams.set('state', state);
    res.writeHead(302, { location: back.href, 'content-length': 0 }).end();
  };
  if (q.get('response_type') !== 'code') return refuse('unsupported_response_type', 'only code is supported');
  // Okta refuses an authorization request without state.
  if (!state) return refuse('invalid_request', "The 'state' parameter is required");
  const scope = q.get('scope') ?? '';
  if (!scope.split(' ').includes('openid')) return refuse('invalid_scope', 'openid is required');
  const challenge = q.get('code_challenge') ?? undefined;
  if (challenge !== undefined && q.get('code_challenge_method') !== 'S256') {
    return refuse('invalid_request', 'code_challenge_method must be S256');
  }
  if (challenge === undefined && requirePkce.get(authServerId) !== false) {
    return refuse('invalid_request', 'PKCE code challenge is required by the application');
  }
  const code = randomBytes(24).toString('base64url');
  codes.set(code, {
    authServerId,
    redirectURI,
    scope,
    nonce: q.get('nonce') ?? undefined,
    challenge,
    expiresAt: Date.now() + CODE_LIFETIME_MS,
  });
  back.searchParams.set('code', code);
  back.searchParams.set('state', state);
  res.writeHead(302, { location: back.href, 'content-length': 0 }).end();
}

function clientAuthenticated(req: IncomingMessage, form: URLSearchParams): boolean {
  const header = req.headers.authorization;
  if (header?.startsWith('Basic ')) {
    if (form.has('client_secret')) return false; // Okta refuses credentials sent twice
    const decoded = Buffer.from(header.slice(6), 'base64').toString();
    const colon = decoded.indexOf(':');
    const id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
    const secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    return id === CLIENT_ID && sameSecret(secret, CLIENT_SECRET);
  }
  return form.get('client_id') === CLIENT_ID && sameSecret(form.get('client_secret') ?? '', CLIENT_SECRET);
}

function token(authServerId: string, req: IncomingMessage, body: string, res: ServerResponse): void {
  const form = new URLSearchParams(body);
  if (!clientAuthenticated(req, form)) return oauthError(res, 401, 'invalid_client', 'Client authentication failed.');
  if (form.get('grant_type') !== 'authorization_code') return oauthError(res, 400, 'unsupported_grant_type', 'code only');
  const code = form.get('code') ?? '';
  const pending = codes.get(code);
  codes.delete(code);
  if (!pending || pending.authServerId !== authServerId || pending.expiresAt < Date.now()) {
    return oauthError(res, 400, 'invalid_grant', 'The authorization code is invalid or has expired.');
  }
  if (form.get('redirect_uri') !== pending.redirectURI) {
    return oauthError(res, 400, 'invalid_grant', "The 'redirect_uri' does not match the authorization request.");
  }
  const verifier = form.get('code_verifier');
  if (pending.challenge !== undefined) {
    const computed = verifier ? createHash('sha256').update(verifier).digest('base64url') : '';
    if (computed !== pending.challenge) return oauthError(res, 400, 'invalid_grant', 'PKCE verification failed.');
  } else if (verifier) {
    return oauthError(res, 400, 'invalid_request', 'code_verifier without a code_challenge');
  }
  const now = Math.floor(Date.now() / 1000);
  const scopes = pending.scope.split(' ');
  // Okta's code-flow ID token is thin: auth claims, plus name/username/email with those scopes.
  const claims: Record<string, unknown> = {
    sub: USER_SUB,
    ver: 1,
    iss: issuerOf(authServerId),
    aud: CLIENT_ID,
    iat: now,
    exp: now + 3600,
    jti: `ID.${randomBytes(16).toString('base64url')}`,
    amr: ['pwd'],
    idp: '00obenchidp',
    auth_time: now - 5,
  };
  if (pending.nonce !== undefined) claims.nonce = pending.nonce;
  if (scopes.includes('profile')) {
    claims.name = 'Bench User';
    claims.preferred_username = 'bench.user@example.com';
  }
  if (scopes.includes('email')) claims.email = 'bench.user@example.com';
  const signingInput = `${idTokenHeader}.${b64url(JSON.stringify(claims))}`;
  const signature = sign('sha256', Buffer.from(signingInput), privateKey).toString('base64url');
  json(res, 200, {
    token_type: 'Bearer',
    expires_in: 3600,
    // Opaque to the client; userinfo reads the subject back out of it.
    access_token: `at.${b64url(USER_SUB)}.${randomBytes(24).toString('base64url')}`,
    scope: pending.scope,
    id_token: `${signingInput}.${signature}`,
  });
}

function userinfo(req: IncomingMessage, res: ServerResponse): void {
  const header = req.headers.authorization ?? '';
  const parts = header.startsWith('Bearer at.') ? header.slice(10).split('.') : [];
  if (parts.length !== 2) {
    res.setHeader('www-authenticate', 'Bearer error="invalid_token"');
    return oauthError(res, 401, 'invalid_token', 'The access token is invalid.');
  }
  const sub = Buffer.from(parts[0]!, 'base64url').toString();
  json(res, 200, {
    sub,
    name: 'Bench User',
    given_name: 'Bench',
    family_name: 'User',
    preferred_username: 'bench.user@example.com',
    email: 'bench.user@example.com',
    email_verified: true,
  });
}

function discovery(authServerId: string, res: ServerResponse): void {
  const issuer = issuerOf(authServerId);
  json(res, 200, {
    issuer,
    authorization_endpoint: `${issuer}/v1/authorize`,
    token_endpoint: `${issuer}/v1/token`,
    userinfo_endpoint: `${issuer}/v1/userinfo`,
    jwks_uri: `${issuer}/v1/keys`,
    response_types_supported: ['code'],
    response_modes_supported: ['query', 'form_post'],
    grant_types_supported: ['authorization_code'],
    subject_types_supported: ['public'],
    scopes_supported: ['openid', 'profile', 'email'],
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['S256'],
  });
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', origin);
  if (url.pathname === '/__counts') return json(res, 200, counts);
  if (url.pathname === '/__first') {
    const answer = json(res, 200, firstAnswers);
    // `?reset=1`: forget them, for the next app process of the same authorization server.
    if (url.searchParams.get('reset') === '1') for (const id of Object.keys(firstAnswers)) delete firstAnswers[id];
    return answer;
  }
  const match = ROUTE.exec(url.pathname);
  if (!match) {
    count('(none)', 'other');
    return json(res, 404, { error: 'not_found' });
  }
  const authServerId = match[1]!;
  const endpoint = ENDPOINTS[match[2]!]!;
  count(authServerId, endpoint);
  res.on('finish', () => {
    const first = (firstAnswers[authServerId] ??= {});
    first[endpoint] ??= performance.timeOrigin + performance.now();
  });
  if (DELAY_MS > 0) setTimeout(() => answer(authServerId, endpoint, url, req, res), DELAY_MS);
  else answer(authServerId, endpoint, url, req, res);
});

function answer(authServerId: string, endpoint: EndpointName, url: URL, req: IncomingMessage, res: ServerResponse): void {
  if (endpoint === 'token') {
    if (req.method !== 'POST') return oauthError(res, 405, 'invalid_request', 'POST only');
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => token(authServerId, req, body, res));
    return;
  }
  req.resume();
  if (endpoint === 'authorize') return authorize(authServerId, url, res);
  if (endpoint === 'keys') return json(res, 200, jwks);
  if (endpoint === 'userinfo') return userinfo(req, res);
  return discovery(authServerId, res);
}
// The apps keep their connections to the stub open between the benchmark's rounds.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;

// Codes of abandoned sign-ins do not pile up.
setInterval(() => {
  const now = Date.now();
  for (const [code, pending] of codes) if (pending.expiresAt < now) codes.delete(code);
}, 10_000).unref();

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  if (process.send) process.send({ type: 'ready', port });
  else console.log(`Okta stub on ${origin}`);
});
process.on('disconnect', () => process.exit(0));

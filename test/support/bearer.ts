import { createHash, randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import express from 'express';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { Passport } from 'passport';
import {
  OktaBearerStrategy,
  requireScopes,
  type BearerVerifyFunction,
  type OktaBearerAuthInfo,
  type OktaBearerStrategyOptions,
} from '../../lib/bearer.js';
import { listen, type Listening } from './server.js';

// Helpers for the OktaBearerStrategy tests: a local Okta serving keys and introspection
// on 127.0.0.1, access tokens and DPoP proofs signed with jose, an API over real HTTP.

export const AUDIENCE = 'api://default';

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export async function signingKey(kid: string, alg = 'RS256'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export interface DPoPKey {
  alg: string;
  privateKey: CryptoKey;
  jwk: JWK;
  jkt: string;
}

export async function dpopKey(alg = 'ES256'): Promise<DPoPKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { alg, privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

/** What the local Okta was asked, and how it answers introspection. */
export interface FakeOktaServer extends Listening {
  issuer: string;
  keys: SigningKey[];
  keyFetches: number;
  introspections: URLSearchParams[];
  introspectionAuth: Array<string | undefined>;
  /** The introspection answer for a token; default `{ active: false }`. */
  introspect: (token: string) => Record<string, unknown>;
  /** A whole introspection answer (status, headers, body) instead of a 200 with `introspect`'s body. */
  introspectReply: ((token: string) => { status: number; headers?: Record<string, string>; body?: unknown }) | undefined;
  keysStatus: number;
  /** Milliseconds the key set answer waits. */
  keysDelay: number;
}

/** A custom server `default` and the org server, on one port of 127.0.0.1. */
export async function startFakeOkta(keys: SigningKey[]): Promise<FakeOktaServer> {
  const state = {
    keys,
    keyFetches: 0,
    introspections: [] as URLSearchParams[],
    introspectionAuth: [] as Array<string | undefined>,
    introspect: (() => ({ active: false })) as (token: string) => Record<string, unknown>,
    introspectReply: undefined as FakeOktaServer['introspectReply'],
    keysStatus: 200,
    keysDelay: 0,
  };
  const listening = await listen((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'GET' && (path === '/oauth2/default/v1/keys' || path === '/oauth2/v1/keys')) {
      server.keyFetches++;
      const answer = JSON.stringify({ keys: server.keys.map((k) => k.jwk) });
      setTimeout(() => {
        res.writeHead(server.keysStatus, { 'content-type': 'application/json' });
        res.end(answer);
      }, server.keysDelay);
      return;
    }
    if (req.method === 'POST' && (path === '/oauth2/default/v1/introspect' || path === '/oauth2/v1/introspect')) {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        server.introspections.push(form);
        server.introspectionAuth.push(req.headers.authorization);
        const reply = server.introspectReply?.(form.get('token') ?? '');
        if (reply !== undefined) {
          res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
          res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(server.introspect(form.get('token') ?? '')));
      });
      return;
    }
    res.writeHead(404);
    res.end();
  });
  const server: FakeOktaServer = Object.assign(state, listening, { issuer: `${listening.origin}/oauth2/default` });
  return server;
}

/** Claims of an Okta access token for a user, issued `now` (seconds). */
export function accessClaims(issuer: string, extra: Record<string, unknown> = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return {
    ver: 1,
    jti: `AT.${randomUUID()}`,
    iss: issuer,
    aud: AUDIENCE,
    iat: now,
    exp: now + 3600,
    cid: '0oaspa',
    uid: '00ualice',
    scp: ['openid', 'orders:read'],
    auth_time: now - 10,
    sub: 'alice@example.com',
    ...extra,
  };
}

export function signToken(
  key: SigningKey,
  claims: JWTPayload,
  header: Record<string, unknown> = { typ: 'application/okta-internal-at+jwt' },
): Promise<string> {
  const payload = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey);
}

export const ath = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** A DPoP proof for `method url` bound to `token`; claims and header can be overridden (undefined removes). */
export function proof(
  key: DPoPKey,
  method: string,
  url: string,
  token: string | undefined,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  const payload: Record<string, unknown> = {
    htm: method,
    htu: url,
    iat: Math.floor(Date.now() / 1000),
    jti: randomUUID(),
    ...(token === undefined ? {} : { ath: ath(token) }),
    ...claims,
  };
  const clean = Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined));
  return new SignJWT(clean).setProtectedHeader({ typ: 'dpop+jwt', alg: key.alg, jwk: key.jwk, ...header }).sign(key.privateKey);
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request over node:http, which (unlike fetch) can repeat a header on its own lines. */
export function call(url: string, headers: Record<string, string | string[]> = {}, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

export interface Api extends Listening {
  strategy: OktaBearerStrategy;
}

/** An Express API with `/api/me` and the `orders:read` route `/api/orders`, guarded by the strategy. */
export async function startApi(
  options: Partial<OktaBearerStrategyOptions> & Pick<OktaBearerStrategyOptions, 'oktaDomain'>,
  verify?: BearerVerifyFunction,
): Promise<Api> {
  const passport = new Passport();
  const strategy = new OktaBearerStrategy({ authServerId: 'default', audience: AUDIENCE, ...options }, verify);
  passport.use(strategy);
  const app = express();
  app.set('trust proxy', false);
  const guard = passport.authenticate('okta-bearer', { session: false }) as express.RequestHandler;
  const me: express.RequestHandler = (req, res) => {
    const info = req.authInfo as OktaBearerAuthInfo;
    res.json({ user: req.user, scopes: info.scopes, tokenType: info.tokenType, sub: info.claims.sub });
  };
  app.get('/api/me', guard, me);
  app.post('/api/me', guard, me);
  app.get('/api/orders', guard, requireScopes('orders:read') as unknown as express.RequestHandler, (_req, res) =>
    res.json({ orders: [] }),
  );
  app.use((err: Error & { status?: number }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(err.status ?? 500).json({ error: err.name, message: err.message });
  });
  const listening = await listen(app as unknown as http.RequestListener);
  return { ...listening, strategy };
}

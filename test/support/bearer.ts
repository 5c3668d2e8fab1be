import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import express from 'express';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { Passport } from 'passport';
import {
  oktaBearer,
  OktaBearerStrategy,
  requireScopes,
  type BearerVerifyFunction,
  type OktaBearerAuthInfo,
  type OktaBearerStrategyOptions,
} from '../../lib/bearer.js';
import { makeKey, type TestKey } from './okta-mock.js';
import { listen, type Listening } from './server.js';

// Helpers for the OktaBearerStrategy tests: access tokens and DPoP proofs signed with jose,
// an API over real HTTP. Okta's keys and introspection are the hostile provider's
// (test/support/hostile-okta.ts, with `orgServer` for the org authorization server).

/** An Okta signing key: a private key and its published JWK. */
export type SigningKey = TestKey;
/** A signing key like one of Okta's (RS256 unless said). */
export const signingKey = makeKey;

export const AUDIENCE = 'api://default';

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
  /** The strategy (undefined when the API uses `oktaBearer()`). */
  strategy: OktaBearerStrategy | undefined;
}

/** How an API applies the check: `passport.authenticate('okta-bearer')`, or the Passport-free `oktaBearer()`. */
export type BearerVia = 'passport' | 'middleware';

/** The guard of an Express route, through Passport or not. */
export function bearerGuard(
  options: OktaBearerStrategyOptions,
  verify: BearerVerifyFunction | undefined,
  via: BearerVia,
): { guard: express.RequestHandler; strategy: OktaBearerStrategy | undefined } {
  if (via === 'middleware')
    return { guard: oktaBearer(options, verify) as unknown as express.RequestHandler, strategy: undefined };
  const passport = new Passport();
  const strategy = new OktaBearerStrategy(options, verify);
  passport.use(strategy);
  return { guard: passport.authenticate('okta-bearer', { session: false }) as express.RequestHandler, strategy };
}

/** An Express API with `/api/me` and the `orders:read` route `/api/orders`, guarded by the strategy (or `oktaBearer()`). */
export async function startApi(
  options: Partial<OktaBearerStrategyOptions> & Pick<OktaBearerStrategyOptions, 'oktaDomain'>,
  verify?: BearerVerifyFunction,
  via: BearerVia = 'passport',
): Promise<Api> {
  // These tests count Okta's requests from the first API request on; the fetch at construction
  // (prefetchKeys) is tested in test/integration/sign-in-latency.test.ts.
  const { guard, strategy } = bearerGuard(
    { authServerId: 'default', audience: AUDIENCE, prefetchKeys: false, ...options },
    verify,
    via,
  );
  const app = express();
  app.set('trust proxy', false);
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

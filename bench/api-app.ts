/**
 * One API contender, in its own process: Express 5 and one way of checking Okta access
 * tokens on the same route, `GET /api/orders` (scope `orders:read`), answering
 * `{ ok: true, sub }`. No session: every request carries its token.
 *
 *   node --expose-gc --import tsx bench/api-app.ts <contender> <issuer>
 *
 * Admin routes, mounted first: `GET /__stats` (this process's `process.cpuUsage()`,
 * `process.memoryUsage()` and the DPoP replay store's size), `GET /__gc` (full GCs first).
 */
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { auth, requiredScopes } from 'express-oauth2-jwt-bearer';
import OktaJwtVerifier from '@okta/jwt-verifier';
import { importJWK, jwtVerify, type JWK } from 'jose';
import { Passport } from 'passport';
import type { MemoryDPoPReplayStore } from '../lib/bearer.js';
import type { OktaBearerAuthInfo } from '../lib/bearer.js';
import { API_AUDIENCE, type ApiContenderId } from './api-config.js';
import { loadPackage, SHIPPED_BUILD, type OktaPackage } from './config.js';
import { markThreads, threadCpu } from './threads.js';

const [id, issuer] = process.argv.slice(2) as [ApiContenderId, string];

async function guard(pkg: OktaPackage, replay: MemoryDPoPReplayStore): Promise<RequestHandler[]> {
  const { OktaBearerStrategy, oktaBearer, requireScopes } = pkg;
  switch (id) {
    case 'okta-middleware': {
      const bearer = oktaBearer({
        oktaDomain: new URL(issuer).origin,
        authServerId: 'default',
        audience: API_AUDIENCE,
        dpopReplayStore: replay,
      });
      return [bearer as unknown as RequestHandler, requireScopes('orders:read') as unknown as RequestHandler];
    }
    case 'jose': {
      // The floor: what any check of these tokens with jose must do, the key imported once.
      const { keys } = (await (await fetch(`${issuer}/v1/keys`)).json()) as { keys: JWK[] };
      const key = await importJWK(keys[0]!, 'RS256');
      const check: RequestHandler = (req, res, next) => {
        const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
        if (!match) return void res.status(401).end();
        jwtVerify(match[1]!, key, { issuer, audience: API_AUDIENCE, algorithms: ['RS256'] }).then(
          ({ payload }) => {
            const scp = payload.scp as unknown;
            if (!Array.isArray(scp) || !scp.includes('orders:read')) return void res.status(403).end();
            req.user = { sub: payload.sub };
            next();
          },
          () => void res.status(401).end(),
        );
      };
      return [check];
    }
    case 'okta':
    case 'okta-candidate':
    case 'okta-nocache':
    case 'okta-dpop': {
      const passport = new Passport();
      const domain = new URL(issuer).origin;
      passport.use(
        new OktaBearerStrategy({
          oktaDomain: domain,
          authServerId: 'default',
          audience: API_AUDIENCE,
          dpop: id === 'okta-dpop' ? 'required' : 'allowed',
          dpopReplayStore: replay,
          verifiedTokenCacheSize: id === 'okta-nocache' ? 0 : undefined,
        }),
      );
      const scopes = requireScopes('orders:read') as unknown as RequestHandler;
      return [passport.authenticate('okta-bearer', { session: false }) as RequestHandler, scopes];
    }
    case 'okta-jwt-verifier': {
      const verifier = new OktaJwtVerifier({ issuer, testing: { disableHttpsCheck: true } });
      const check: RequestHandler = (req, res, next) => {
        const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
        if (!match) return void res.status(401).end();
        verifier.verifyAccessToken(match[1]!, API_AUDIENCE).then(
          (jwt) => {
            const scp = jwt.claims.scp as unknown;
            if (!Array.isArray(scp) || !scp.includes('orders:read')) return void res.status(403).end();
            req.user = { sub: jwt.claims.sub };
            next();
          },
          () => void res.status(401).end(),
        );
      };
      return [check];
    }
    case 'auth0':
    case 'auth0-dpop':
      return [
        auth({
          issuer,
          jwksUri: `${issuer}/v1/keys`,
          audience: API_AUDIENCE,
          tokenSigningAlg: 'RS256',
          dpop: id === 'auth0-dpop' ? { enabled: true, required: true } : { enabled: false },
        }),
        requiredScopes('orders:read'),
        (req, _res, next) => {
          req.user = { sub: req.auth?.payload.sub };
          next();
        },
      ];
  }
}

async function main(): Promise<void> {
  // The package as shipped (dist/index.mjs), as in the sign-in rows: not lib/ through tsx.
  // BENCH_API_CANDIDATE: another build for the okta-candidate row (e.g. the one before a change).
  const pkg = await loadPackage(id === 'okta-candidate' ? process.env.BENCH_API_CANDIDATE! : SHIPPED_BUILD);
  // Sized for the memory reading: 100,000 DPoP requests at full speed fall inside one proof
  // window, all from the load's one client key (so no per-key share: the default, a tenth,
  // answered the last of them 503 once the rounds before had filled 100,000).
  const replay = new pkg.MemoryDPoPReplayStore({ maxEntries: 1_000_000, maxEntriesPerKey: 1_000_000 });
  await markThreads();
  const stats = () => ({
    cpu: process.cpuUsage(),
    threads: threadCpu(),
    memory: process.memoryUsage(),
    replayEntries: replay.size,
  });
  const app = express();
  app.disable('x-powered-by');
  app.get('/__stats', (_req, res) => {
    res.json(stats());
  });
  app.get('/__gc', (_req, res) => {
    const gc = (globalThis as { gc?: () => void }).gc;
    for (let i = 0; i < 3; i++) gc?.();
    res.json(stats());
  });
  app.get('/api/orders', ...(await guard(pkg, replay)), (req: Request, res: Response) => {
    const info = req.authInfo as OktaBearerAuthInfo | undefined;
    res.json({ ok: true, sub: (req.user as { sub?: string } | undefined)?.sub ?? info?.claims.sub });
  });
  app.use((err: Error & { status?: number }, _req: Request, res: Response, _next: NextFunction) => {
    res.status(err.status ?? 500).end();
  });
  const server = app.listen(0, '127.0.0.1', () => {
    process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
  });
  server.keepAliveTimeout = 60_000;
  process.on('disconnect', () => server.close(() => process.exit(0)));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

/**
 * passport-okta-oidc's own code without Express around it, two builds side by side: the
 * start step (secrets, authorize URL, pending login saved in a session object, redirect),
 * a token-endpoint round trip (a revoke: form, Basic credentials, node:http, answer) and a
 * code redemption (token request, answer parsed, ID token verified by jose with the cached
 * key, claims checked) against a keep-alive server in a child process. 12 interleaved rounds; prints the
 * medians and the median of per-round ratios (new/old).
 *
 *   npm run build && mkdir -p bench/out/before && cp dist/index.mjs bench/out/before/   # before a change
 *   npm run build && npx tsx bench/micro.ts bench/out/before/index.mjs dist/index.mjs  # after it
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OktaClient } from '../lib/client.js';
import { loadPackage, type OktaPackage } from './config.js';
import type { OktaStrategy } from '../lib/index.js';
import type { OktaRequest } from '../lib/passport/request.js';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

type Build = OktaPackage;
type Redirecting = OktaStrategy & { redirect(url: string): void; error(err: Error): void };

/** The child: `{}` for revokes, the key set, and always the same token answer (one signed ID token). */
function serve(): void {
  let answers: { keys: string; token: string } | undefined;
  process.on('message', (m: { keys: string; token: string }) => (answers = m));
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      const url = req.url ?? '';
      res.end(url.endsWith('/v1/keys') ? answers?.keys : url.endsWith('/v1/token') ? answers?.token : '{}');
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send!((server.address() as AddressInfo).port));
  process.on('disconnect', () => process.exit(0));
}

const NONCE = 'micro-bench-nonce';

/** Signs one ID token for `issuer` and hands the child its key set and token answer. */
async function provideTokens(server: ReturnType<typeof fork>, issuer: string): Promise<void> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const idToken = await new SignJWT({ sub: '00u1', nonce: NONCE })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setIssuer(issuer)
    .setAudience('0oaclient')
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(privateKey);
  const token = { access_token: 'at', token_type: 'Bearer', expires_in: 3600, scope: 'openid', id_token: idToken };
  server.send({ keys: JSON.stringify({ keys: [jwk] }), token: JSON.stringify(token) });
}

async function redemptions(client: OktaClient, n: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next++ < n)
        await client.redeemAuthorizationCode('code', 'verifier-0123456789-0123456789-0123456789', { nonce: NONCE });
    }),
  );
}

async function load(file: string): Promise<Build> {
  return loadPackage(file);
}

async function roundTrips(client: OktaClient, n: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next++ < n) await client.revokeToken('token');
    }),
  );
}

function starts(strategy: Redirecting, n: number): Promise<void> {
  return new Promise((resolve) => {
    let done = 0;
    strategy.redirect = () => {
      if (++done === n) resolve();
    };
    strategy.error = (err) => {
      throw err;
    };
    for (let i = 0; i < n; i++) {
      const req = { method: 'GET', url: '/login', headers: { host: 'app.example:3000' }, query: {}, session: {} };
      strategy.authenticate(req as unknown as OktaRequest, {});
    }
  });
}

async function cpu(run: () => Promise<void>, n: number): Promise<number> {
  const before = process.cpuUsage();
  await run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

async function main(): Promise<void> {
  const [oldFile, newFile] = process.argv.slice(2);
  if (!oldFile || !newFile) throw new Error('usage: tsx bench/micro.ts <old build .mjs> <new build .mjs>');
  const server = fork(__filename, ['--serve'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) => server.once('message', (p: number) => resolve(p)));
  const origin = `http://127.0.0.1:${port}`;
  await provideTokens(server, `${origin}/oauth2/x`);
  const builds = { old: await load(oldFile), new: await load(newFile) };
  const kinds = ['old', 'new'] as const;
  const clients = Object.fromEntries(
    kinds.map((k) => [
      k,
      new builds[k].OktaClient(origin, '0oaclient', 'a-client-secret', `${origin}/cb`, { authServerId: 'x' }),
    ]),
  ) as Record<(typeof kinds)[number], OktaClient>;
  const strategies = Object.fromEntries(
    kinds.map((k) => [
      k,
      new builds[k].OktaStrategy(
        {
          oktaDomain: origin,
          authServerId: 'x',
          clientID: '0oaclient',
          clientSecret: 's',
          callbackURL: '/auth/callback',
          scope: ['openid'],
        },
        async () => ({}),
      ),
    ]),
  ) as Record<(typeof kinds)[number], Redirecting>;
  for (const k of kinds) {
    await roundTrips(clients[k], 3000);
    await redemptions(clients[k], 3000);
    await starts(strategies[k], 20_000);
  }
  const figures = {
    'token-endpoint round trip': { old: [] as number[], new: [] as number[] },
    'code redemption': { old: [] as number[], new: [] as number[] },
    'start step': { old: [] as number[], new: [] as number[] },
  };
  for (let round = 0; round < 12; round++) {
    for (const k of round % 2 ? kinds : ([...kinds].reverse() as Array<(typeof kinds)[number]>)) {
      figures['token-endpoint round trip'][k].push(await cpu(() => roundTrips(clients[k], 4000), 4000));
      figures['code redemption'][k].push(await cpu(() => redemptions(clients[k], 3000), 3000));
      figures['start step'][k].push(await cpu(() => starts(strategies[k], 20_000), 20_000));
    }
  }
  for (const [what, f] of Object.entries(figures)) {
    const ratios = f.new.map((v, i) => v / f.old[i]!);
    console.log(
      `${what}: old ${median(f.old).toFixed(1)} µs, new ${median(f.new).toFixed(1)} µs, ` +
        `new/old ${median(ratios).toFixed(3)} (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
    );
  }
  server.disconnect();
}

if (process.argv.includes('--serve')) serve();
else
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );

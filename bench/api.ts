/**
 * The API row of the benchmark: verified requests per second and app CPU per request for
 * OktaBearerStrategy (through Passport, and as the Passport-free oktaBearer()),
 * express-oauth2-jwt-bearer, @okta/jwt-verifier and a bare jose middleware on the same Express
 * route, in two traffic shapes (10 tokens repeated; a new token on every request), and
 * DPoP-bound requests for the two that support DPoP. All on 127.0.0.1: a key server (this
 * process), one app process per contender, the load from here.
 *
 *   npx tsx bench/api.ts [--quick]     (also run by `npm run bench` after the sign-in rows)
 *
 * CPU per request is the app process's own (`process.cpuUsage()`), so the load generator
 * (which also signs the new tokens and the DPoP proofs, before each timed block) is not counted.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash, KeyObject, randomUUID, sign as rsaSign } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { API_AUDIENCE, API_CONTENDERS, REPEATED_TOKENS, type ApiContender, type TrafficShape } from './api-config.js';
import type { ThreadCpu } from './threads.js';

interface Plan {
  warm: number;
  rounds: number;
  perRound: number;
  concurrency: number;
  /** Requests after which memory is read again (0: no memory run). */
  memoryRequests: number;
}

const QUICK_PLAN: Plan = { warm: 300, rounds: 1, perRound: 300, concurrency: 8, memoryRequests: 0 };
const FULL_PLAN: Plan = { warm: 3000, rounds: 6, perRound: 3000, concurrency: 64, memoryRequests: 100_000 };
/** `BENCH_API_ROUNDS=10`: more rounds; `BENCH_API_MEMORY=0`: no memory reading (a shorter run). */
function planOf(quick: boolean): Plan {
  const plan = { ...(quick ? QUICK_PLAN : FULL_PLAN) };
  const rounds = Number(process.env.BENCH_API_ROUNDS);
  if (Number.isInteger(rounds) && rounds > 0) plan.rounds = rounds;
  if (process.env.BENCH_API_MEMORY === '0') plan.memoryRequests = 0;
  return plan;
}
const PROOF_BATCH = 5000;
/** How long the replay store keeps a proof: dpopProofMaxAge + clockTolerance, both at their default (60 s). */
const PROOF_WINDOW_SECONDS = 120;

interface Stats {
  cpu: NodeJS.CpuUsage;
  threads?: ThreadCpu | undefined;
  memory: NodeJS.MemoryUsage;
  replayEntries: number;
}

interface Row {
  contender: ApiContender;
  shape: TrafficShape;
  cpu: number[];
  rps: number[];
  /** App CPU per request by thread (µs), per round; empty where /proc is missing. */
  threads: ThreadCpu[];
  memory: Array<{ label: string; heapUsed: number; rss: number; replayEntries: number }>;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers, agent }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function stats(origin: string, gc = false): Promise<Stats> {
  return JSON.parse((await get(`${origin}/${gc ? '__gc' : '__stats'}`)).body) as Stats;
}

/** Runs `n` requests, `concurrency` at a time; each must be answered 200. */
async function pool(n: number, concurrency: number, request: (i: number) => Promise<{ status: number; body: string }>) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const answer = await request(i);
      if (answer.status !== 200) throw new Error(`request ${i} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

interface Keys {
  issuer: string;
  /** The tokens of the `repeated` shape. */
  tokens: string[];
  /** `n` tokens never used before, for the `new` shape (signed with node:crypto: the runner's time, not the app's). */
  mint(n: number): string[];
  boundToken: string;
  holder: { privateKey: CryptoKey; jwk: JWK };
  close(): Promise<void>;
}

/** The key server, and one token (plus one DPoP-bound token) signed by its key, as Okta would issue them. */
async function startKeys(): Promise<Keys> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-key', alg: 'RS256', use: 'sig' };
  const server = http.createServer((req, res) => {
    if (req.url === '/oauth2/default/v1/keys') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth2/default`;
  const holderPair = await generateKeyPair('ES256');
  const holderJwk = await exportJWK(holderPair.publicKey);
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    ver: 1,
    iss: issuer,
    aud: API_AUDIENCE,
    iat: now,
    exp: now + 6 * 3600,
    cid: '0oabenchspa',
    client_id: '0oabenchspa',
    uid: '00ubenchuser1',
    sub: 'bench@example.com',
    scp: ['openid', 'orders:read'],
    scope: 'openid orders:read',
  };
  const sign = (extra: object) =>
    new SignJWT({ ...claims, ...extra, jti: `AT.${randomUUID()}` })
      .setProtectedHeader({ alg: 'RS256', kid: 'bench-key', typ: 'at+jwt' })
      .sign(privateKey);
  const rsa = KeyObject.from(privateKey);
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'bench-key', typ: 'at+jwt' })).toString('base64url');
  const mint = (n: number): string[] =>
    Array.from({ length: n }, () => {
      const payload = Buffer.from(JSON.stringify({ ...claims, jti: `AT.${randomUUID()}` })).toString('base64url');
      const input = `${header}.${payload}`;
      return `${input}.${rsaSign('RSA-SHA256', Buffer.from(input), rsa).toString('base64url')}`;
    });
  return {
    issuer,
    tokens: await Promise.all(Array.from({ length: REPEATED_TOKENS }, () => sign({}))),
    mint,
    boundToken: await sign({ cnf: { jkt: await calculateJwkThumbprint(holderJwk) } }),
    holder: { privateKey: holderPair.privateKey, jwk: holderJwk },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

class ApiApp {
  constructor(
    readonly contender: ApiContender,
    readonly child: ChildProcess,
    readonly origin: string,
    private readonly keys: Keys,
  ) {}

  /**
   * Authorization headers for `n` requests: the repeated Bearer tokens in turn, or the next
   * `n` of `fresh` (tokens no app has seen), or the bound token with a fresh proof each.
   */
  async headers(n: number, fresh?: string[]): Promise<Array<Record<string, string>>> {
    const { tokens, boundToken, holder } = this.keys;
    if (fresh) return fresh.splice(0, n).map((t) => ({ authorization: `Bearer ${t}` }));
    if (!this.contender.dpop)
      return Array.from({ length: n }, (_, i) => ({ authorization: `Bearer ${tokens[i % tokens.length]!}` }));
    const htu = `${this.origin}/api/orders`;
    const ath = createHash('sha256').update(boundToken).digest('base64url');
    const iat = Math.floor(Date.now() / 1000);
    return Promise.all(
      Array.from({ length: n }, async () => ({
        authorization: `DPoP ${boundToken}`,
        dpop: await new SignJWT({ htm: 'GET', htu, iat, jti: randomUUID(), ath })
          .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk: holder.jwk })
          .sign(holder.privateKey),
      })),
    );
  }

  /** `n` requests in proof-sized batches; returns app CPU (µs, in all and by thread) and wall time (ms) of the requests alone. */
  async run(
    n: number,
    concurrency: number,
    fresh?: string[],
  ): Promise<{ cpu: number; ms: number; threads: ThreadCpu | undefined }> {
    let cpu = 0;
    let ms = 0;
    let threads: ThreadCpu | undefined = { main: 0, pool: 0, v8: 0, other: 0 };
    for (let done = 0; done < n; done += PROOF_BATCH) {
      const size = Math.min(PROOF_BATCH, n - done);
      const headers = await this.headers(size, fresh);
      const before = await stats(this.origin);
      const start = performance.now();
      await pool(size, concurrency, (i) => get(`${this.origin}/api/orders`, headers[i]!));
      ms += performance.now() - start;
      const after = await stats(this.origin);
      cpu += after.cpu.user - before.cpu.user + (after.cpu.system - before.cpu.system);
      if (threads && after.threads && before.threads) {
        for (const kind of ['main', 'pool', 'v8', 'other'] as const) threads[kind] += after.threads[kind] - before.threads[kind];
      } else threads = undefined;
    }
    return { cpu, ms, threads };
  }
}

function spawnApp(contender: ApiContender, keys: Keys, root: string): Promise<ApiApp> {
  const child = fork(path.join(root, 'bench', 'api-app.ts'), [contender.id, keys.issuer], {
    cwd: root,
    execArgv: ['--expose-gc', '--import', 'tsx', ...profileArgs(contender)],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  // @okta/jwt-verifier warns once about its disabled HTTPS check (the key server is on loopback).
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    if (!/HTTPS check is disabled/.test(text)) process.stderr.write(text);
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(new ApiApp(contender, child, `http://127.0.0.1:${m.port}`, keys)));
    child.once('exit', (code) => reject(new Error(`api-app ${contender.id} exited with ${code} before it was ready`)));
  });
}

/** `BENCH_API_PROFILE=dir`: each app writes a V8 CPU profile there when it exits (for bench/profile.ts). */
function profileArgs(contender: ApiContender): string[] {
  const dir = process.env.BENCH_API_PROFILE;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(dir)}`, `--cpu-prof-name=api-${contender.id}.cpuprofile`] : [];
}

/** `BENCH_API_ONLY=okta-middleware,jose`: only these contenders (the report needs `okta`, `auth0` and `okta-dpop` too). */
function selectedContenders(): readonly ApiContender[] {
  const only = process.env.BENCH_API_ONLY?.split(',').map((id) => id.trim());
  const candidate = process.env.BENCH_API_CANDIDATE !== undefined;
  if (!only) return API_CONTENDERS.filter((c) => c.id !== 'okta-candidate' || candidate);
  for (const needed of ['okta', 'auth0', 'okta-dpop']) if (!only.includes(needed)) only.push(needed);
  return API_CONTENDERS.filter((c) => only.includes(c.id));
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Runs the API benchmark and returns its Markdown section. */
export async function runApiBench(options: { quick: boolean; root: string; log: (message: string) => void }): Promise<string> {
  const plan = planOf(options.quick);
  const keys = await startKeys();
  const apps: ApiApp[] = [];
  try {
    for (const contender of selectedContenders()) apps.push(await spawnApp(contender, keys, options.root));
    // One row per app and traffic shape, measured interleaved in each round.
    const rows: Array<Row & { app: ApiApp }> = apps.flatMap((app) =>
      app.contender.shapes.map((shape) => ({
        app,
        contender: app.contender,
        shape,
        cpu: [] as number[],
        rps: [] as number[],
        threads: [] as ThreadCpu[],
        memory: [] as Row['memory'],
      })),
    );
    const rewarm = Math.round(plan.perRound / 5);
    options.log(`API: warming up ${apps.length} apps (${plan.warm} requests each, in each shape)`);
    const warmTokens = keys.mint(plan.warm);
    for (const row of rows) await row.app.run(plan.warm, plan.concurrency, row.shape === 'new' ? [...warmTokens] : undefined);
    for (let round = 0; round < plan.rounds; round++) {
      // New tokens: one batch per round, the same for every app (each app sees each token once).
      const batch = keys.mint(rewarm + plan.perRound);
      // Interleaved, the order rotated each round.
      const order = rows.map((_, i) => rows[(i + round) % rows.length]!);
      for (const row of order) {
        const fresh = row.shape === 'new' ? [...batch] : undefined;
        await row.app.run(rewarm, plan.concurrency, fresh); // re-warm after the others ran
        const { cpu, ms, threads } = await row.app.run(plan.perRound, plan.concurrency, fresh);
        row.cpu.push(cpu / plan.perRound);
        if (threads) {
          const per = (v: number) => v / plan.perRound;
          row.threads.push({ main: per(threads.main), pool: per(threads.pool), v8: per(threads.v8), other: per(threads.other) });
        }
        row.rps.push((plan.perRound * 1000) / ms);
      }
      options.log(`API: round ${round + 1}/${plan.rounds} done`);
    }
    if (plan.memoryRequests > 0) {
      const read = async (app: ApiApp, label: string) => {
        const s = await stats(app.origin, true);
        const row = rows.find((r) => r.app === app && r.shape === 'repeated')!;
        row.memory.push({ label, heapUsed: s.memory.heapUsed, rss: s.memory.rss, replayEntries: s.replayEntries });
      };
      // The DPoP app first: its replay store holds every proof until the proof window has
      // passed, so it is read once more after that window (while the others run).
      const ours = apps
        .filter((a) => a.contender.id.startsWith('okta') && !['okta-jwt-verifier', 'okta-candidate'].includes(a.contender.id))
        .sort((a, b) => Number(b.contender.dpop) - Number(a.contender.dpop));
      let windowEnds: { app: ApiApp; at: number } | undefined;
      for (const app of ours) {
        await read(app, 'before');
        options.log(`API: ${plan.memoryRequests} requests to ${app.contender.id} for the memory reading`);
        await app.run(plan.memoryRequests, plan.concurrency);
        await read(app, `after ${plan.memoryRequests} requests`);
        if (app.contender.dpop) windowEnds = { app, at: Date.now() + (PROOF_WINDOW_SECONDS + 2) * 1000 };
      }
      if (windowEnds) {
        const wait = windowEnds.at - Date.now();
        if (wait > 0) options.log(`API: waiting ${Math.ceil(wait / 1000)} s for the DPoP proofs to leave their window`);
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
        await windowEnds.app.run(PROOF_BATCH, plan.concurrency);
        await read(windowEnds.app, `after the proof window, ${PROOF_BATCH} more requests`);
      }
    }
    return report(rows, plan);
  } finally {
    await Promise.all(
      apps.map(
        (app) =>
          new Promise<void>((resolve) => {
            if (app.child.exitCode !== null) return resolve();
            app.child.once('exit', () => resolve());
            app.child.disconnect();
            setTimeout(() => (app.child.kill(), resolve()), 5000).unref();
          }),
      ),
    );
    agent.destroy();
    await keys.close();
  }
}

const ratio = (a: number[], b: number[]): number => median(a.map((v, i) => v / b[i]!));
const SHAPE_LABEL: Record<TrafficShape, string> = {
  repeated: `${REPEATED_TOKENS} tokens repeated`,
  new: 'a new token every request',
};

function report(rows: Row[], plan: Plan): string {
  const find = (id: string, shape: TrafficShape) => rows.find((r) => r.contender.id === id && r.shape === shape);
  const label = (r: Row) => `${r.contender.label}${r.contender.shapes.length > 1 ? `, ${SHAPE_LABEL[r.shape]}` : ''}`;
  const auth0 = (shape: TrafficShape) => find('auth0', shape);
  const vsAuth0 = (r: Row) => {
    const base = auth0(r.shape);
    return base && !r.contender.dpop ? `${ratio(r.cpu, base.cpu).toFixed(2)}×` : '';
  };
  const lines = [
    '## API access tokens (OktaBearerStrategy, oktaBearer)',
    '',
    `Same Express 5 route (\`GET /api/orders\`, scope \`orders:read\`), same RS256 tokens, two traffic shapes: ` +
      `${REPEATED_TOKENS} tokens sent in turn (a few clients), and a token never seen before on every request (many users). ` +
      `${plan.rounds} interleaved round(s) of ${plan.perRound} requests at concurrency ${plan.concurrency} after ${plan.warm} warm-up requests. ` +
      'CPU: the app process only. Ratios: medians of the per-round ratios to express-oauth2-jwt-bearer in the same shape.',
    '',
    '| contender | traffic | app CPU per request (µs) | requests/s | CPU vs express-oauth2-jwt-bearer | what it checks |',
    '| --- | --- | ---: | ---: | ---: | --- |',
    ...rows.map(
      (r) =>
        `| ${r.contender.label} | ${SHAPE_LABEL[r.shape]} | ${median(r.cpu).toFixed(0)} | ${median(r.rps).toFixed(0)} | ${vsAuth0(r)} | ${r.contender.note} |`,
    ),
    '',
  ];
  const target = (what: string, row: Row | undefined, base: Row | undefined, limit: number) => {
    if (!row || !base) return;
    const value = ratio(row.cpu, base.cpu);
    const range = `${Math.min(...row.cpu.map((v, i) => v / base.cpu[i]!)).toFixed(2)}–${Math.max(...row.cpu.map((v, i) => v / base.cpu[i]!)).toFixed(2)}`;
    lines.push(
      `- ${what}: ${value.toFixed(2)}× (rounds ${range}; target ≤ ${limit.toFixed(2)}×: ${value <= limit ? 'met' : 'MISSED'})`,
    );
  };
  lines.push('Targets (issue 24), app CPU per request against express-oauth2-jwt-bearer in the same shape:', '');
  target('through Passport, a new token every request', find('okta', 'new'), auth0('new'), 1.05);
  target('through Passport, 10 tokens repeated', find('okta', 'repeated'), auth0('repeated'), 0.9);
  target('oktaBearer(), a new token every request', find('okta-middleware', 'new'), auth0('new'), 0.95);
  target('oktaBearer(), 10 tokens repeated (no target)', find('okta-middleware', 'repeated'), auth0('repeated'), 0.9);
  for (const shape of ['new', 'repeated'] as const) {
    const [now, before] = [find('okta', shape), find('okta-candidate', shape)];
    if (now && before)
      lines.push(
        `- through Passport, ${SHAPE_LABEL[shape]}: this build / the candidate build: ${ratio(now.cpu, before.cpu).toFixed(2)}×`,
      );
  }
  const okta = find('okta', 'repeated');
  const oktaDpop = find('okta-dpop', 'repeated');
  if (okta && oktaDpop) {
    lines.push(
      '',
      `DPoP request / Bearer request (OktaBearerStrategy through Passport, repeated tokens, app CPU): ${ratio(oktaDpop.cpu, okta.cpu).toFixed(2)}x (target: at most 2x).`,
    );
  }
  if (rows.every((r) => r.threads.length > 0)) {
    const kind = (r: Row, k: keyof ThreadCpu) => median(r.threads.map((t) => t[k])).toFixed(0);
    lines.push(
      '',
      'App CPU per request by thread (from `/proc/self/task/*/stat`, 10 ms ticks summed over each block; medians over the rounds, µs): ' +
        "the JavaScript thread, libuv's pool (WebCrypto: jose's signature checks) and V8's GC and compiler workers.",
      '',
      '| contender | main | pool | V8 workers |',
      '| --- | ---: | ---: | ---: |',
      ...rows.map((r) => `| ${label(r)} | ${kind(r, 'main')} | ${kind(r, 'pool')} | ${kind(r, 'v8')} |`),
    );
  }
  const memory = rows.filter((r) => r.memory.length > 0);
  if (memory.length > 0) {
    lines.push(
      '',
      '| contender | reading | heapUsed (MB) | RSS (MB) | DPoP replay entries |',
      '| --- | --- | ---: | ---: | ---: |',
    );
    for (const r of memory) {
      for (const m of r.memory) {
        lines.push(
          `| ${r.contender.label} | ${m.label} | ${(m.heapUsed / 2 ** 20).toFixed(1)} | ${(m.rss / 2 ** 20).toFixed(1)} | ${m.replayEntries} |`,
        );
      }
    }
  }
  return lines.join('\n');
}

if (require.main === module) {
  const quick = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick');
  runApiBench({ quick, root: path.resolve(__dirname, '..'), log: (m) => console.error(`[bench] ${m}`) }).then(
    (markdown) => {
      console.log(markdown);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}

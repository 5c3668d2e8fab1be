/**
 * What the benchmark compares, shared by the stub, the app processes and the runner.
 *
 * Each contender talks to its own Okta authorization server on the stub
 * (`/oauth2/{authServerId}/v1/...`), so that the stub's per-server counters are the
 * contender's outbound requests.
 */

import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as BearerEntry from '../lib/bearer.js';
import type * as ClientEntry from '../lib/client.js';
import type * as RootEntry from '../lib/index.js';
import type { ThreadCpu } from './threads.js';

export type ContenderId =
  | 'okta'
  | 'okta-fetch'
  | 'oc6'
  | 'oc6-sig'
  | 'poidc'
  | 'bare'
  | 'bare-jose'
  | 'candidate'
  | 'lat-okta'
  | 'lat-okta-auto'
  | 'lat-okta-lazy'
  | 'okta-mw'
  | 'eoc';

/** The package as shipped, built by `npm run build` (run.ts builds it first). */
export const SHIPPED_BUILD = path.resolve(__dirname, '..', 'dist', 'index.mjs');

/**
 * The package as shipped: the ES module build (dist/index.mjs, built by `npm run build`,
 * which run.ts does first), which imports jose from node_modules, so that a profile tells
 * jose's frames from ours. A candidate may be a build (.mjs/.cjs) or TypeScript sources.
 */
export async function loadPackage(file: string): Promise<OktaPackage> {
  const resolved = path.resolve(file);
  const parts = [await loadModule(resolved)];
  // Builds since 0.2 have "./bearer" and "./client" beside the root; earlier ones had it all in the root.
  for (const entry of ['bearer', 'client']) {
    const sibling = resolved.replace(/index(\.[cm]?[jt]s)$/, `${entry}$1`);
    if (sibling !== resolved && existsSync(sibling)) parts.push(await loadModule(sibling));
  }
  return Object.assign({}, ...parts) as OktaPackage;
}

/** What the benchmark uses of the package, from its three entry points. */
export type OktaPackage = typeof RootEntry & typeof BearerEntry & typeof ClientEntry;

async function loadModule(resolved: string): Promise<object> {
  if (resolved.endsWith('.mjs')) return (await import(pathToFileURL(resolved).href)) as object;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(resolved) as object;
}

export interface Contender {
  id: ContenderId;
  /** Row label in the results. */
  label: string;
  /** The stub's authorization server this contender uses. */
  authServerId: string;
  /** Whether the stub's Okta app for this contender requires PKCE (Okta's "Require PKCE" box). */
  requirePkce: boolean;
  /** What it verifies of the ID token, for the notes next to its numbers. */
  note: string;
  /** Topped up to the memory run's sign-in count (false for the experiment rows, to save time). */
  memoryRun: boolean;
}

export const CONTENDERS: readonly Contender[] = [
  {
    id: 'okta',
    label: 'passport-okta-oidc',
    authServerId: 'okta',
    requirePkce: true,
    memoryRun: true,
    note:
      'as shipped: the ES module build dist/index.mjs (`npm run build`; jose from node_modules), default options ' +
      '(transport, key cache), callbackURL a path as in the README, ' +
      "scope `openid` only, userInfo left at its default 'auto' (which makes no userinfo call for `openid`); " +
      'verifies the signature, iss, aud, azp, exp, iat, nonce',
  },
  {
    id: 'okta-fetch',
    label: 'passport-okta-oidc + global fetch',
    authServerId: 'okta-fetch',
    requirePkce: true,
    memoryRun: false,
    note:
      "the same strategy and options with `fetch: (url, init) => fetch(url, init)`: Node's built-in fetch, the " +
      'transport of the shipped default before commit 534dc8d and what apps that inject a fetch (proxies) run ' +
      '(an experiment row: not topped up for the memory reading)',
  },
  {
    id: 'oc6',
    label: 'openid-client 6 (passport)',
    authServerId: 'oc6',
    requirePkce: true,
    memoryRun: true,
    note:
      'openid-client/passport `Strategy` as shipped, subclassed to add a random `state` (stock, it sends none when ' +
      'the server supports PKCE, which Okta refuses); Configuration from discovery; no nonce (PKCE instead); ' +
      'does NOT verify the ID token signature (TLS is trusted), checks iss, aud, exp, iat',
  },
  {
    id: 'oc6-sig',
    label: 'openid-client 6 + signature checks',
    authServerId: 'oc6-sig',
    requirePkce: true,
    memoryRun: true,
    note: 'the same, with `enableNonRepudiationChecks(config)`: verifies the ID token signature against the cached JWKS',
  },
  {
    id: 'poidc',
    label: 'passport-openidconnect 0.1.2',
    authServerId: 'poidc',
    requirePkce: false,
    memoryRun: true,
    note:
      'cannot send PKCE: its Okta app (on the stub) is set to not require PKCE; `nonce: true`; ' +
      'skips the ID token signature (decodes it), checks iss, aud, azp, exp, nonce; token call over node:http (oauth 0.10)',
  },
  {
    id: 'bare',
    label: 'bare baseline',
    authServerId: 'bare',
    requirePkce: true,
    memoryRun: true,
    note:
      'bench/baseline.ts: a minimal Passport strategy doing the protocol by hand: random state, verifier and nonce in ' +
      'the session, one token POST over a keep-alive node:http agent, one RS256 check (node:crypto) with a cached key, ' +
      'iss/aud/exp/nonce checks',
  },
  {
    id: 'bare-jose',
    label: 'bare baseline, jose',
    authServerId: 'bare-jose',
    requirePkce: true,
    memoryRun: true,
    note:
      'the same baseline verifying the signature with `jose.compactVerify` and the key imported once (a cached ' +
      "KeyObject) instead of a synchronous node:crypto call: jose 6 goes through WebCrypto, on libuv's pool. " +
      'The honest limit for a strategy that verifies with jose',
  },
];

/**
 * The rows of the sign-in latency part (bench/latency.ts) that the CPU rounds do not have:
 * passport-okta-oidc as the README sets it up (scopes `openid profile email`) in three
 * settings, and the two Okta-world peers that are not Passport strategies of their own
 * (@okta/oidc-middleware wraps openid-client 5's; express-openid-connect is middleware). The
 * latency part also runs `oc6` and `poidc` of the list above.
 */
export const LATENCY_CONTENDERS: readonly Contender[] = [
  {
    id: 'lat-okta',
    label: 'passport-okta-oidc, userInfo: false',
    authServerId: 'lat-okta',
    requirePkce: true,
    memoryRun: false,
    note: "scope `openid profile email`, `userInfo: false`; the key set fetched at construction (prefetchKeys' default)",
  },
  {
    id: 'lat-okta-auto',
    label: "passport-okta-oidc, defaults (userInfo: 'auto')",
    authServerId: 'lat-okta-auto',
    requirePkce: true,
    memoryRun: false,
    note:
      "scope `openid profile email`, `userInfo: 'auto'`: the stub's ID token is thin like Okta's (no given_name, " +
      'family_name, email_verified), so the promised profile needs /userinfo after the token',
  },
  {
    id: 'lat-okta-lazy',
    label: 'passport-okta-oidc, userInfo: false, prefetchKeys: false',
    authServerId: 'lat-okta-lazy',
    requirePkce: true,
    memoryRun: false,
    note: 'the key set fetched at the first callback, beside the token request',
  },
  {
    id: 'okta-mw',
    label: '@okta/oidc-middleware 5',
    authServerId: 'okta-mw',
    requirePkce: false,
    memoryRun: false,
    note:
      "ExpressOIDC as its README sets it up (scope `openid email profile`): openid-client 5's passport strategy, " +
      'discovery at start-up, no PKCE, verifies the ID token signature (key set fetched at the first callback) and ' +
      'always calls /userinfo',
  },
  {
    id: 'eoc',
    label: 'express-openid-connect 3',
    authServerId: 'eoc',
    requirePkce: true,
    memoryRun: false,
    note:
      '`auth({ authRequired: false, authorizationParams: { response_type: "code", scope: "openid" } })`: ' +
      'openid-client 6, discovery at the first request, PKCE, no ID token signature check; its callback redirects ' +
      'once more to a page of the app (one more local request)',
  },
];

/**
 * `BENCH_CANDIDATE_LIB=/path/to/copy/index.mjs` (a build) or `.../lib/index.ts` adds a row for passport-okta-oidc
 * loaded from another copy of lib/ (same options as the first row), to measure a proposed
 * change to lib/ against the shipped one in the same run.
 */
export const CANDIDATE_LIB = process.env.BENCH_CANDIDATE_LIB || undefined;

/** The contenders of this run: the fixed ones, and the candidate when one is given. */
export function contenders(): Contender[] {
  if (!CANDIDATE_LIB) return [...CONTENDERS];
  const candidate: Contender = {
    id: 'candidate',
    label: 'passport-okta-oidc, candidate lib',
    authServerId: 'candidate',
    requirePkce: true,
    memoryRun: false,
    note:
      `passport-okta-oidc loaded from \`${CANDIDATE_LIB}\` (BENCH_CANDIDATE_LIB: a build such as a copy of ` +
      'dist/index.mjs, or a copy of lib/index.ts run through tsx), same options as the first row',
  };
  return [CONTENDERS[0]!, candidate, ...CONTENDERS.slice(1)];
}

export const CLIENT_ID = '0oabenchclient';
export const CLIENT_SECRET = 'bench-client-secret';
export const CALLBACK_PATH = '/auth/callback';
/** The `sub` the stub signs in every time. */
export const USER_SUB = '00ubenchuser1';

export function contender(id: string): Contender {
  const found = [...contenders(), ...LATENCY_CONTENDERS].find((c) => c.id === id);
  if (!found)
    throw new Error(
      `unknown contender "${id}"; known: ${contenders()
        .map((c) => c.id)
        .join(', ')}`,
    );
  return found;
}

/** Messages a child process sends to the runner over IPC when it listens. */
export interface ReadyMessage {
  type: 'ready';
  port: number;
}

/** What an app process answers on `GET /__stats`. */
export interface AppStats {
  cpu: NodeJS.CpuUsage;
  /** The same CPU time by thread (Linux only). */
  threads?: ThreadCpu | undefined;
  memory: NodeJS.MemoryUsage;
}

export type EndpointName = 'authorize' | 'token' | 'keys' | 'userinfo' | 'discovery' | 'other';
/** What the stub answers on `GET /__counts`: requests per authorization server and endpoint. */
export type StubCounts = Record<string, Record<EndpointName, number>>;

/** The counts of one sign-in benchmark run (bench/run.ts), printed in RESULTS.md (bench/report.ts). */
export interface Plan {
  /** Sign-ins (concurrency 32) and start steps to warm each contender before anything is measured. */
  warmSignIns: number;
  warmStarts: number;
  rounds: number;
  /** Unmeasured sign-ins before each contender's turn in a round, against cool-down. */
  rewarm: number;
  signInsC1: number;
  signInsC32: number;
  starts: number;
  /** Sign-ins after warm-up before the last memory reading (topped up after the rounds). */
  memorySignIns: number;
  concurrency: number;
}

import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { HttpSettings } from '../../../lib/core/http.js';
import * as keyCache from '../../../lib/core/key-cache.js';
import { bearerKeyStore, clientKeyStore } from '../../../lib/core/key-cache.js';
import type { KeyStoreOptions } from '../../../lib/core/keys.js';

// The rule of ARCHITECTURE.md ("Key caches"), checked on the stores themselves; that one key
// set fetch serves a sign-in strategy and an API strategy over HTTP is in
// test/integration/bearer.test.ts. Each test uses keys URLs of its own: the registry of live
// clients is the process's.

let n = 0;
const url = (): string => `https://unit-key-cache-${++n}.okta.example/oauth2/default/v1/keys`;
const http: HttpSettings = { fetch: undefined, timeout: 2000 };
const options = (extra: Partial<KeyStoreOptions> = {}): KeyStoreOptions => ({
  cooldown: 30_000,
  maxAge: 3_600_000,
  now: Date.now,
  ...extra,
});

describe('key cache sharing (core/key-cache.ts)', () => {
  it('gives every client a key cache of its own', () => {
    const keys = url();
    const opts = options();
    expect(clientKeyStore(http, keys, opts)).to.not.equal(clientKeyStore(http, keys, opts));
  });

  it('gives a bearer strategy the key cache of a live client reaching the same key set the same way, made before or after it', () => {
    const keys = url();
    const opts = options();
    const bearer = bearerKeyStore(http, keys, opts);
    const client = clientKeyStore(http, keys, opts);
    expect(bearer(), 'chosen when first needed, not when made').to.equal(client);
    expect(bearer(), 'and kept').to.equal(client);
  });

  it('gives it one of its own when no client matches: another URL, transport, timeout, cooldown, max age or clock', () => {
    const keys = url();
    const opts = options();
    clientKeyStore(http, keys, opts);
    const fetch = async (): Promise<Response> => new Response('{}');
    const others = [
      bearerKeyStore(http, url(), opts),
      bearerKeyStore({ fetch, timeout: 2000 }, keys, opts),
      bearerKeyStore({ fetch: undefined, timeout: 2001 }, keys, opts),
      bearerKeyStore(http, keys, options({ cooldown: 1 })),
      bearerKeyStore(http, keys, options({ maxAge: 1 })),
      bearerKeyStore(http, keys, options({ now: () => Date.now() })),
    ];
    const sharing = bearerKeyStore(http, keys, opts)();
    for (const [i, other] of others.entries()) {
      const store = other();
      expect(store, `case ${i}`).to.not.equal(sharing);
      expect(other(), `case ${i} keeps its own`).to.equal(store);
    }
  });

  it('gives two bearer strategies without a client each a key cache of its own', () => {
    const keys = url();
    const opts = options();
    expect(bearerKeyStore(http, keys, opts)()).to.not.equal(bearerKeyStore(http, keys, opts)());
  });

  it('holds nothing of clients made and dropped (tenant churn): the registry stays as small as the live clients', async function () {
    this.timeout(120_000);
    // The garbage collector, without --expose-gc on mocha's command line.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const settle = async (): Promise<number> => {
      for (let i = 0; i < 4; i++) {
        gc();
        // The FinalizationRegistry's callbacks run in tasks after a collection.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return process.memoryUsage().heapUsed;
    };
    const opts = options();
    const kept = url();
    const live = [clientKeyStore(http, kept, opts), clientKeyStore(http, kept, opts)];
    // Clients of a few orgs, and of many (one key set URL each), made and dropped, as requests
    // do: a few at each turn of the event loop.
    const churn = async (rounds: number): Promise<void> => {
      const few = [url(), url(), url()];
      for (let i = 0; i < rounds; i++) {
        clientKeyStore(http, few[i % few.length]!, opts);
        if (i % 3 === 0) clientKeyStore(http, url(), opts);
        if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await churn(20_000);
    const before = await settle();
    await churn(150_000);
    const grown = (await settle()) - before;
    expect(grown, `${(grown / 1e6).toFixed(1)} MB kept after 200,000 clients were dropped`).to.be.below(3e6);
    const size = (keyCache as { registeredKeyStores?: () => number }).registeredKeyStores?.();
    if (size !== undefined) expect(size, 'references held').to.be.below(1000);
    // The live clients are still offered to bearer strategies.
    expect(bearerKeyStore(http, kept, opts)()).to.equal(live[0]);
    expect(live).to.have.length(2);
  });
});

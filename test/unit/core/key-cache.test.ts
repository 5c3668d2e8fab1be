import { expect } from 'chai';
import type { HttpSettings } from '../../../lib/core/http.js';
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
});

import type { HttpSettings } from './http.js';
import { KeyStore, type KeyStoreOptions } from './keys.js';

// Which key cache each user of Okta's key sets takes. The whole rule:
// - every OktaClient (and so every OktaStrategy, through its client) has a key cache of its own;
// - an OktaBearerStrategy, when it first needs a key, uses the key cache of an OktaClient
//   alive in this process that reaches the same key set the same way (keys URL, transport,
//   timeout, cooldown, max age and clock); with none, one of its own.
// So an app that signs users in and protects its API with one Okta authorization server
// fetches the key set once and learns of a rotation once, whichever it made first; and a
// second client is never tied to the first.

const NODE_TRANSPORT = {};
type Registry = Map<string, Set<WeakRef<KeyStore>>>;
/** Live clients' key caches: by transport (`fetch`, or node:http), by clock, then by keys URL and timings. */
const clients = new WeakMap<object, WeakMap<() => number, Registry>>();
/** How many references to clients' key caches the registry holds. */
let registered = 0;

/** A reference to a client's key cache, where the registry holds it. */
interface Entry {
  ref: WeakRef<KeyStore>;
  stores: Set<WeakRef<KeyStore>>;
  byId: Registry;
  id: string;
}

// A client made and dropped (tenant churn) leaves nothing in the registry once its key cache
// is collected: its reference goes, and its set with the last one.
const collected = new FinalizationRegistry<Entry>(({ ref, stores, byId, id }) => {
  if (stores.delete(ref)) registered--;
  if (stores.size === 0 && byId.get(id) === stores) byId.delete(id);
});

/** @internal How many references to clients' key caches the registry holds (for tests). */
export function registeredKeyStores(): number {
  return registered;
}

/** The registry of a transport and clock. */
function registryOf(http: HttpSettings, options: KeyStoreOptions): Registry {
  const transport = http.fetch ?? NODE_TRANSPORT;
  let byClock = clients.get(transport);
  if (!byClock) {
    byClock = new WeakMap();
    clients.set(transport, byClock);
  }
  let byId = byClock.get(options.now);
  if (!byId) {
    byId = new Map();
    byClock.set(options.now, byId);
  }
  return byId;
}

const idOf = (http: HttpSettings, url: string, options: KeyStoreOptions): string =>
  `${url} ${http.timeout} ${options.cooldown} ${options.maxAge}`;

/** A client's key cache: its own, offered to the bearer strategies of the same key set. */
export function clientKeyStore(http: HttpSettings, url: string, options: KeyStoreOptions): KeyStore {
  const store = new KeyStore(http, url, options);
  const byId = registryOf(http, options);
  const id = idOf(http, url, options);
  let stores = byId.get(id);
  if (!stores) {
    stores = new Set();
    byId.set(id, stores);
  }
  const ref = new WeakRef(store);
  stores.add(ref);
  registered++;
  collected.register(store, { ref, stores, byId, id });
  return store;
}

/**
 * A bearer strategy's key cache, chosen when it is first asked for (see the rule above) and
 * kept from then on. `prefetch`: chosen on the next turn of the event loop, once the app's
 * set-up code has made its clients, and its key set fetched then in the background.
 */
export function bearerKeyStore(http: HttpSettings, url: string, options: KeyStoreOptions, prefetch = false): () => KeyStore {
  let chosen: KeyStore | undefined;
  if (prefetch) {
    setImmediate(() => {
      choose().prefetch();
    }).unref();
  }
  const choose = (): KeyStore => {
    if (chosen !== undefined) return chosen;
    // A reference whose store was collected is dropped by the FinalizationRegistry.
    for (const ref of registryOf(http, options).get(idOf(http, url, options)) ?? []) {
      chosen = ref.deref();
      if (chosen !== undefined) return chosen;
    }
    return (chosen = new KeyStore(http, url, options));
  };
  return choose;
}

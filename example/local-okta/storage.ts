/** Storage: an in-memory adapter, one store per issuer. */
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface StoredEntry {
  payload: AdapterPayload;
  expiresAt: number | undefined;
}

/** One issuer's store: oidc-provider's adapter, and what Okta's admin actions need of it. */
export interface MemoryStore {
  adapter: AdapterFactory;
  /** Ends every session of a user (Okta's "Clear user sessions"); answers how many there were. */
  destroySessionsOf(accountId: string): number;
}

/**
 * A small in-memory store for oidc-provider's models (its own memory adapter is shared by
 * all providers of a process and warns when it is used).
 */
export function memoryStore(): MemoryStore {
  const entries = new Map<string, StoredEntry>();
  const sessionIdsByUid = new Map<string, string>();
  const keysByGrant = new Map<string, Set<string>>();
  let writes = 0;

  const get = (key: string): AdapterPayload | undefined => {
    const entry = entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry?.payload;
  };
  const sweep = () => {
    for (const key of entries.keys()) get(key);
    for (const [grantId, keys] of keysByGrant) {
      for (const key of keys) if (!entries.has(key)) keys.delete(key);
      if (keys.size === 0) keysByGrant.delete(grantId);
    }
  };

  const destroySessionsOf = (accountId: string): number => {
    let count = 0;
    for (const [key, entry] of entries) {
      if (key.startsWith('Session:') && entry.payload.accountId === accountId) {
        entries.delete(key);
        count += 1;
      }
    }
    return count;
  };

  const adapter = (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        entries.set(key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
        if (model === 'Session' && payload.uid) sessionIdsByUid.set(payload.uid, id);
        if (payload.grantId) keysByGrant.set(payload.grantId, (keysByGrant.get(payload.grantId) ?? new Set()).add(key(id)));
        if (++writes % 100 === 0) sweep();
      },
      async find(id) {
        return get(key(id));
      },
      async findByUid(uid) {
        const id = sessionIdsByUid.get(uid);
        return id === undefined ? undefined : get(key(id));
      },
      async findByUserCode() {
        return undefined; // the device flow is off
      },
      async consume(id) {
        const payload = get(key(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        entries.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const member of keysByGrant.get(grantId) ?? []) entries.delete(member);
        keysByGrant.delete(grantId);
      },
    };
  };
  return { adapter, destroySessionsOf };
}

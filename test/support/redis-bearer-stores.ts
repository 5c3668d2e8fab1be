import type { createClient } from 'redis';
import type { DPoPReplayStore, IntrospectionCache, OktaAccessTokenClaims } from '../../lib/bearer.js';

// The Redis-backed stores of example/recipes/api-redis.ts (quoted in docs/api-protection.md), as the tests use them.

type Redis = ReturnType<typeof createClient>;

/** DPoP proofs seen by any instance: `SET NX` until the proof's window ends. */
export function redisReplayStore(redis: Redis, prefix = 'dpop:'): DPoPReplayStore {
  return {
    async claim(id, expiresAt) {
      const answer = await redis.set(`${prefix}${id}`, '1', { condition: 'NX', expiration: { type: 'PXAT', value: expiresAt } });
      return answer === 'OK';
    },
  };
}

/** Positive introspection answers shared by every instance, until the token's `exp`. */
export function redisIntrospectionCache(redis: Redis, prefix = 'okta-at:'): IntrospectionCache {
  return {
    async get(key) {
      const json = await redis.get(`${prefix}${key}`);
      return json === null ? undefined : (JSON.parse(json) as OktaAccessTokenClaims);
    },
    async set(key, claims, ttl) {
      await redis.set(`${prefix}${key}`, JSON.stringify(claims), { expiration: { type: 'PX', value: Math.ceil(ttl) } });
    },
  };
}

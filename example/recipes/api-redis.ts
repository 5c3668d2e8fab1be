// An API on several instances: DPoP replay protection and introspection answers shared in Redis.
// Settings: OKTA_DOMAIN, OKTA_AUTH_SERVER_ID, API_AUDIENCE, OKTA_CLIENT_ID and OKTA_CLIENT_SECRET
// (a client allowed to introspect opaque tokens), REDIS_URL, PORT.
import express from 'express';
import passport from 'passport';
import { createClient } from 'redis';
import {
  OktaBearerStrategy,
  requireScopes,
  type DPoPReplayStore,
  type IntrospectionCache,
  type OktaAccessTokenClaims,
} from 'passport-okta-oidc/bearer';

function setting(name: string, fallback?: string): string {
  const value = process.env[name] || fallback;
  if (value === undefined) throw new Error(`Set the environment variable ${name}`);
  return value;
}

const redis = createClient({
  url: setting('REDIS_URL', 'redis://127.0.0.1:6379'),
  disableOfflineQueue: true, // while Redis is away, commands fail at once (a 5xx) instead of waiting for it
  socket: { connectTimeout: 1000, reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2000) }, // forever, 2 s apart at most
});
redis.on('error', (err: Error) => console.error(`redis: ${err.message}`)); // without a listener, an 'error' ends the process
redis.connect().catch((err: Error) => console.error(`redis: ${err.message}`));

const dpopReplayStore: DPoPReplayStore = {
  // SET NX: only the first instance to record a proof gets 'OK'. When Redis fails, claim()
  // rejects and the request ends in a 5xx: a proof is never accepted unrecorded.
  async claim(id, expiresAt) {
    const ok = await redis.set(`dpop:${id}`, '1', { condition: 'NX', expiration: { type: 'PXAT', value: expiresAt } });
    return ok === 'OK';
  },
};
const introspectionCache: IntrospectionCache = {
  async get(key) {
    const json = await redis.get(`okta-at:${key}`);
    return json === null ? undefined : (JSON.parse(json) as OktaAccessTokenClaims);
  },
  async set(key, claims, ttl) {
    await redis.set(`okta-at:${key}`, JSON.stringify(claims), { expiration: { type: 'PX', value: Math.ceil(ttl) } });
  },
};

passport.use(
  new OktaBearerStrategy(
    {
      oktaDomain: setting('OKTA_DOMAIN'),
      authServerId: setting('OKTA_AUTH_SERVER_ID', 'default'),
      audience: setting('API_AUDIENCE', 'api://default'),
      clientID: process.env.OKTA_CLIENT_ID,
      clientSecret: process.env.OKTA_CLIENT_SECRET,
      trustProxy: true, // behind the load balancer, which sets X-Forwarded-Proto and -Host
      dpopReplayStore,
      introspectionCache,
    },
    async (claims) => ({ id: claims.sub }),
  ),
);

const app = express();
const bearer = passport.authenticate('okta-bearer', { session: false });
app.get('/api/orders', bearer, requireScopes('orders:read'), (_req, res) => res.json({ orders: [] }));
const port = Number(setting('PORT', '3000'));
app.listen(port, (err) => {
  if (err) throw err;
  console.log(`API listening on port ${port}`);
});

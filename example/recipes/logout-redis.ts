// Sign-outs that Okta starts, on several instances: sessions and the revocation record in Redis.
// Settings: OKTA_DOMAIN, OKTA_AUTH_SERVER_ID, OKTA_CLIENT_ID, OKTA_CLIENT_SECRET, BASE_URL (the
// app's public URL: the Universal Logout endpoint is BASE_URL/auth/okta/universal-logout),
// SESSION_SECRET, REDIS_URL, PORT, REVOCATION_CACHE_MS (default 1000).
import { RedisStore } from 'connect-redis';
import express, { type ErrorRequestHandler } from 'express';
import session from 'express-session';
import passport from 'passport';
import { createClient } from 'redis';
import { errors, oktaSession, OktaStrategy, type RevocationStore } from 'passport-okta-oidc';

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

// The revocation record every instance reads: three commands (Redis 6.2 or later for PXAT). The
// keys come hashed, so Redis holds no user id or email; the values are epoch milliseconds.
const revocationStore: RevocationStore = {
  put: async (key, value, expiresAt) => {
    await redis.set(key, String(value), { expiration: { type: 'PXAT', value: expiresAt } });
  },
  get: async (keys) => (await redis.mGet([...keys])).map((value) => (value === null ? undefined : Number(value))),
  // SET NX: only the first instance to see a logout token's jti gets 'OK'; a replay gets null.
  claim: async (key, expiresAt) =>
    (await redis.set(key, '1', { condition: 'NX', expiration: { type: 'PXAT', value: expiresAt } })) === 'OK',
};

const baseURL = setting('BASE_URL');
const strategy = new OktaStrategy(
  {
    oktaDomain: setting('OKTA_DOMAIN'),
    authServerId: setting('OKTA_AUTH_SERVER_ID', 'default'),
    clientID: setting('OKTA_CLIENT_ID'),
    clientSecret: setting('OKTA_CLIENT_SECRET'),
    callbackURL: `${baseURL}/auth/okta/callback`,
    scope: ['openid', 'profile', 'email'], // email: Universal Logout names users by email by default
  },
  async (_tokens, profile) => ({ id: profile.id, name: profile.displayName }),
);
passport.use(strategy);
passport.serializeUser((user, done) => done(null, user));
passport.deserializeUser((user: Express.User, done) => done(null, user));
const okta = oktaSession(passport, strategy, {
  absoluteLifetime: 8 * 60 * 60, // also how long Redis keeps a revocation
  revocationStore,
  revocationCache: Number(setting('REVOCATION_CACHE_MS', '1000')), // ms an instance reuses "not revoked"
});

const app = express();
app.set('trust proxy', 1); // behind one load balancer, which says whether the request came over https
// Okta calls these without cookies: no session needed. Register their URLs in Okta (docs/logout.md).
app.post('/auth/okta/universal-logout', okta.universalLogout({ endpoint: `${baseURL}/auth/okta/universal-logout` }));
app.post('/auth/okta/backchannel-logout', okta.backChannelLogout());
app.get('/auth/okta/frontchannel-logout', okta.frontChannelLogout());
// No Redis, no session: answer 503 at once rather than start a sign-in whose session is never saved.
app.use((_req, res, next) => (redis.isReady ? next() : res.status(503).set('Retry-After', '5').send('Try again in a moment')));
app.use(
  session({
    store: new RedisStore({ client: redis }),
    secret: setting('SESSION_SECRET'),
    resave: false,
    saveUninitialized: false,
    cookie: { sameSite: 'lax', secure: 'auto' }, // Secure over https
  }),
);
app.use(passport.initialize());
app.use(passport.session());
app.use(okta.checkSession()); // a revoked session ends here, on its next request to any instance
app.get('/login', okta.signIn());
app.get('/auth/okta/callback', okta.callback);
app.get('/', (req, res) => res.json({ user: req.user ?? null }));
// checkSession() fails closed: when Redis cannot say whether a session was revoked, 503.
const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  if (err instanceof errors.StoreUnavailableError) {
    res.status(503).set('Retry-After', '5').send('The session could not be checked: try again in a moment');
  } else {
    res.status(500).send('Something went wrong');
  }
};
app.use(onError);
const port = Number(setting('PORT', '3000'));
app.listen(port, (err) => {
  if (err) throw err;
  console.log(`App listening on port ${port}`);
});

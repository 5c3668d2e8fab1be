// Sign-in on several instances: sessions, and so pending sign-ins, in Redis through connect-redis.
// Settings: OKTA_DOMAIN, OKTA_AUTH_SERVER_ID, OKTA_CLIENT_ID, OKTA_CLIENT_SECRET, BASE_URL (the
// app's public URL), SESSION_SECRET, REDIS_URL, PORT.
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { createClient } from 'redis';
import { OktaStrategy } from 'passport-okta-oidc';

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

passport.use(
  new OktaStrategy(
    {
      oktaDomain: setting('OKTA_DOMAIN'),
      authServerId: setting('OKTA_AUTH_SERVER_ID', 'default'),
      clientID: setting('OKTA_CLIENT_ID'),
      clientSecret: setting('OKTA_CLIENT_SECRET'),
      callbackURL: `${setting('BASE_URL')}/auth/okta/callback`,
    },
    async (_tokens, profile) => ({ id: profile.id, name: profile.displayName }),
  ),
);
passport.serializeUser((user, done) => done(null, user));
passport.deserializeUser((user: Express.User, done) => done(null, user));

const app = express();
app.set('trust proxy', 1); // behind one load balancer, which says whether the request came over https
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
app.use(passport.session());
app.get('/login', passport.authenticate('okta'));
app.get(
  '/auth/okta/callback',
  passport.authenticate('okta', { successRedirect: '/', failureRedirect: '/login-failed', keepSessionInfo: true }),
);
app.get('/login-failed', (_req, res) => res.status(401).send('The sign-in failed'));
app.get('/', (req, res) => res.json({ user: req.user ?? null }));
const port = Number(setting('PORT', '3000'));
app.listen(port, (err) => {
  if (err) throw err;
  console.log(`App listening on port ${port}`);
});

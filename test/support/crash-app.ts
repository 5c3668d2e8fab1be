/**
 * An app whose own code misbehaves after the strategy hands its outcome to Passport, run
 * in a child process by test/security/hardening.test.ts so that a crash shows as a dead process:
 * - `/custom`: a Passport custom callback that reads `user.name.first` (user is `false`);
 * - `/slow`: a timeout middleware answers 503 first, then the late `failureRedirect` throws
 *   ERR_HTTP_HEADERS_SENT.
 * Prints `{"app": origin, "okta": origin}` on stdout when ready.
 */
import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { makeStrategy } from './hostile-harness.js';
import { HostileOkta } from './hostile-okta.js';
import { listen } from './server.js';

async function main(): Promise<void> {
  const okta = await HostileOkta.start({ trackSecrets: false });
  // The verify function refuses every user, after the token endpoint's delay.
  okta.behaviour = { delay: { token: 300 } };
  const passport = new Passport();
  passport.use(makeStrategy(okta, {}, async () => false));

  const app = express();
  app.use(session({ secret: 'crash-app-session-secret', resave: false, saveUninitialized: false }));
  app.use(passport.initialize());
  app.use(passport.session());
  app.get('/health', (_req, res) => {
    res.send('alive');
  });
  app.get('/custom', (req, res, next) => {
    passport.authenticate('okta', (_err: unknown, user: { name: { first: string } }) => {
      res.send(user.name.first);
    })(req, res, next);
  });
  app.get('/login', passport.authenticate('okta'));
  app.get(
    '/auth/okta/callback',
    (_req, res, next) => {
      setTimeout(() => {
        if (!res.headersSent) res.status(503).send('The request took too long');
      }, 100).unref();
      next();
    },
    passport.authenticate('okta', { failureRedirect: '/failed' }),
  );
  const server = await listen(app);
  process.stdout.write(`${JSON.stringify({ app: server.origin, okta: okta.origin })}\n`);
}

void main();

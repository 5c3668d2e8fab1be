import type { INestApplication } from '@nestjs/common';
import session from 'express-session';
import passport from 'passport';
import { oktaLogout } from 'passport-okta-oidc';
import { OktaAuthStrategy, type AppUser } from './okta.strategy.js';

/** The middleware around the Nest app, shared by main.ts and the e2e test. */
export function setUp(app: INestApplication): void {
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: AppUser, done) => done(null, user));
  app.use(session({ secret: process.env.SESSION_SECRET!, resave: false, saveUninitialized: false }));
  app.use(passport.initialize());
  app.use(passport.session());
  const strategy = app.get(OktaAuthStrategy);
  const logout = oktaLogout(strategy, {
    getTokens: (req) => req.user as AppUser | undefined,
    postLogoutRedirectURI: '/signed-out',
    redirectTo: '/me',
  });
  app.use('/logout', logout);
  app.use('/signed-out', logout.callback);
}

import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import session from 'express-session';
import passport from 'passport';
import { oktaLogout, oktaLogoutCallback } from 'passport-okta-oidc';
import { AppModule } from './app.module';
import { OktaAuthStrategy, type AppUser } from './okta.strategy';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: AppUser, done) => done(null, user));
  app.use(session({ secret: process.env.SESSION_SECRET!, resave: false, saveUninitialized: false }));
  app.use(passport.initialize());
  app.use(passport.session());
  const strategy = app.get(OktaAuthStrategy);
  app.use(
    '/logout',
    oktaLogout(strategy, {
      getTokens: (req) => req.user as AppUser | undefined,
      postLogoutRedirectURI: '/signed-out',
    }),
  );
  app.use('/signed-out', oktaLogoutCallback({ redirectTo: '/me' }));
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  console.log('listening');
}

void bootstrap();

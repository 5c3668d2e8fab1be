import { Inject, Injectable, type CanActivate, type ExecutionContext, type Provider } from '@nestjs/common';
import type { Request, Response } from 'express';
import passport from 'passport';
import { oktaSession, type OktaGuard, type OktaSession } from 'passport-okta-oidc';
import { OktaAuthStrategy } from './okta.strategy.js';

/** The injection token of the app's oktaSession. */
export const OKTA_SESSION = 'OKTA_SESSION';

/**
 * oktaSession on the strategy that @nestjs/passport registered with Passport: its callback
 * returns to the page a guard sent to sign in (else /me) and keeps the sign-in's record.
 */
export const oktaSessionProvider: Provider = {
  provide: OKTA_SESSION,
  inject: [OktaAuthStrategy],
  useFactory: (strategy: OktaAuthStrategy): OktaSession => oktaSession(passport, strategy, { defaultReturnTo: '/me' }),
};

/**
 * A guard of oktaSession as a NestJS guard: `run` resolves true to let the request in, false
 * once the guard has answered (sent a navigation to sign in, or refused with 401 or 403).
 */
abstract class OktaSessionGuard implements CanActivate {
  constructor(private readonly guard: OktaGuard) {}

  canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    return this.guard.run(http.getRequest<Request>(), http.getResponse<Response>());
  }
}

/** A signed-in user; else a page is sent to sign in and back, anything else gets 401. */
@Injectable()
export class SignedInGuard extends OktaSessionGuard {
  constructor(@Inject(OKTA_SESSION) okta: OktaSession) {
    super(okta.requireSignIn());
  }
}

/** A member of the Staff group: any other user gets 403. */
@Injectable()
export class StaffGuard extends OktaSessionGuard {
  constructor(@Inject(OKTA_SESSION) okta: OktaSession) {
    super(okta.requireGroups('Staff'));
  }
}

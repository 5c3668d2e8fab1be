import { Controller, Get, Inject, Next, Req, Res, UseGuards } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { OktaSession } from 'passport-okta-oidc';
import { OKTA_SESSION, SignedInGuard, StaffGuard } from './okta.guards';
import type { AppUser } from './okta.strategy';

@Controller()
export class AppController {
  constructor(@Inject(OKTA_SESSION) private readonly okta: OktaSession) {}

  /** Starts a sign-in at Okta: `/login?returnTo=/reports` comes back there (a path of this site only). */
  @Get('login')
  login(@Req() req: Request, @Res() res: Response, @Next() next: NextFunction): void {
    this.okta.signIn()(req, res, next);
  }

  /** Okta's redirect back: the user signed in, the sign-in's record kept, back to the page. */
  @Get('callback')
  callback(@Req() req: Request, @Res() res: Response, @Next() next: NextFunction): void {
    this.okta.callback(req, res, next);
  }

  @Get('me')
  me(@Req() req: Request): { user: string | null } {
    return { user: (req.user as AppUser | undefined)?.id ?? null };
  }

  @Get('reports')
  @UseGuards(SignedInGuard)
  reports(@Req() req: Request): { page: string; user: string } {
    return { page: 'reports', user: (req.user as AppUser).id };
  }

  @Get('staff')
  @UseGuards(StaffGuard)
  staff(@Req() req: Request): { page: string; user: string } {
    return { page: 'staff', user: (req.user as AppUser).id };
  }
}

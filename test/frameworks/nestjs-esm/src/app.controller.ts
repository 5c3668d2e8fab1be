import { Controller, Get, Injectable, Req, Res, UseGuards, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import type { Request, Response } from 'express';
import type { AppUser } from './okta.strategy.js';

@Injectable()
export class OktaGuard extends AuthGuard('okta') {
  constructor() {
    super({ keepSessionInfo: true });
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const allowed = (await super.canActivate(context)) as boolean;
    // Keep the user in the session (passport.session() in main.ts).
    await super.logIn(context.switchToHttp().getRequest());
    return allowed;
  }
}

/** Lets only a signed-in user through (403 otherwise). */
@Injectable()
export class SignedInGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return context.switchToHttp().getRequest<Request>().isAuthenticated();
  }
}

@Controller()
export class AppController {
  @Get('login')
  @UseGuards(OktaGuard)
  login(): void {
    // The guard redirects to Okta.
  }

  @Get('callback')
  @UseGuards(OktaGuard)
  callback(@Res() res: Response): void {
    res.redirect('/me');
  }

  @Get('me')
  me(@Req() req: Request): { user: string | null } {
    return { user: (req.user as AppUser | undefined)?.id ?? null };
  }

  @Get('profile')
  @UseGuards(SignedInGuard)
  profile(@Req() req: Request): { id: string } {
    return { id: (req.user as AppUser).id };
  }
}

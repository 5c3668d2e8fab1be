import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { OktaStrategy, type OktaProfile, type OktaTokens } from 'passport-okta-oidc';

export interface AppUser {
  id: string;
  idToken: string | null;
  refreshToken: string | null;
}

@Injectable()
export class OktaAuthStrategy extends PassportStrategy(OktaStrategy, 'okta') {
  constructor() {
    super({
      oktaDomain: process.env.OKTA_DOMAIN!,
      authServerId: 'default',
      clientID: process.env.OKTA_CLIENT_ID!,
      clientSecret: process.env.OKTA_CLIENT_SECRET!,
      callbackURL: `http://127.0.0.1:${process.env.PORT}/callback`,
    });
  }

  validate(tokens: OktaTokens, profile: OktaProfile): AppUser {
    return { id: profile.id, idToken: tokens.idToken, refreshToken: tokens.refreshToken };
  }
}

// The part of passport-openidconnect 0.1 that the benchmark uses (the package ships no types).
declare module 'passport-openidconnect' {
  import type { Strategy as PassportStrategy } from 'passport';

  namespace OpenIDConnectStrategy {
    interface Options {
      issuer: string;
      authorizationURL: string;
      tokenURL: string;
      userInfoURL?: string;
      clientID: string;
      clientSecret: string;
      callbackURL: string;
      scope?: string | string[];
      nonce?: boolean;
      skipUserProfile?: boolean;
    }
    interface Profile {
      id: string;
      displayName?: string;
    }
    type VerifyCallback = (err: Error | null, user?: object | false, info?: object) => void;
  }

  class OpenIDConnectStrategy implements PassportStrategy {
    constructor(
      options: OpenIDConnectStrategy.Options,
      verify: (issuer: string, profile: OpenIDConnectStrategy.Profile, done: OpenIDConnectStrategy.VerifyCallback) => void,
    );
    name: string;
    authenticate(req: unknown, options?: object): void;
  }

  export = OpenIDConnectStrategy;
}

/** The API benchmark's contenders: the same route and token, checked by each library. */
export type ApiContenderId = 'okta' | 'okta-nocache' | 'okta-jwt-verifier' | 'auth0' | 'okta-dpop' | 'auth0-dpop';

export interface ApiContender {
  id: ApiContenderId;
  label: string;
  dpop: boolean;
  note: string;
}

export const API_AUDIENCE = 'api://default';

export const API_CONTENDERS: readonly ApiContender[] = [
  {
    id: 'okta',
    label: 'OktaBearerStrategy (Bearer)',
    dpop: false,
    note:
      'passport.authenticate + requireScopes, as documented: signature (cached key), iss, aud, exp/nbf/iat, alg, ' +
      'access-token shape (cid, scp, no nonce), scope; a token verified once is remembered until exp (default)',
  },
  {
    id: 'okta-nocache',
    label: 'OktaBearerStrategy (Bearer, verifiedTokenCacheSize: 0)',
    dpop: false,
    note: 'the same checks, with the signature verified on every request (what each peer does) instead of once per token',
  },
  {
    id: 'okta-jwt-verifier',
    label: '@okta/jwt-verifier 4.0.2',
    dpop: false,
    note: 'verifyAccessToken(token, audience) in a small middleware (it ships none), then a scp check: signature, iss, aud, exp, alg',
  },
  {
    id: 'auth0',
    label: 'express-oauth2-jwt-bearer 1.10.0',
    dpop: false,
    note: 'auth({ issuer, jwksUri, audience }) + requiredScopes: signature, iss, aud, exp, iat, alg, typ',
  },
  {
    id: 'okta-dpop',
    label: 'OktaBearerStrategy (DPoP)',
    dpop: true,
    note: "dpop: 'required': the token checks above, plus the proof (ES256 signature, htm, htu, iat, ath, cnf.jkt, jti replay store)",
  },
  {
    id: 'auth0-dpop',
    label: 'express-oauth2-jwt-bearer 1.10.0 (DPoP)',
    dpop: true,
    note: 'dpop: { enabled, required }: proof signature, htm, htu, iat, ath, cnf.jkt; no jti replay check (left to the app)',
  },
];

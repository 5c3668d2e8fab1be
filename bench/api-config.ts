/** The API benchmark's contenders: the same route and token, checked by each library. */
export type ApiContenderId =
  | 'okta'
  | 'okta-candidate'
  | 'okta-middleware'
  | 'okta-nocache'
  | 'okta-jwt-verifier'
  | 'auth0'
  | 'jose'
  | 'okta-dpop'
  | 'auth0-dpop';

/**
 * The traffic an API sees: `repeated`, a few clients each sending its token again and again
 * (10 tokens, round robin); `new`, a token never seen before on every request (many users,
 * each seen once: what a verified-token cache cannot help with).
 */
export type TrafficShape = 'repeated' | 'new';

export interface ApiContender {
  id: ApiContenderId;
  label: string;
  dpop: boolean;
  /** The traffic shapes this contender is measured in. */
  shapes: readonly TrafficShape[];
  note: string;
}

export const API_AUDIENCE = 'api://default';
/** How many distinct tokens the `repeated` shape cycles through. */
export const REPEATED_TOKENS = 10;

const BOTH: readonly TrafficShape[] = ['repeated', 'new'];

export const API_CONTENDERS: readonly ApiContender[] = [
  {
    id: 'okta',
    label: 'OktaBearerStrategy through Passport',
    dpop: false,
    shapes: BOTH,
    note:
      'passport.authenticate + requireScopes, as documented: signature (cached key), iss, aud, exp/nbf/iat, alg, typ, ' +
      'access-token shape (cid, scp, no nonce), scope; a token seen twice is remembered until exp (default)',
  },
  {
    id: 'okta-candidate',
    label: 'OktaBearerStrategy through Passport, the candidate build (BENCH_API_CANDIDATE)',
    dpop: false,
    shapes: BOTH,
    note: 'the row above with another build of the package (e.g. the one before a change): only when BENCH_API_CANDIDATE names it',
  },
  {
    id: 'okta-middleware',
    label: 'oktaBearer() (no Passport)',
    dpop: false,
    shapes: BOTH,
    note: 'the same check as a plain middleware + requireScopes: the same answers, req.user and req.authInfo',
  },
  {
    id: 'okta-nocache',
    label: 'OktaBearerStrategy through Passport, verifiedTokenCacheSize: 0',
    dpop: false,
    shapes: ['repeated'],
    note: 'the same checks, the signature verified on every request (what each peer does); with new tokens it is the row above',
  },
  {
    id: 'auth0',
    label: 'express-oauth2-jwt-bearer 1.10.0',
    dpop: false,
    shapes: BOTH,
    note: 'auth({ issuer, jwksUri, audience }) + requiredScopes: signature, iss, aud, exp, iat, alg, typ',
  },
  {
    id: 'okta-jwt-verifier',
    label: '@okta/jwt-verifier 4.0.2',
    dpop: false,
    shapes: BOTH,
    note: 'verifyAccessToken(token, audience) in a small middleware (it ships none), then a scp check: signature, iss, aud, exp, alg',
  },
  {
    id: 'jose',
    label: 'jose floor',
    dpop: false,
    shapes: BOTH,
    note: 'a hand-written middleware: the Bearer token, jose.jwtVerify with the key imported once (iss, aud, exp, alg), a scp check',
  },
  {
    id: 'okta-dpop',
    label: 'OktaBearerStrategy through Passport (DPoP)',
    dpop: true,
    shapes: ['repeated'],
    note: "dpop: 'required': the token checks above, plus the proof (ES256 signature, htm, htu, iat, ath, cnf.jkt, jti replay store)",
  },
  {
    id: 'auth0-dpop',
    label: 'express-oauth2-jwt-bearer 1.10.0 (DPoP)',
    dpop: true,
    shapes: ['repeated'],
    note: 'dpop: { enabled, required }: proof signature, htm, htu, iat, ath, cnf.jkt; no jti replay check (left to the app)',
  },
];

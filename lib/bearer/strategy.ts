import type { OktaRequest } from '../passport/request.js';
import { OktaPassportStrategy } from '../passport/strategy-base.js';
import { BearerCheck } from './check.js';
import type {
  BearerVerifyFunction,
  BearerVerifyFunctionWithRequest,
  OktaBearerIssuersOptions,
  OktaBearerStrategyOptions,
  OktaBearerStrategyOptionsWithRequest,
} from './options.js';

/**
 * Passport strategy for APIs that receive Okta access tokens: `Authorization: Bearer` or,
 * sender-constrained, `Authorization: DPoP` with a DPoP proof (RFC 9449 §7). JWT access
 * tokens of a custom authorization server are verified locally, with the key cache the
 * sign-in strategy of the same server uses; the org server's and opaque tokens are
 * introspected (RFC 7662) when a client is configured. Refusals answer as RFC 6750 §3
 * and RFC 9449 §7.1 say, with `WWW-Authenticate`. Use it with `session: false`. An API
 * without Passport uses `oktaBearer()`, the same check as a middleware.
 *
 * @example
 * ```ts
 * passport.use(new OktaBearerStrategy({
 *   oktaDomain: 'https://acme.okta.com', authServerId: 'default', audience: 'api://default',
 * }, async (claims) => findUser(claims.sub)))
 * app.get('/api/orders', passport.authenticate('okta-bearer', { session: false }), requireScopes('orders:read'), handler)
 * ```
 */
export class OktaBearerStrategy extends OktaPassportStrategy {
  override name: string;
  private readonly bearer: BearerCheck;

  constructor(
    options: OktaBearerStrategyOptions | (OktaBearerIssuersOptions & { passReqToCallback?: false }),
    verify?: BearerVerifyFunction,
  );
  constructor(
    options: OktaBearerStrategyOptionsWithRequest | (OktaBearerIssuersOptions & { passReqToCallback: true }),
    verify: BearerVerifyFunctionWithRequest,
  );
  constructor(
    options: OktaBearerStrategyOptions | OktaBearerStrategyOptionsWithRequest | OktaBearerIssuersOptions,
    verify?: BearerVerifyFunction | BearerVerifyFunctionWithRequest,
  ) {
    const bearer = new BearerCheck(options, verify);
    super(bearer.settings.onReportError, 'API request');
    this.bearer = bearer;
    this.name = bearer.settings.name;
  }

  /** Called by Passport: checks the request's access token (and DPoP proof), then the verify function. */
  override authenticate(req: OktaRequest): void {
    this.settle(req, this.bearer.check(req));
  }
}

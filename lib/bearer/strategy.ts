import { ConfigurationError } from '../core/errors.js';
import { requestOrigin, type OktaRequest } from '../passport/request.js';
import { OktaPassportStrategy, type Outcome } from '../passport/strategy-base.js';
import { asError, verifyRunner } from '../passport/verify.js';
import { looksLikeJwt, looksOpaque, precheckJwt, verifyJwtAccessToken, type OktaAccessTokenClaims } from './access-token.js';
import { headerCount, readCredentials, wwwAuthenticate, type Credentials, type Scheme } from './challenge.js';
import { normalizeHtuCached } from './dpop-proof.js';
import { AccessTokenError } from '../core/errors.js';
import type {
  BearerVerifyFunction,
  BearerVerifyFunctionWithRequest,
  OktaBearerAuthInfo,
  OktaBearerIssuersOptions,
  OktaBearerStrategyOptions,
  OktaBearerStrategyOptionsWithRequest,
} from './options.js';
import { observeBearer } from './events.js';
import { rememberChallenge } from './scopes.js';
import { Issuers } from './issuers.js';
import { resolveBearerOptions, type BearerSettings } from './settings.js';

/**
 * Passport strategy for APIs that receive Okta access tokens: `Authorization: Bearer` or,
 * sender-constrained, `Authorization: DPoP` with a DPoP proof (RFC 9449 §7). JWT access
 * tokens of a custom authorization server are verified locally, with the key cache the
 * sign-in strategy of the same server uses; the org server's and opaque tokens are
 * introspected (RFC 7662) when a client is configured. Refusals answer as RFC 6750 §3
 * and RFC 9449 §7.1 say, with `WWW-Authenticate`. Use it with `session: false`.
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
  private readonly settings: BearerSettings;
  private readonly runVerify: ((req: unknown, args: readonly unknown[]) => Promise<{ user: unknown; info: object }>) | undefined;

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
    const settings = resolveBearerOptions(options);
    super(settings.onReportError, 'API request');
    if (verify !== undefined && typeof verify !== 'function') throw new ConfigurationError('verify must be a function');
    if (settings.passReqToCallback && verify === undefined)
      throw new ConfigurationError('passReqToCallback needs a verify function');
    this.settings = settings;
    this.name = settings.name;
    this.runVerify =
      verify === undefined
        ? undefined
        : verifyRunner(verify, {
            passReqToCallback: settings.passReqToCallback,
            arguments: 2,
            timeoutMs: settings.verifyTimeout,
          });
  }

  /** Called by Passport: checks the request's access token (and DPoP proof), then the verify function. */
  override authenticate(req: OktaRequest): void {
    this.settle(
      req,
      observeBearer(this.name, () => this.check(req)),
    );
  }

  private async check(req: OktaRequest): Promise<Outcome> {
    const { challenge } = this.settings;
    let scheme: Scheme | undefined;
    try {
      let credentials: Credentials | undefined = readCredentials(req);
      if (credentials?.scheme === 'DPoP' && this.settings.dpop === 'disabled') credentials = undefined;
      if (credentials === undefined) return { kind: 'fail', challenge: wwwAuthenticate(challenge), status: 401 };
      scheme = credentials.scheme;
      const claims = await this.verifyPresentation(req, credentials);
      const { user, info } =
        this.runVerify === undefined ? { user: claims, info: {} } : await this.runVerify(req, [claims, credentials.token]);
      if (!user) throw new AccessTokenError('invalid_token', 'The application refused this access token');
      const authInfo: OktaBearerAuthInfo = { ...info, scopes: claims.scp, claims, tokenType: credentials.scheme };
      rememberChallenge(req, challenge);
      return { kind: 'success', user, info: authInfo };
    } catch (err) {
      if (!(err instanceof AccessTokenError)) return { kind: 'error', error: asError(err) };
      const value = wwwAuthenticate(challenge, { error: err.error, description: err.description, scheme });
      // Passport sets WWW-Authenticate from a string challenge on 401 only.
      return {
        kind: 'fail',
        challenge: value,
        status: err.status,
        headers: err.status === 401 ? undefined : { 'WWW-Authenticate': value },
      };
    }
  }

  /** The token's claims once it and, for the DPoP scheme, its proof passed every check. */
  private async verifyPresentation(req: OktaRequest, { scheme, token }: Credentials): Promise<OktaAccessTokenClaims> {
    if (scheme === 'Bearer' && this.settings.dpop === 'required') {
      throw new AccessTokenError('invalid_token', 'This API accepts DPoP-bound access tokens only');
    }
    let proof: string | undefined;
    if (scheme === 'DPoP') {
      const count = headerCount(req, 'dpop');
      if (count === 0) throw new AccessTokenError('invalid_dpop_proof', 'The request has no DPoP proof');
      if (count > 1) throw new AccessTokenError('invalid_dpop_proof', 'The request carries several DPoP proofs');
      proof = req.headers.dpop as string;
    }
    const { claims, hash } = await this.verifyToken(token);
    const jkt = claims.cnf?.jkt;
    if (proof === undefined) {
      if (jkt !== undefined) {
        throw new AccessTokenError(
          'invalid_token',
          'The access token is DPoP-bound: present it with the DPoP scheme and a proof',
        );
      }
      return claims;
    }
    if (jkt === undefined) throw new AccessTokenError('invalid_token', 'The access token is not DPoP-bound');
    const request = { method: req.method ?? 'GET', url: this.requestURL(req), token, jkt, tokenHash: hash };
    await this.settings.proofs.verify(proof, request);
    return claims;
  }

  /**
   * The token's claims, and its SHA-256 (base64url) when it was computed on the way (a
   * proof's `ath`). A JWT of a custom authorization server is verified here; only what could
   * be an Okta token is sent to introspection: a JWT that passed the local checks (the org
   * server's, or with `introspect: 'always'`), or an opaque token. Anything else is refused
   * without a request to Okta.
   */
  private async verifyToken(token: string): Promise<{ claims: OktaAccessTokenClaims; hash?: string | undefined }> {
    const { issuer } = this.settings;
    // With issuers, the token's iss picks the rules (an unlisted one is refused here, before any request).
    const parts = issuer instanceof Issuers ? await issuer.forToken(token) : issuer;
    const { verified, tokenSettings, introspector } = parts;
    const keys = parts.keys?.();
    const jwtShaped = token.includes('.');
    if (jwtShaped && keys !== undefined && this.settings.introspectMode !== 'always') {
      const published = (kid: string | undefined): string | undefined => keys.published(kid);
      const { key, claims } = verified.get(token, published);
      if (claims !== undefined) return { claims, hash: key };
      if (!looksLikeJwt(token)) throw new AccessTokenError('invalid_token', 'The access token is not a well-formed JWT');
      const result = await verifyJwtAccessToken(token, keys, tokenSettings);
      verified.set(key, result.claims, result.kid, keys.published(result.kid));
      return { claims: result.claims, hash: key };
    }
    if (jwtShaped) precheckJwt(token, tokenSettings);
    else if (!looksOpaque(token))
      throw new AccessTokenError('invalid_token', 'The access token is neither a JWT nor an opaque token');
    if (introspector !== undefined) return { claims: await introspector.introspect(token) };
    throw new AccessTokenError('invalid_token', 'The access token is not a JWT of this authorization server');
  }

  /** Scheme, host and path of the request as the client addressed it, for `htu`. */
  private requestURL(req: OktaRequest): string {
    const { origin, allowedHosts, trustProxy } = this.settings;
    const raw = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const end = raw.search(/[?#]/);
    let path = end === -1 ? raw : raw.slice(0, end);
    if (!path.startsWith('/')) path = `/${path}`;
    if (origin !== undefined) return normalizeHtuCached(`${origin}${path}`) ?? '';
    const { protocol, host } = requestOrigin(req, trustProxy);
    if (allowedHosts !== undefined && (host === undefined || !allowedHosts.includes(host.toLowerCase()))) {
      throw new AccessTokenError('invalid_request', "The request's host is not among this API's allowedHosts");
    }
    return normalizeHtuCached(`${protocol}://${host ?? ''}${path}`) ?? '';
  }
}

import { AccessTokenError, ConfigurationError } from '../core/errors.js';
import { requestOrigin, type OktaRequest } from '../passport/request.js';
import { asError, verifyRunner } from '../passport/verify.js';
import { looksOpaque, precheckJwt, verifyJwtAccessToken, type OktaAccessTokenClaims } from './access-token.js';
import { headerCount, readCredentials, wwwAuthenticate, type Credentials, type Scheme } from './challenge.js';
import { normalizeHtuCached } from './dpop-proof.js';
import type {
  BearerVerifyFunction,
  BearerVerifyFunctionWithRequest,
  OktaBearerAuthInfo,
  OktaBearerIssuersOptions,
  OktaBearerStrategyOptions,
  OktaBearerStrategyOptionsWithRequest,
} from './options.js';
import { observeBearer } from './events.js';
import { Issuers } from './issuers.js';
import { rememberChallenge } from './scopes.js';
import { resolveBearerOptions, type BearerSettings } from './settings.js';

/** What a check ends in: one of Passport's outcomes (never a redirect), the challenge a `WWW-Authenticate` value. */
export type BearerOutcome =
  | { kind: 'success'; user: unknown; info: OktaBearerAuthInfo }
  | { kind: 'fail'; challenge: string; status: number; headers?: Record<string, string> | undefined }
  | { kind: 'error'; error: Error };

type RunVerify = (req: unknown, args: readonly unknown[]) => Promise<{ user: unknown; info: object }>;

/**
 * The one check of an API request's access token (and DPoP proof), then of the verify
 * function: what `OktaBearerStrategy` hands to Passport and `oktaBearer()` applies itself.
 * It ends in a {@link BearerOutcome} and never throws: a refusal is a `fail` with its
 * `WWW-Authenticate` value, anything else an `error`.
 */
export class BearerCheck {
  readonly settings: BearerSettings;
  private readonly runVerify: RunVerify | undefined;

  constructor(
    options: OktaBearerStrategyOptions | OktaBearerStrategyOptionsWithRequest | OktaBearerIssuersOptions,
    verify?: BearerVerifyFunction | BearerVerifyFunctionWithRequest,
  ) {
    const settings = resolveBearerOptions(options);
    if (verify !== undefined && typeof verify !== 'function') throw new ConfigurationError('verify must be a function');
    if (settings.passReqToCallback && verify === undefined)
      throw new ConfigurationError('passReqToCallback needs a verify function');
    this.settings = settings;
    this.runVerify =
      verify === undefined
        ? undefined
        : verifyRunner(verify, {
            passReqToCallback: settings.passReqToCallback,
            arguments: 2,
            timeoutMs: settings.verifyTimeout,
          });
  }

  /**
   * The request's outcome: `success` with the user and `req.authInfo`, `fail` with the
   * challenge, or `error`; told on the diagnostics channel (bearer/events.ts).
   */
  check(req: OktaRequest): Promise<BearerOutcome> {
    // observeBearer hands back the outcome of decide() as it is.
    return observeBearer(this.settings.name, () => this.decide(req)) as Promise<BearerOutcome>;
  }

  private async decide(req: OktaRequest): Promise<BearerOutcome> {
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
  private async verifyPresentation(req: OktaRequest, credentials: Credentials): Promise<OktaAccessTokenClaims> {
    const { scheme, token } = credentials;
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
    const { claims, hash } = await this.verifyToken(credentials);
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
   * proof's `ath`). A JWT of a custom authorization server is verified here, or found among
   * the tokens verified before; only what could be an Okta token is sent to introspection: a
   * JWT that passed the local checks (the org server's, or with `introspect: 'always'`), or
   * an opaque token. Anything else is refused without a request to Okta.
   */
  private async verifyToken({ token, jwt }: Credentials): Promise<{ claims: OktaAccessTokenClaims; hash?: string | undefined }> {
    const { issuer } = this.settings;
    // With issuers, the token's iss picks the rules (an unlisted one is refused here, before any request).
    const parts = issuer instanceof Issuers ? await issuer.forToken(token, jwt) : issuer;
    const { verified, tokenSettings, introspector } = parts;
    if (!jwt) {
      if (token.includes('.')) throw new AccessTokenError('invalid_token', 'The access token is not a well-formed JWT');
      if (!looksOpaque(token))
        throw new AccessTokenError('invalid_token', 'The access token is neither a JWT nor an opaque token');
    } else {
      const keys = parts.keys?.();
      if (keys !== undefined && this.settings.introspectMode !== 'always') {
        const seen = verified.get(token, keys);
        if (seen.claims !== undefined) return { claims: seen.claims, hash: seen.key };
        const result = await verifyJwtAccessToken(token, keys, tokenSettings);
        if (seen.key !== undefined) verified.set(seen.key, result.claims, result.kid, keys.published(result.kid));
        return { claims: result.claims, hash: seen.key };
      }
      precheckJwt(token, tokenSettings);
    }
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

import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { ConfigurationError, ResponseError } from '../core/errors.js';
import { apiToken, checkedScopes, GrantCache, usesDPoP, type ApiGrantSettings, type OktaAccessToken } from './api-tokens.js';

/** RFC 8693 §3: the type of the tokens exchanged here, given and received. */
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** Options of `OktaClient.exchangeToken`. */
export interface TokenExchangeOptions {
  /** The user's access token, e.g. the one your API received (never kept: the cache holds its SHA-256). */
  subjectToken: string;
  /** The audience of the authorization server this client is for, e.g. `api://downstream` (Okta requires it). */
  audience: string;
  /** The downstream API's scopes to ask for (at least one; Okta refuses OpenID Connect scopes here). */
  scopes: readonly string[];
  /** Bind the token to the client's DPoP key, as for `getClientCredentialsToken`. */
  dpop?: boolean | undefined;
}

/** A token from a token exchange: for the downstream API, on behalf of the subject token's user. */
export interface OktaExchangedToken extends OktaAccessToken {
  /** RFC 8693 §2.2.1: always `urn:ietf:params:oauth:token-type:access_token` (checked). */
  issuedTokenType: 'urn:ietf:params:oauth:token-type:access_token';
}

const OPTION_NAMES: readonly string[] = ['subjectToken', 'audience', 'scopes', 'dpop'] satisfies (keyof TokenExchangeOptions)[];
const METHOD = 'exchangeToken';
/** Tokens kept per client: one per user token, audience and scopes, so per signed-in user at work. */
const MAX_TOKENS = 1000;

/**
 * Okta's On-Behalf-Of Token Exchange (RFC 8693 §2), on custom authorization servers only: a
 * user's access token for one of a downstream API, cached per (hash of the user's token,
 * audience, scopes, DPoP) until shortly before it expires, and never past the user token's
 * own `exp` when it is a JWT.
 */
export class TokenExchangeGrant {
  private readonly cache: GrantCache<OktaExchangedToken>;

  constructor(private readonly settings: ApiGrantSettings) {
    this.cache = new GrantCache(MAX_TOKENS, settings.now);
  }

  async token(options: TokenExchangeOptions): Promise<OktaExchangedToken> {
    if (this.settings.orgServer) {
      throw new ConfigurationError(
        `${METHOD} needs a custom authorization server (authServerId): Okta's org authorization server has no token exchange`,
      );
    }
    const scopes = checkedScopes(METHOD, options, OPTION_NAMES);
    const { subjectToken, audience } = options;
    if (typeof subjectToken !== 'string' || subjectToken === '') throw new ConfigurationError(`${METHOD} needs a subjectToken`);
    if (typeof audience !== 'string' || audience === '') {
      throw new ConfigurationError(`${METHOD} needs the audience of the authorization server, e.g. 'api://default'`);
    }
    const dpop = usesDPoP(METHOD, options.dpop, this.settings.hasDPoP);
    const hash = createHash('sha256').update(subjectToken).digest('base64url');
    const key = JSON.stringify([dpop, hash, audience, scopes]);
    const fetch = (): Promise<OktaExchangedToken> => this.request(subjectToken, audience, scopes, dpop);
    return this.cache.get(key, fetch, expiryOf(subjectToken));
  }

  private async request(subjectToken: string, audience: string, scopes: string[], dpop: boolean): Promise<OktaExchangedToken> {
    const form = new URLSearchParams({
      grant_type: TOKEN_EXCHANGE,
      subject_token_type: ACCESS_TOKEN_TYPE,
      subject_token: subjectToken,
      audience,
      scope: scopes.join(' '),
    });
    const { requests, endpoints } = this.settings;
    const { tokens, body } = await requests.grant(endpoints.token, form, scopes, [subjectToken], dpop);
    if (body.issued_token_type !== ACCESS_TOKEN_TYPE) {
      throw new ResponseError("Okta's token endpoint answered a token exchange without issued_token_type access_token", 200);
    }
    return { ...apiToken(tokens), issuedTokenType: ACCESS_TOKEN_TYPE };
  }
}

/** The `exp` of a JWT access token in epoch ms, unverified (only ever to keep a cached token less long); else none. */
function expiryOf(token: string): number | undefined {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

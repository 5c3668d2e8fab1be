import { apiToken, checkedScopes, GrantCache, usesDPoP, type ApiGrantSettings, type OktaAccessToken } from './api-tokens.js';

/** Options of `OktaClient.getClientCredentialsToken`. */
export interface ClientCredentialsOptions {
  /**
   * The scopes to ask for: at least one custom scope of the authorization server's API, e.g.
   * `['orders:read']`. The token's audience is the authorization server's: Okta's client
   * credentials grant takes no audience, so another API means another `authServerId`.
   */
  scopes: readonly string[];
  /**
   * Bind the token to the client's DPoP key (RFC 9449). Default: when the client was made
   * with `dpop`; `true` without it is a `ConfigurationError`.
   */
  dpop?: boolean | undefined;
}

const OPTION_NAMES: readonly string[] = ['scopes', 'dpop'] satisfies (keyof ClientCredentialsOptions)[];
const METHOD = 'getClientCredentialsToken';
/** Tokens kept per client: one per set of scopes (and DPoP or not) an app asks for. */
const MAX_TOKENS = 100;

/**
 * The client credentials grant (RFC 6749 §4.4): a token for the client itself, cached per
 * scopes and DPoP until shortly before it expires.
 */
export class ClientCredentialsGrant {
  private readonly cache: GrantCache<OktaAccessToken>;

  constructor(private readonly settings: ApiGrantSettings) {
    this.cache = new GrantCache(MAX_TOKENS, settings.now);
  }

  async token(options: ClientCredentialsOptions): Promise<OktaAccessToken> {
    const scopes = checkedScopes(METHOD, options, OPTION_NAMES);
    const dpop = usesDPoP(METHOD, options.dpop, this.settings.hasDPoP);
    const key = JSON.stringify([dpop, scopes]);
    return this.cache.get(key, () => this.request(scopes, dpop));
  }

  private async request(scopes: string[], dpop: boolean): Promise<OktaAccessToken> {
    const form = new URLSearchParams({ grant_type: 'client_credentials', scope: scopes.join(' ') });
    const { requests, endpoints } = this.settings;
    const { tokens } = await requests.grant(endpoints.token, form, scopes, [], dpop);
    return apiToken(tokens);
  }
}

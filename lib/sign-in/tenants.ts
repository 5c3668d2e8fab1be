import { hash } from 'node:crypto';
import { OktaClient, type OktaClientOptions } from '../client/client.js';
import { BoundedCache } from '../core/cache.js';
import { oktaEndpoints, parseOktaDomain } from '../core/endpoints.js';
import { withDeadline } from '../core/deadline.js';
import { ConfigurationError, StoreUnavailableError, UnknownTenantError } from '../core/errors.js';
import { checkOptionNames, isObject } from '../core/options.js';
import type { OktaRequest } from '../passport/request.js';
import { callbackKey } from './mix-up.js';
import { checkCallbackURL, scopeList, TENANT_OWNED } from './option-checks.js';
import { RedirectURIs } from './redirect-uri.js';
import type { TenantConfig, TenantKey, TenantOwnedOption, TenantResolver } from './tenant-types.js';

/** Who a sign-in is with: the client of its Okta org, where Okta sends the user back, the scopes. */
export interface Party {
  client: OktaClient;
  redirectURIs: RedirectURIs;
  scopes: readonly string[];
  /** The org, for a strategy with `tenant`. */
  tenant?: TenantKey;
}

/** What every org's party shares: the strategy's options. */
export interface TenantDefaults {
  clientOptions: OktaClientOptions;
  callbackURL: string;
  scopes: readonly string[];
  allowedHosts: readonly string[] | undefined;
  trustProxy: boolean;
  requireIss: boolean;
}

/** A TenantConfig's fields: the org's own options, refused beside `tenant`, and the two it may add. */
const TENANT_CONFIG_NAMES: readonly string[] = [
  ...TENANT_OWNED,
  ...Object.keys({ scope: true, callbackURL: true } as const satisfies Record<
    Exclude<keyof TenantConfig, TenantOwnedOption>,
    true
  >),
];

/** What a strategy with `tenant` answers when asked for its one org: the cause, and what to do instead. */
export const NO_ONE_ORG = {
  check: 'A strategy with tenant has no one Okta org to check: check each org with its own OktaClient (docs/tenants.md)',
  client:
    'A strategy with tenant has a client per Okta org, not one: oktaSession, oktaLogout and keepTokensFresh need a strategy ' +
    'for one org; sign a tenant user out with req.logout() (docs/tenants.md)',
};

const keyOf = (tenant: TenantKey): string => `${tenant.issuer}\n${tenant.clientID}`;

/**
 * The Okta orgs of a strategy with `tenant`: each resolved config checked like the
 * strategy's own options and made into a client once, the clients (and so their key caches)
 * kept for at most `max` orgs, the least recently used going first. A callback finishes with
 * the org its pending login names, or not at all: nothing in its request chooses another.
 */
export class Tenants {
  /** By issuer and client id: the config's fingerprint and its party. */
  private readonly parties: BoundedCache<string, { fingerprint: string; party: Party }>;
  /**
   * Which org's callback each callback path is: two orgs held at once must not share one.
   * Entries of orgs no longer held are dropped before each check, so that it sees exactly
   * the orgs held (at most one path per org).
   */
  private readonly callbacks = new Map<string, string>();

  constructor(
    private readonly resolve: TenantResolver,
    private readonly defaults: TenantDefaults,
    max: number,
    private readonly timeout: number,
  ) {
    this.parties = new BoundedCache({ maxEntries: max });
  }

  /** How many orgs' clients are held. */
  get size(): number {
    return this.parties.size;
  }

  /**
   * The org of a sign-in that `req` starts.
   * @throws {UnknownTenantError} (400) The resolver knows no org for it, or threw a `ConfigurationError`.
   * @throws {ConfigurationError} The org's config is invalid.
   */
  async forStart(req: OktaRequest): Promise<Party> {
    const config = await this.ask(req, undefined, 400);
    if (config === undefined) throw new UnknownTenantError('This request names no Okta org (tenant) this app knows', 400);
    return this.partyOf(config);
  }

  /**
   * The org a pending login was started with: the one held, else the resolver's answer for
   * it, which must be that org (same issuer and client id).
   * @throws {UnknownTenantError} (403) The resolver no longer knows it, or answered another.
   */
  async forLogin(req: OktaRequest, tenant: TenantKey): Promise<Party> {
    const key = keyOf(tenant);
    const held = this.parties.get(key);
    if (held !== undefined) {
      this.parties.set(key, held); // least recently used goes first
      return held.party;
    }
    const config = await this.ask(req, { ...tenant }, 403);
    if (config === undefined) {
      throw new UnknownTenantError('The Okta org (tenant) this sign-in was started with is no longer known', 403);
    }
    const party = this.partyOf(config);
    if (party.tenant === undefined || keyOf(party.tenant) !== key) {
      throw new UnknownTenantError('The tenant resolver named another Okta org than the one this sign-in was started with', 403);
    }
    return party;
  }

  private async ask(req: OktaRequest, pending: TenantKey | undefined, status: 400 | 403): Promise<TenantConfig | undefined> {
    let config: unknown;
    try {
      config = await withDeadline(
        this.resolve(req, pending),
        this.timeout,
        () => new StoreUnavailableError(`The tenant resolver did not answer within tenantTimeout (${String(this.timeout)} ms)`),
      );
    } catch (err) {
      if (err instanceof ConfigurationError || err instanceof UnknownTenantError) {
        throw new UnknownTenantError('The tenant resolver refused this request: no Okta org (tenant) for it', status, {
          cause: err,
        });
      }
      throw err;
    }
    if (config === undefined || config === null) return undefined;
    if (!isObject(config)) throw new ConfigurationError('The tenant resolver must return a TenantConfig object or undefined');
    return config as TenantConfig;
  }

  /** The party of a config: held, or made (checked) and held. */
  private partyOf(config: TenantConfig): Party {
    checkOptionNames('TenantConfig', config, TENANT_CONFIG_NAMES);
    const endpoints = oktaEndpoints(parseOktaDomain(config.oktaDomain, config.issuer), config.authServerId, config.issuer);
    const { issuer } = endpoints;
    // The org's endpoints must be where its issuer is: else a config (one tenant's input, in a
    // self-service app) could name another org's issuer with its own endpoints and keys, and
    // sign in as that org's users, or receive the codes of that org's pending sign-ins.
    if (new URL(issuer).origin !== new URL(endpoints.token).origin) {
      throw new ConfigurationError(
        `TenantConfig: the issuer ${issuer} is not at oktaDomain; with a custom URL domain, give it as oktaDomain too`,
      );
    }
    if (typeof config.clientID !== 'string' || config.clientID === '')
      throw new ConfigurationError('TenantConfig needs clientID');
    const tenant = { issuer, clientID: config.clientID };
    const key = keyOf(tenant);
    const fingerprint = fingerprintOf(config);
    const held = this.parties.get(key);
    if (held?.fingerprint === fingerprint) {
      this.parties.set(key, held);
      return held.party;
    }
    const party = this.make(config, tenant);
    this.parties.set(key, { fingerprint, party });
    return party;
  }

  private make(config: TenantConfig, tenant: TenantKey): Party {
    const { defaults } = this;
    const callbackURL = config.callbackURL ?? defaults.callbackURL;
    if (config.callbackURL !== undefined) checkCallbackURL(config.callbackURL);
    else if (!defaults.requireIss) {
      throw new ConfigurationError(
        `The Okta org ${tenant.issuer} has no callbackURL of its own: give each TenantConfig its own callbackURL ` +
          '(e.g. "/auth/okta/callback/acme", registered in that org only), or set requireIss: true if every org sends iss ' +
          '(Okta does not). A callback shared by orgs could not tell which org sent the user back (mix-up attack, RFC 9700 §4.4).',
      );
    }
    const path = callbackKey(callbackURL);
    const key = keyOf(tenant);
    for (const [held, org] of this.callbacks) if (org === key || !this.parties.has(org)) this.callbacks.delete(held);
    const owner = this.callbacks.get(path);
    if (!defaults.requireIss && owner !== undefined) {
      throw new ConfigurationError(
        `Two Okta orgs have the callback path ${path}: give each TenantConfig a callbackURL of its own (mix-up defence, RFC 9700 §4.4.2)`,
      );
    }
    this.callbacks.set(path, key);
    const client = new OktaClient(config.oktaDomain, config.clientID, config.clientSecret, callbackURL, {
      ...defaults.clientOptions,
      authServerId: config.authServerId,
      issuer: config.issuer,
      tokenEndpointAuthMethod: config.tokenEndpointAuthMethod,
      privateKey: config.privateKey,
      privateKeyId: config.privateKeyId,
    });
    return {
      client,
      redirectURIs: new RedirectURIs(callbackURL, defaults.allowedHosts, defaults.trustProxy),
      scopes: config.scope === undefined ? defaults.scopes : scopeList(config.scope, 'TenantConfig scope'),
      tenant,
    };
  }
}

/** A digest of a config (credentials included): a changed config (a rotated secret) makes a new client. */
function fingerprintOf(config: TenantConfig): string {
  const fields = TENANT_CONFIG_NAMES.map((name) => (config as unknown as Record<string, unknown>)[name]);
  return hash('sha256', JSON.stringify(fields), 'base64url');
}

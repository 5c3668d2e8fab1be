import { BoundedCache } from '../core/cache.js';
import { ConfigurationError } from '../core/errors.js';
import { absoluteURL, requestOrigin, type OktaRequest } from '../passport/request.js';

/** A request for a host that `allowedHosts` does not list: the request's fault (400), not the setup's. */
export class HostError extends Error {}

/**
 * The redirect URI of a sign-in: `callbackURL` when absolute, else the path resolved against
 * the request's origin (only for `allowedHosts` when given; from `X-Forwarded-*` only with
 * `trustProxy`), remembered per origin once it passed those checks. Hosts come from
 * requests: the memory is bounded.
 */
export class RedirectURIs {
  private readonly absolute: boolean;
  private readonly byOrigin = new BoundedCache<string, string>({ maxEntries: 64 });

  constructor(
    private readonly callbackURL: string,
    private readonly allowedHosts: readonly string[] | undefined,
    private readonly trustProxy: boolean,
  ) {
    this.absolute = URL.canParse(callbackURL);
  }

  for(req: OktaRequest): string {
    if (this.absolute) return this.callbackURL;
    const { protocol, host } = requestOrigin(req, this.trustProxy);
    if (!host) throw new ConfigurationError('callbackURL is a path, but the request has no Host header to resolve it against');
    const origin = `${protocol}://${host}`;
    let uri = this.byOrigin.get(origin);
    if (uri !== undefined) return uri;
    if (this.allowedHosts !== undefined && !this.allowedHosts.includes(host.toLowerCase())) {
      throw new HostError(`The request's host is not among allowedHosts, so callbackURL cannot be resolved against it`);
    }
    uri = absoluteURL(req, this.callbackURL, this.trustProxy);
    this.byOrigin.set(origin, uri);
    return uri;
  }
}

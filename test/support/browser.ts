/**
 * A scripted browser for tests over real HTTP: follows redirects by hand, submits forms,
 * and keeps cookies the way a browser does (RFC 6265): per host name and path, across
 * ports; `Path` (or the default path of the request), `Domain`, `Max-Age` (which wins
 * over `Expires`), `Expires`, and `Secure` (sent over https, and to loopback hosts over
 * http, as Chromium does). `SameSite` is not enforced: every request counts as same-site.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  body: string;
  /** Every URL requested to get this page, in order; the last one is `url`. */
  history: string[];
}

interface RequestInit {
  method: string;
  body?: string;
  headers?: Record<string, string>;
}

interface StoredCookie {
  name: string;
  value: string;
  /** The host for a host-only cookie, else the `Domain` attribute (without a leading dot). */
  domain: string;
  hostOnly: boolean;
  path: string;
  /** Epoch milliseconds; undefined for a session cookie. */
  expiresAt: number | undefined;
  secure: boolean;
  /** Order of creation, for the order in the Cookie header. */
  created: number;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** One HTTP(S) exchange: the status, the raw header list, the body as text. */
function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
): Promise<{ status: number; raw: string[]; body: string }> {
  const requestFn = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = requestFn(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, raw: res.rawHeaders, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** What a browser's navigation accepts (Chromium's Accept header for a page). */
export const NAVIGATION_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

export class ScriptedBrowser {
  private readonly jar = new Map<string, StoredCookie>();
  private created = 0;
  /** Headers sent with every request unless the request sets them: by default a navigation's. */
  private readonly defaults: Record<string, string>;

  constructor(options: { headers?: Record<string, string> } = {}) {
    // Node's fetch says `Sec-Fetch-Mode: cors` unless told otherwise; a browser's navigation says `navigate`.
    this.defaults = options.headers ?? { accept: NAVIGATION_ACCEPT, 'sec-fetch-mode': 'navigate' };
  }

  /** GET `url`, following redirects up to `maxHops`. */
  async get(url: string, maxHops = 20): Promise<Page> {
    return this.follow(url, { method: 'GET' }, maxHops);
  }

  /** POST an urlencoded form to `url`, then follow redirects. */
  async post(url: string, form: Record<string, string>, maxHops = 20): Promise<Page> {
    return this.follow(
      url,
      {
        method: 'POST',
        body: new URLSearchParams(form).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      maxHops,
    );
  }

  /**
   * One request, no redirect following. Sent with node:http rather than fetch, which would
   * say `Sec-Fetch-Mode: cors` where a browser's navigation says `navigate`.
   */
  async request(url: string, init: RequestInit): Promise<Page> {
    const target = new URL(url);
    const headers: Record<string, string> = { ...this.defaults, ...init.headers };
    const cookie = this.cookieHeader(target);
    if (cookie) headers.cookie = cookie;
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
    const { status, raw, body } = await send(target, init.method, headers, init.body);
    const responseHeaders = new Headers();
    for (let i = 0; i < raw.length; i += 2) responseHeaders.append(raw[i]!, raw[i + 1]!);
    for (const line of responseHeaders.getSetCookie()) this.store(target, line);
    return { url: target.href, status, headers: responseHeaders, body, history: [target.href] };
  }

  /**
   * Follows a redirect chain from one request; stops at the first non-redirect. 307 and
   * 308 repeat the method and body; the other redirects turn into a GET, as in browsers.
   */
  async follow(url: string, init: RequestInit, maxHops = 20): Promise<Page> {
    let page = await this.request(url, init);
    const history = [...page.history];
    let current = init;
    for (let hops = 0; hops < maxHops && page.status >= 300 && page.status < 400; hops++) {
      const location = page.headers.get('location');
      if (!location) break;
      if (page.status !== 307 && page.status !== 308) current = { method: 'GET' };
      page = await this.request(new URL(location, page.url).href, current);
      history.push(page.url);
    }
    return { ...page, history };
  }

  /** Submits the first auto-posting HTML form on a page (form_post response mode). */
  async submitForm(page: Page, maxHops = 20): Promise<Page> {
    const action = /<form[^>]*action="([^"]+)"/i.exec(page.body)?.[1];
    if (!action) throw new Error(`no form on ${page.url}`);
    const form: Record<string, string> = {};
    for (const match of page.body.matchAll(/<input[^>]*>/gi)) {
      const name = /name="([^"]*)"/i.exec(match[0])?.[1];
      const value = /value="([^"]*)"/i.exec(match[0])?.[1] ?? '';
      if (name) form[decodeEntities(name)] = decodeEntities(value);
    }
    return this.post(new URL(decodeEntities(action), page.url).toString(), form, maxHops);
  }

  /** Name -> value of the live cookies this browser holds for `hostname`, on any path. */
  cookies(hostname: string): Map<string, string> {
    const found = new Map<string, string>();
    for (const cookie of this.live()) {
      if (domainMatches(hostname.toLowerCase(), cookie)) found.set(cookie.name, cookie.value);
    }
    return found;
  }

  /** Forgets every cookie, like a fresh browser profile. */
  clearCookies(): void {
    this.jar.clear();
  }

  /** The Cookie header a browser would send to `url` (RFC 6265 §5.4). */
  cookieHeader(url: URL): string {
    const secureContext = url.protocol === 'https:' || LOOPBACK_HOSTS.has(url.hostname);
    return this.live()
      .filter((c) => domainMatches(url.hostname, c) && pathMatches(url.pathname, c.path) && (!c.secure || secureContext))
      .sort((a, b) => b.path.length - a.path.length || a.created - b.created)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private live(): StoredCookie[] {
    const now = Date.now();
    for (const [key, cookie] of this.jar) if (cookie.expiresAt !== undefined && cookie.expiresAt <= now) this.jar.delete(key);
    return [...this.jar.values()];
  }

  /** Stores one Set-Cookie header received from `url` (RFC 6265 §5.2 and §5.3). */
  private store(url: URL, setCookie: string): void {
    const [pair = '', ...attributes] = setCookie.split(';');
    const eq = pair.indexOf('=');
    if (eq < 1) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const host = url.hostname.toLowerCase();
    let domain = host;
    let hostOnly = true;
    let path: string | undefined;
    let maxAge: number | undefined;
    let expires: number | undefined;
    let secure = false;
    for (const attribute of attributes) {
      const at = attribute.indexOf('=');
      const key = (at === -1 ? attribute : attribute.slice(0, at)).trim().toLowerCase();
      const val = at === -1 ? '' : attribute.slice(at + 1).trim();
      if (key === 'path' && val.startsWith('/')) path = val;
      else if (key === 'domain' && val) {
        domain = val.replace(/^\./, '').toLowerCase();
        hostOnly = false;
      } else if (key === 'max-age' && /^-?\d+$/.test(val)) maxAge = Number(val);
      else if (key === 'expires' && !Number.isNaN(Date.parse(val))) expires = Date.parse(val);
      else if (key === 'secure') secure = true;
    }
    // A Domain attribute must cover the host, and an IP address has no parent domain.
    if (!hostOnly && host !== domain && (!host.endsWith(`.${domain}`) || isIpAddress(host))) return;
    // Only a secure origin may set a Secure cookie.
    if (secure && url.protocol !== 'https:' && !LOOPBACK_HOSTS.has(url.hostname)) return;
    const cookiePath = path ?? defaultPath(url.pathname);
    const key = `${domain};${cookiePath};${name}`;
    const expiresAt = maxAge !== undefined ? Date.now() + maxAge * 1000 : expires;
    if (expiresAt !== undefined && expiresAt <= Date.now()) {
      this.jar.delete(key);
      return;
    }
    const created = this.jar.get(key)?.created ?? this.created++;
    this.jar.set(key, { name, value, domain, hostOnly, path: cookiePath, expiresAt, secure, created });
  }
}

/** RFC 6265 §5.1.3 */
function domainMatches(host: string, cookie: StoredCookie): boolean {
  if (cookie.hostOnly) return host === cookie.domain;
  return host === cookie.domain || (host.endsWith(`.${cookie.domain}`) && !isIpAddress(host));
}

/** RFC 6265 §5.1.4 */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/** RFC 6265 §5.1.4: the directory of the request path. */
function defaultPath(requestPath: string): string {
  if (!requestPath.startsWith('/')) return '/';
  const last = requestPath.lastIndexOf('/');
  return last === 0 ? '/' : requestPath.slice(0, last);
}

function isIpAddress(host: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.startsWith('[');
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

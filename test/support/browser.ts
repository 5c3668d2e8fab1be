/**
 * A scripted browser for tests over real HTTP: keeps cookies per host name (as
 * browsers do, across ports), follows redirects by hand, and submits forms.
 */
export interface Page {
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

export class ScriptedBrowser {
  private readonly jar = new Map<string, Map<string, string>>();

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

  /** One request, no redirect following. */
  async request(url: string, init: { method: string; body?: string; headers?: Record<string, string> }): Promise<Page> {
    const target = new URL(url);
    const headers: Record<string, string> = { ...init.headers };
    const cookie = this.cookieHeader(target.hostname);
    if (cookie) headers.cookie = cookie;
    const response = await fetch(url, { method: init.method, body: init.body, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) this.store(target.hostname, line);
    return { url, status: response.status, headers: response.headers, body: await response.text() };
  }

  /** Follows a redirect chain from one request; stops at the first non-redirect. */
  async follow(
    url: string,
    init: { method: string; body?: string; headers?: Record<string, string> },
    maxHops = 20,
  ): Promise<Page> {
    let page = await this.request(url, init);
    for (let hops = 0; hops < maxHops && page.status >= 300 && page.status < 400; hops++) {
      const location = page.headers.get('location');
      if (!location) break;
      page = await this.request(new URL(location, page.url).toString(), { method: 'GET' });
    }
    return page;
  }

  /** Submits the first auto-posting HTML form on a page (form_post response mode). */
  async submitForm(page: Page, maxHops = 20): Promise<Page> {
    const action = /<form[^>]*action="([^"]+)"/i.exec(page.body)?.[1];
    if (!action) throw new Error(`no form on ${page.url}`);
    const form: Record<string, string> = {};
    for (const match of page.body.matchAll(/<input[^>]*>/gi)) {
      const name = /name="([^"]*)"/i.exec(match[0])?.[1];
      const value = /value="([^"]*)"/i.exec(match[0])?.[1] ?? '';
      if (name) form[name] = decodeEntities(value);
    }
    return this.post(new URL(decodeEntities(action), page.url).toString(), form, maxHops);
  }

  cookies(hostname: string): Map<string, string> {
    return this.jar.get(hostname) ?? new Map();
  }

  private cookieHeader(hostname: string): string {
    return [...this.cookies(hostname)].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private store(hostname: string, setCookie: string): void {
    const [pair = '', ...attributes] = setCookie.split(';');
    const eq = pair.indexOf('=');
    if (eq < 1) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const jar = this.jar.get(hostname) ?? new Map<string, string>();
    this.jar.set(hostname, jar);
    const expired = attributes.some(
      (a) => /^\s*max-age=\s*(0|-)/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()),
    );
    if (expired) jar.delete(name);
    else jar.set(name, value);
  }
}

function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

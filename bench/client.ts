/**
 * The scripted browser of the benchmark: keeps cookies, follows redirects, and runs
 * sign-ins (app `/login` -> stub `/v1/authorize` -> app callback -> `200 ok <id>`) or
 * start steps alone (app `/login` -> 302 to the stub) at a given concurrency.
 */
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

/** One browser's cookies. The app and the stub share a host, as browsers share cookies across ports. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();
  private header = '';

  store(setCookie: string[] | undefined): void {
    if (!setCookie) return;
    for (const line of setCookie) {
      const end = line.indexOf(';');
      const pair = end === -1 ? line : line.slice(0, end);
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      if (/;\s*(max-age=0|expires=thu, 01 jan 1970)/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1).trim());
    }
    this.header = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  get cookieHeader(): string {
    return this.header;
  }
}

interface Answer {
  status: number;
  location: string | undefined;
  body: string;
}

function get(url: URL, jar: CookieJar): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { accept: 'text/html,*/*' };
    if (jar.cookieHeader) headers.cookie = jar.cookieHeader;
    const req = http.request(url, { agent, headers, timeout: 30_000 }, (res) => {
      jar.store(res.headers['set-cookie']);
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url.pathname} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Follows redirects from `start` until an answer that is not one; returns it and the hop count. */
async function browse(start: URL, jar: CookieJar, maxHops = 6): Promise<Answer & { hops: number }> {
  let url = start;
  for (let hops = 1; ; hops++) {
    const answer = await get(url, jar);
    if (!REDIRECTS.has(answer.status) || answer.location === undefined) return { ...answer, hops };
    if (hops >= maxHops) throw new Error(`more than ${maxHops} redirects from ${start.pathname}`);
    url = new URL(answer.location, url);
  }
}

/** One whole sign-in; throws unless it ends in `200 ok <expectedUser>` after exactly 3 requests. */
export async function signIn(app: string, jar: CookieJar, expectedUser: string): Promise<void> {
  const answer = await browse(new URL('/login', app), jar);
  if (answer.status !== 200 || answer.body !== `ok ${expectedUser}` || answer.hops !== 3) {
    throw new Error(`sign-in failed: ${answer.status} after ${answer.hops} requests: ${answer.body.slice(0, 300)}`);
  }
}

/** A sign-in timed as a user waits for it: the whole of it, and from the callback on. */
export interface TimedSignIn {
  /** `/login` to the final answer, ms. */
  total: number;
  /** From the request to the callback path to the final answer (with any redirect after it), ms. */
  callback: number;
  hops: number;
}

/** One whole sign-in, in series, timed; throws unless it ends in `200 ok <expectedUser>`. */
export async function timedSignIn(app: string, jar: CookieJar, expectedUser: string, callbackPath: string): Promise<TimedSignIn> {
  let url = new URL('/login', app);
  const started = performance.now();
  let callbackAt: number | undefined;
  for (let hops = 1; hops <= 6; hops++) {
    if (callbackAt === undefined && url.pathname === callbackPath) callbackAt = performance.now();
    const answer = await get(url, jar);
    if (REDIRECTS.has(answer.status) && answer.location !== undefined) {
      url = new URL(answer.location, url);
      continue;
    }
    const ended = performance.now();
    if (answer.status !== 200 || answer.body !== `ok ${expectedUser}` || callbackAt === undefined) {
      throw new Error(`sign-in failed: ${answer.status} after ${hops} requests: ${answer.body.slice(0, 300)}`);
    }
    return { total: ended - started, callback: ended - callbackAt, hops };
  }
  throw new Error('more than 6 redirects from /login');
}

/** The start step alone: `/login` must redirect to the stub's authorize endpoint. */
export async function startOnly(app: string, jar: CookieJar, authorizeURL: string): Promise<void> {
  const answer = await get(new URL('/login', app), jar);
  if (answer.status !== 302 || !answer.location?.startsWith(`${authorizeURL}?`)) {
    throw new Error(`start failed: ${answer.status} to ${answer.location ?? '-'}: ${answer.body.slice(0, 300)}`);
  }
}

/** Runs `task` `total` times with `concurrency` workers; worker `w` is passed to each call. */
export async function runPool(total: number, concurrency: number, task: (worker: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (w: number): Promise<void> => {
    while (next < total) {
      next++;
      await task(w);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, (_, w) => worker(w)));
}

/** Plain GET/POST for the admin endpoints, returning parsed JSON (or undefined for 204). */
export function admin<T>(url: string, method = 'GET'): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        if ((res.statusCode ?? 0) >= 300) return reject(new Error(`${method} ${url}: ${res.statusCode} ${body}`));
        try {
          resolve((body ? JSON.parse(body) : undefined) as T);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

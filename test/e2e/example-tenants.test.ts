import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { expect } from 'chai';
import type { ExampleUser } from '../../example/app.js';
import { DEMO_USERS, type DemoUser } from '../../example/local-okta/index.js';
import { createTenantsApp, startLocalOrgs, type LocalOrgs } from '../../example/tenants-app.js';
import { ScriptedBrowser } from '../support/browser.js';
import { childEnv } from '../support/okta-local-process.js';
import { formAction, isOktaForm, signIn } from '../support/okta-login.js';
import { openSlot, type Slot } from '../support/server.js';

// Issue 23: the example's two-tenant mode (example/tenants-app.ts, EXAMPLE_TENANTS=2) against
// two local providers, two Okta orgs. Every request the app sends to an org goes through the
// `fetch` it is given, which records it: a code of one org presented in a sign-in started for
// the other must be refused before any of them.

const alice = DEMO_USERS.find((user) => user.username.startsWith('alice')) as DemoUser;
const bob = DEMO_USERS.find((user) => user.username.startsWith('bob')) as DemoUser;
const ORGS = ['acme', 'globex'] as const;
type Org = (typeof ORGS)[number];

describe('the example in two-tenant mode (two local Okta orgs, one strategy)', function () {
  this.timeout(30_000);
  let front: Slot;
  let local: LocalOrgs;
  /** Every URL the app fetched from an org. */
  const requests: string[] = [];
  const signIns: ExampleUser[] = [];
  const tokenRequests = () => requests.filter((url) => url.endsWith('/v1/token'));
  const issuer = (org: Org) => local.okta[org]!.issuer('default');

  before(async () => {
    front = await openSlot();
    local = await startLocalOrgs(front.origin);
    const app = createTenantsApp({
      orgs: local.orgs,
      baseURL: front.origin,
      sessionSecret: 'example-tenants-session-secret',
      fetch: (input, init) => {
        requests.push(input);
        return fetch(input, init);
      },
      onSignIn: (user) => signIns.push(user),
      logger: { error: () => undefined },
    });
    front.serve(app);
  });
  after(async () => {
    await local?.close();
    await front?.close();
  });
  beforeEach(() => {
    requests.length = 0;
    signIns.length = 0;
  });

  /** Signs in at `org` up to Okta's redirect back to the app, which is not followed: the callback URL with the code. */
  async function codeFrom(browser: ScriptedBrowser, org: Org): Promise<URL> {
    const form = await browser.get(`${front.origin}/t/${org}/login`);
    expect(isOktaForm(form), `${org}'s sign-in form`).to.equal(true);
    let page = await browser.request(formAction(form), {
      method: 'POST',
      body: new URLSearchParams({ username: alice.username, password: alice.password }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    for (let hops = 0; hops < 10; hops++) {
      const location = new URL(page.headers.get('location') ?? '', page.url);
      if (location.origin === front.origin) return location;
      page = await browser.request(location.href, { method: 'GET' });
    }
    throw new Error(`${org} sent no code back`);
  }

  /** Starts a sign-in at `org` and returns its `state`, as sent to the org. */
  async function stateOf(browser: ScriptedBrowser, org: Org): Promise<string> {
    const page = await browser.request(`${front.origin}/t/${org}/login`, { method: 'GET' });
    expect(page.status).to.equal(302);
    const authorize = new URL(page.headers.get('location') ?? '');
    expect(authorize.href.startsWith(`${issuer(org)}/v1/authorize?`)).to.equal(true);
    return authorize.searchParams.get('state') ?? '';
  }

  it("signs in to each org at its own provider, and the user's issuer is that org's", async () => {
    for (const [org, user] of [
      ['acme', alice],
      ['globex', bob],
    ] as const) {
      requests.length = 0;
      const browser = new ScriptedBrowser();
      const page = await signIn(browser, `${front.origin}/t/${org}/login`, user);
      expect(page.url).to.equal(`${front.origin}/profile`);
      expect(page.status).to.equal(200);
      expect(page.body).to.include(`${user.givenName} ${user.familyName}`);
      expect(page.history.some((url) => url.startsWith(`${local.okta[org]!.origin}/`))).to.equal(true);
      const me = JSON.parse((await browser.get(`${front.origin}/me.json`)).body) as { email: string; issuer: string };
      expect(me).to.include({ email: user.email, issuer: issuer(org) });
      // The code went to this org's token endpoint, and nothing went to the other org.
      expect(tokenRequests()).to.deep.equal([`${issuer(org)}/v1/token`]);
      const other = ORGS.find((name) => name !== org)!;
      expect(requests.filter((url) => url.startsWith(local.okta[other]!.origin))).to.deep.equal([]);
      const home = await browser.get(`${front.origin}/`);
      expect(home.body).to.include(`with the Okta org\n      <code>${issuer(org)}</code>`);
    }
  });

  it('refuses a code of acme presented in a sign-in started for globex (403), with no token request to either', async () => {
    const browser = new ScriptedBrowser();
    // acme's code, from acme's redirect to its own callback; then globex's state, from a sign-in started for globex.
    const fromAcme = await codeFrom(browser, 'acme');
    expect(fromAcme.pathname).to.equal('/t/acme/auth/okta/callback');
    const globexState = await stateOf(browser, 'globex');
    const mixed = new URL(fromAcme);
    mixed.searchParams.set('state', globexState);
    requests.length = 0;
    const refused = await browser.get(mixed.href);
    expect(refused.status).to.equal(403);
    expect(refused.body).to.include('Sign-in failed');
    expect(refused.body).to.match(/mix-up defence/);
    expect(requests, 'no request to either org').to.deep.equal([]);
    expect(signIns).to.deep.equal([]);
    expect((await browser.get(`${front.origin}/me.json`)).status).to.equal(401);
    // The code itself was good: acme's own sign-in, still pending, finishes with it at acme's token endpoint.
    const finished = await browser.get(fromAcme.href);
    expect(finished.url).to.equal(`${front.origin}/profile`);
    expect(tokenRequests()).to.deep.equal([`${issuer('acme')}/v1/token`]);
  });

  it("accepts each org's access token at the example's API, with that org's issuer", async () => {
    for (const org of ORGS) {
      await signIn(new ScriptedBrowser(), `${front.origin}/t/${org}/login`, alice);
      const token = signIns.at(-1)!.tokens.accessToken;
      const answer = await fetch(`${front.origin}/api/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(answer.status).to.equal(200);
      const body = (await answer.json()) as { iss: string; scopes: string[] };
      expect(body.iss).to.equal(issuer(org));
      expect(body.scopes).to.include('orders:read');
    }
    const anonymous = await fetch(`${front.origin}/api/me`);
    expect(anonymous.status).to.equal(401);
  });

  it('answers an org the app does not know with 400 (its login) or 404, and no request anywhere', async () => {
    const browser = new ScriptedBrowser();
    const login = await browser.request(`${front.origin}/t/initech/login`, { method: 'GET' });
    expect(login.status).to.equal(400);
    expect(login.headers.get('location')).to.equal(null);
    expect(login.body).to.include('ERR_OKTA_UNKNOWN_TENANT');
    expect((await browser.get(`${front.origin}/t/initech/profile`)).status).to.equal(404);
    expect(requests).to.deep.equal([]);
  });

  it('signs out locally: the session ends, and a sign-out from another site is refused', async () => {
    const browser = new ScriptedBrowser();
    await signIn(browser, `${front.origin}/t/globex/login`, alice);
    const foreign = await browser.request(`${front.origin}/logout`, {
      method: 'POST',
      headers: { origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(foreign.status).to.equal(403);
    expect((await browser.get(`${front.origin}/me.json`)).status).to.equal(200);
    const out = await browser.post(`${front.origin}/logout`, {});
    expect(out.url).to.equal(`${front.origin}/`);
    expect(out.body).to.include('Sign in with acme');
    expect((await browser.get(`${front.origin}/me.json`)).status).to.equal(401);
  });
});

describe('npm start with EXAMPLE_TENANTS=2', function () {
  this.timeout(60_000);
  let child: ChildProcess | undefined;

  after(async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    process.kill(-child.pid!, 'SIGTERM');
    await exited;
  });

  it('starts two local orgs and signs a user in at each', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const root = join(__dirname, '..', '..');
    const env = childEnv({ EXAMPLE_TENANTS: '2', PORT: String(port), SESSION_SECRET: 'a-secret-for-this-test' });
    for (const name of ['OKTA_DOMAIN', 'OKTA_CLIENT_ID', 'OKTA_CLIENT_SECRET', 'OKTA_AUTH_SERVER_ID']) delete env[name];
    child = spawn(process.execPath, ['--import', 'tsx', join(root, 'example', 'server.ts')], {
      cwd: root,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const collect = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ctrl+C to stop')) resolve();
      };
      child!.stdout!.on('data', collect);
      child!.stderr!.on('data', collect);
      child!.once('exit', (code) => reject(new Error(`the example exited with ${code}:\n${output}`)));
    });
    const origin = `http://localhost:${port}`;
    for (const org of ORGS) {
      const printed = new RegExp(`^  ${org} +(http://127\\.0\\.0\\.1:\\d+/oauth2/default), client example-${org}$`, 'm').exec(
        output,
      );
      expect(printed, output).to.not.equal(null);
      expect(output).to.include(`sign in at ${origin}/t/${org}/login, back at ${origin}/t/${org}/auth/okta/callback`);
      const browser = new ScriptedBrowser();
      const page = await signIn(browser, `${origin}/t/${org}/login`, alice);
      expect(page.url).to.equal(`${origin}/profile`);
      const me = JSON.parse((await browser.get(`${origin}/me.json`)).body) as { issuer: string };
      expect(me.issuer).to.equal(printed![1]);
    }
  });
});

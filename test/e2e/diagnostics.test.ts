import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { createApp, SESSION_COOKIE, type ExampleUser } from '../../example/app.js';
import { DEMO_USERS, startLocalOkta, type DemoUser, type LocalOkta } from '../../example/local-okta/index.js';
import { oktaMetrics, type OktaMetrics } from '../../example/metrics.js';
import { diagnosticsChannels, keepTokensFresh, type OktaStrategy, type StoredTokens } from '../../lib/index.js';
import { ScriptedBrowser } from '../support/browser.js';
import { signIn } from '../support/okta-login.js';
import { openSlot, type Slot } from '../support/server.js';

// Every message the package publishes on its diagnostics channels during a whole run of the
// example app against the local provider (sign-in, API request, refresh, sign-out), checked
// for what must never be in one: tokens, codes, state, nonce, verifier, secrets, cookies,
// and the user's claims. And /metrics, counted from those messages.

const alice = DEMO_USERS.find((user) => user.username.startsWith('alice')) as DemoUser;
const CLIENT_ID = 'diagnostics-app';
const CLIENT_SECRET = 'diagnostics-app-secret-0123456789';
const SESSION_SECRET = 'diagnostics-session-secret-0123456789';
const SERVICE_SECRET = 'diagnostics-service-secret-0123456789';

/** Every channel of the package, and every event of its tracing channels. */
function channelNames(): string[] {
  const traced = new Set(['callback', 'oktaRequest', 'keySetFetch', 'refresh', 'bearer', 'introspection']);
  return Object.entries(diagnosticsChannels).flatMap(([key, name]) =>
    traced.has(key) ? ['start', 'end', 'asyncStart', 'asyncEnd', 'error'].map((event) => `tracing:${name}:${event}`) : [name],
  );
}

/** A message as it is at the moment it is published, errors with their message, stack and causes. */
function snapshot(message: unknown): string {
  return JSON.stringify(message, (_key, value: unknown) =>
    value instanceof Error
      ? { ...value, name: value.name, message: value.message, stack: value.stack, cause: value.cause }
      : value,
  );
}

describe('diagnostics channels over a whole run of the example app (docs/diagnostics.md)', function () {
  this.timeout(30_000);
  let okta: LocalOkta;
  let slot: Slot;
  let strategy: OktaStrategy;
  let metrics: OktaMetrics;
  const signIns: ExampleUser[] = [];
  const published: { channel: string; text: string; message: Record<string, unknown> }[] = [];
  const listeners = new Map<string, (message: unknown) => void>();

  before(async () => {
    for (const name of channelNames()) {
      const listener = (message: unknown): void => {
        published.push({ channel: name, text: snapshot(message), message: JSON.parse(snapshot(message)) });
      };
      subscribe(name, listener);
      listeners.set(name, listener);
    }
    metrics = oktaMetrics();
    slot = await openSlot();
    okta = await startLocalOkta({
      clients: [
        {
          clientId: CLIENT_ID,
          clientSecret: CLIENT_SECRET,
          redirectUris: [`${slot.origin}/auth/okta/callback`],
          postLogoutRedirectUris: [`${slot.origin}/signed-out`],
        },
        { clientId: 'svc', clientSecret: SERVICE_SECRET, redirectUris: ['http://127.0.0.1/unused'], clientCredentials: true },
      ],
    });
    const made = createApp({
      oktaDomain: okta.origin,
      authServerId: 'default',
      clientID: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      baseURL: slot.origin,
      sessionSecret: SESSION_SECRET,
      onSignIn: (user) => signIns.push(user),
      metrics,
      logger: { warn: () => undefined, error: () => undefined },
    });
    strategy = made.strategy;
    slot.serve(made.app as unknown as RequestListener);
  });

  after(async () => {
    for (const [name, listener] of listeners) unsubscribe(name, listener);
    metrics.stop();
    await slot.close();
    await okta.close();
  });

  it('tells each step, and no message carries a token, code, state, nonce, verifier, secret, cookie or claim', async () => {
    const browser = new ScriptedBrowser();
    const signedIn = await signIn(browser, `${slot.origin}/login`, alice);
    expect(signedIn.url).to.equal(`${slot.origin}/profile`);
    const user = signIns.at(-1)!;
    const cookies = [...browser.cookies('127.0.0.1').values()];
    expect(browser.cookies('127.0.0.1').get(SESSION_COOKIE)).to.be.a('string');

    // An API request with a service's access token (the user's is for userinfo: opaque), and one with garbage.
    const grant = await fetch(`${okta.issuer('default')}/v1/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`svc:${SERVICE_SECRET}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read' }),
    });
    const serviceToken = ((await grant.json()) as { access_token: string }).access_token;
    const api = await fetch(`${slot.origin}/api/me`, { headers: { authorization: `Bearer ${serviceToken}` } });
    expect(api.status).to.equal(200);
    const refused = await fetch(`${slot.origin}/api/me`, { headers: { authorization: 'Bearer not.a.token' } });
    expect(refused.status).to.equal(401);

    // A refresh by keepTokensFresh, of tokens said to be expired.
    const stored: StoredTokens = {
      ...user.tokens,
      accessTokenExpiresAt: new Date(0),
      scopes: [],
      tokenType: 'Bearer',
      subject: user.id,
      authTime: null,
    };
    let fresh: StoredTokens | undefined;
    const refresh = keepTokensFresh(strategy, {
      getTokens: () => stored,
      setTokens: (_req, tokens) => {
        fresh = tokens;
      },
    });
    const res = { headersSent: false, setHeader: () => undefined } as unknown as ServerResponse;
    await new Promise<void>((resolve, reject) => {
      refresh({ session: {} } as unknown as IncomingMessage, res, (err?: unknown) => (err ? reject(err as Error) : resolve()));
    });
    expect(fresh?.accessToken).to.be.a('string').and.not.equal(user.tokens.accessToken);

    // Sign out: revocations, Okta's logout, the return leg.
    const out = await browser.follow(`${slot.origin}/logout`, {
      method: 'POST',
      body: '',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: slot.origin, 'sec-fetch-site': 'same-origin' },
    });
    expect(out.url).to.equal(`${slot.origin}/`);

    // What each step told.
    const told = (channel: string): Record<string, unknown>[] =>
      published.filter((p) => p.channel === channel).map((p) => p.message);
    const ended = (name: string): Record<string, unknown>[] => told(`tracing:${name}:asyncEnd`);
    expect(told(diagnosticsChannels.signInStart)).to.deep.include({
      strategy: 'okta',
      issuer: okta.issuer('default'),
      responseMode: 'query',
    });
    expect(ended(diagnosticsChannels.callback).map((m) => m.outcome)).to.deep.equal(['success']);
    const requests = ended(diagnosticsChannels.oktaRequest);
    const endpoints = requests.map((m) => `${String(m.endpoint)} ${String(m.status)}`);
    expect(endpoints).to.include.members(['token 200', 'keys 200', 'userinfo 200', 'revoke 200']);
    expect(requests.every((m) => m.origin === okta.origin && typeof m.duration === 'number')).to.equal(true);
    expect(ended(diagnosticsChannels.keySetFetch)).to.have.length(1);
    // Fetched in the background when the strategy was made (prefetchKeys), not by the sign-in.
    expect(ended(diagnosticsChannels.keySetFetch)[0]).to.include({ reason: 'start-up', keys: 1 });
    expect(ended(diagnosticsChannels.refresh).map((m) => m.outcome)).to.deep.equal(['success']);
    expect(ended(diagnosticsChannels.bearer).map((m) => `${String(m.outcome)} ${String(m.reason)}`)).to.deep.equal([
      'success undefined',
      'fail invalid_token',
    ]);
    expect(told(diagnosticsChannels.logout)).to.deep.equal([
      { kind: 'sign-out', status: 302 },
      { kind: 'return', status: 302 },
    ]);

    // Nothing secret or personal, in any message, at any event.
    const claims = user.claims;
    const callbackURL = out.history.concat(signedIn.history).find((url) => url.startsWith(`${slot.origin}/auth/okta/callback?`));
    const params = new URL(callbackURL!).searchParams;
    const logoutState = out.history.map((url) => new URL(url).searchParams.get('state')).find((state) => state !== null);
    const secrets = [
      user.tokens.accessToken,
      serviceToken,
      SERVICE_SECRET,
      user.tokens.refreshToken,
      user.tokens.idToken,
      fresh!.accessToken,
      fresh!.refreshToken,
      fresh!.idToken,
      params.get('code'),
      params.get('state'),
      logoutState,
      decodeJwt(user.tokens.idToken).nonce,
      CLIENT_SECRET,
      SESSION_SECRET,
      ...cookies,
      claims.sub,
      claims.email,
      claims.name,
      claims.preferred_username,
      claims.given_name,
    ].filter((value): value is string => typeof value === 'string' && value.length >= 6);
    expect(secrets.length).to.be.greaterThan(15);
    const kids = new Set(
      requests.length > 0 ? [(await (await fetch(`${okta.issuer('default')}/v1/keys`)).json()).keys[0].kid] : [],
    );
    expect(published.length).to.be.greaterThan(40);
    for (const { channel, text } of published) {
      for (const secret of secrets) expect(text, `${channel} carries a secret`).to.not.include(secret);
      for (const secret of secrets.map(encodeURIComponent)) expect(text, `${channel} carries a secret`).to.not.include(secret);
      // The PKCE verifier is never at hand here: no long random string at all but a key id.
      const long = (text.match(/[A-Za-z0-9_-]{22,}/g) ?? []).filter((word) => !kids.has(word));
      expect(long, `${channel}: ${text}`).to.deep.equal([]);
    }

    // /metrics, counted from the same events.
    const exposition = await (await fetch(`${slot.origin}/metrics`)).text();
    expect(exposition).to.include('passport_okta_oidc_sign_ins_total{outcome="success"} 1');
    expect(exposition).to.match(/passport_okta_oidc_okta_request_duration_seconds_count\{endpoint="token"\} 2\n/);
    expect(exposition).to.include('passport_okta_oidc_key_set_fetches_total{reason="start-up",outcome="ok"} 1');
    expect(exposition).to.include('passport_okta_oidc_api_requests_total{outcome="fail",reason="invalid_token"} 1');
    expect(exposition).to.include('passport_okta_oidc_logouts_total{kind="sign-out",status="302"} 1');
  });

  it('/metrics counts failed sign-ins by reason, in the Prometheus text format', async () => {
    const before = await (await fetch(`${slot.origin}/metrics`)).text();
    expect(before).to.not.include('code="unknown-state"');
    const lost = await new ScriptedBrowser().get(`${slot.origin}/auth/okta/callback?code=abc&state=never-started`);
    expect(lost.url).to.equal(`${slot.origin}/login-failed`);
    const response = await fetch(`${slot.origin}/metrics`);
    expect(response.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    const exposition = await response.text();
    expect(exposition).to.include('passport_okta_oidc_sign_ins_total{outcome="fail"} 1');
    expect(exposition).to.include('passport_okta_oidc_sign_in_failures_total{code="unknown-state"} 1');
    // Each metric has its HELP and TYPE, each sample a name, labels and a number.
    for (const line of exposition.trimEnd().split('\n')) {
      expect(line).to.match(/^(# (HELP|TYPE) passport_okta_oidc_\w+ .+|passport_okta_oidc_\w+(\{[^}]*\})? [\d.e+-]+)$/);
    }
  });
});

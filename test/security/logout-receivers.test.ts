import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import express from 'express';
import type { JWTPayload } from 'jose';
import { backChannelLogoutReceiver } from '../../lib/app/backchannel-logout.js';
import { frontChannelLogoutReceiver } from '../../lib/app/frontchannel-logout.js';
import { MemoryRevocationStore, Revocations, type RevocationStore } from '../../lib/app/revocation.js';
import { recordOf } from '../../lib/app/session-record.js';
import { universalLogoutReceiver } from '../../lib/app/universal-logout.js';
import type { OktaStrategy } from '../../lib/index.js';
import { makeStrategy } from '../support/hostile-harness.js';
import { CLIENT_ID, HostileOkta } from '../support/hostile-okta.js';
import { listen, type Listening } from '../support/server.js';

// The three logout receivers in Express apps over real HTTP, against the hostile provider
// (its org key set and a custom server `default` with the same keys): with and without body
// parsers, several instances sharing one revocation store, bodies too large or too slow,
// a store that hangs. No request may end the process or go unanswered.

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const now = () => Math.floor(Date.now() / 1000);

describe('logout receivers over HTTP (Express, hostile provider)', function () {
  let okta: HostileOkta;
  const servers: Listening[] = [];

  before(async () => {
    okta = await HostileOkta.start({ authServerId: 'default', orgServer: true });
  });
  after(async () => {
    for (const server of servers) await server.close();
    await okta.close();
  });

  interface App {
    origin: string;
    endpoint: string;
    revocations: Revocations;
  }

  /** One app instance: the three receivers, with body parsers in front of them or not. */
  async function startApp(
    options: { parsers: boolean; store?: RevocationStore; timeout?: number; bodyTimeout?: number; endpoint?: string } = {
      parsers: true,
    },
  ): Promise<App> {
    const strategy: OktaStrategy = makeStrategy(okta);
    const revocations = new Revocations({
      store: options.store ?? new MemoryRevocationStore(),
      keepFor: 3_600_000,
      cacheFor: 0,
      timeout: options.timeout ?? 200,
      now: Date.now,
    });
    const app = express();
    if (options.parsers) app.use(express.json(), express.urlencoded({ extended: false }));
    const server = await listen(app);
    servers.push(server);
    // Instances behind one balancer share the URL registered in Okta.
    const endpoint = options.endpoint ?? `${server.origin}/universal-logout`;
    app.post('/universal-logout', universalLogoutReceiver(revocations, strategy, { endpoint, bodyTimeout: options.bodyTimeout }));
    app.post('/backchannel-logout', backChannelLogoutReceiver(revocations, strategy, { bodyTimeout: options.bodyTimeout }));
    app.get('/frontchannel-logout', frontChannelLogoutReceiver(revocations, strategy));
    // Quietly: express.json() refuses malformed JSON itself (400) before the receiver runs.
    app.use(((err: { status?: number }, _req, res, _next) => res.status(err.status ?? 500).end()) as express.ErrorRequestHandler);
    return { origin: server.origin, endpoint, revocations };
  }

  const universalJwt = (app: App, extra: JWTPayload = {}) =>
    okta.sign(
      {
        iss: okta.origin,
        sub: CLIENT_ID,
        aud: app.endpoint,
        iat: now(),
        nbf: now() - 300,
        exp: now() + 300,
        jti: randomUUID(),
        ...extra,
      },
      okta.signingKey,
      { typ: 'global-token-revocation+jwt' },
    );

  const logoutToken = (extra: JWTPayload = {}) =>
    okta.sign(
      {
        iss: okta.issuer,
        aud: CLIENT_ID,
        iat: now(),
        exp: now() + 120,
        jti: randomUUID(),
        sid: 'sid-1',
        sub: '00u1alice',
        events: { [EVENT]: {} },
        ...extra,
      },
      okta.signingKey,
      { typ: 'logout+jwt' },
    );

  const universal = (app: App, jwt: string, body: string) =>
    fetch(`${app.origin}/universal-logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      body,
    });

  const backChannel = (app: App, token: string, extra = '') =>
    fetch(`${app.origin}/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `logout_token=${token}${extra}`,
    });

  const alice = (iss = okta.issuer, sid = 'sid-1') =>
    recordOf({ iss, sub: '00u1alice', sid, email: 'alice@example.com' }, Date.now() - 1000);
  const byEmail = JSON.stringify({ subject: { format: 'email', email: 'alice@example.com' } });

  for (const parsers of [true, false]) {
    describe(parsers ? 'behind express.json() and express.urlencoded()' : 'with no body parser', () => {
      it('records what each receiver is told', async () => {
        const app = await startApp({ parsers });
        expect((await universal(app, await universalJwt(app), byEmail)).status).to.equal(204);
        expect(await app.revocations.isRevoked(alice())).to.equal(true);

        const other = await startApp({ parsers });
        const answer = await backChannel(other, await logoutToken());
        expect(answer.status).to.equal(200);
        expect(answer.headers.get('cache-control')).to.equal('no-store');
        expect(await other.revocations.isRevoked(alice())).to.equal(true);
        expect(await other.revocations.isRevoked(alice(okta.issuer, 'sid-2'))).to.equal(false);

        const third = await startApp({ parsers });
        const page = await fetch(`${third.origin}/frontchannel-logout?iss=${encodeURIComponent(okta.issuer)}&sid=sid-2`);
        expect(page.status).to.equal(200);
        expect(page.headers.get('content-security-policy')).to.equal(`default-src 'none'; frame-ancestors ${okta.origin}`);
        expect(await third.revocations.isRevoked(alice(okta.issuer, 'sid-2'))).to.equal(true);
        expect(await third.revocations.isRevoked(alice())).to.equal(false);
      });

      it('answers 413 to a body over 8 KiB, however large, and keeps serving', async () => {
        const app = await startApp({ parsers });
        const padding = 'x'.repeat(parsers ? 50_000 : 2_000_000);
        const big = JSON.stringify({ subject: { format: 'email', email: 'alice@example.com' }, padding });
        expect((await universal(app, await universalJwt(app), big)).status).to.equal(413);
        expect((await backChannel(app, await logoutToken(), `&pad=${padding}`)).status).to.equal(413);
        expect(await app.revocations.isRevoked(alice())).to.equal(false);
        expect((await universal(app, await universalJwt(app), byEmail)).status).to.equal(204);
      });
    });
  }

  it('refuses a replay at another instance sharing the revocation store', async () => {
    const store = new MemoryRevocationStore();
    const endpoint = 'https://app.example/universal-logout';
    const first = await startApp({ parsers: true, store, endpoint });
    const second = await startApp({ parsers: false, store, endpoint });
    const token = await logoutToken();
    expect((await backChannel(first, token)).status).to.equal(200);
    expect((await backChannel(second, token)).status).to.equal(400);
    const jwt = await universalJwt(first);
    expect((await universal(first, jwt, byEmail)).status).to.equal(204);
    expect((await universal(second, jwt, byEmail)).status).to.equal(401);
  });

  it('answers 408 to a body that stops arriving, without waiting for it', async () => {
    const app = await startApp({ parsers: false, bodyTimeout: 200 });
    const jwt = await universalJwt(app);
    const started = Date.now();
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${app.origin}/universal-logout`, {
        method: 'POST',
        headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json', 'content-length': '500' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{"subject":');
    });
    expect(status).to.equal(408);
    expect(Date.now() - started).to.be.below(2000);
  });

  it('answers 503 within the store timeout when the store hangs, on every receiver', async () => {
    const hang = (): Promise<never> => new Promise<never>(() => undefined);
    const app = await startApp({ parsers: true, store: { put: hang, get: hang, claim: hang }, timeout: 150 });
    const started = Date.now();
    expect((await universal(app, await universalJwt(app), byEmail)).status).to.equal(503);
    expect((await backChannel(app, await logoutToken())).status).to.equal(503);
    const page = await fetch(`${app.origin}/frontchannel-logout?iss=${encodeURIComponent(okta.issuer)}&sid=s`);
    expect(page.status).to.equal(503);
    expect(Date.now() - started).to.be.below(3000);
  });

  it('survives garbage: every request gets an answer below 500', async () => {
    const app = await startApp({ parsers: true });
    const jwt = await universalJwt(app);
    const attempts: Array<[string, RequestInit]> = [
      ['/universal-logout', { method: 'POST', headers: { authorization: 'Bearer ...' }, body: '' }],
      ['/universal-logout', { method: 'POST', headers: { authorization: `Bearer ${'A'.repeat(12_000)}.e30.x` } }],
      [
        '/universal-logout',
        { method: 'POST', headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' }, body: '{"subject":' },
      ],
      ['/universal-logout', { method: 'POST', headers: { authorization: 'Bearer e30.e30.e30' }, body: '\u0000\uffff' }],
      [
        '/backchannel-logout',
        { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'logout_token=%E0%A4%A' },
      ],
      [
        '/backchannel-logout',
        { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'logout_token=a.b.c' },
      ],
      ['/frontchannel-logout?iss=%E0%A4%A&sid=%00', { method: 'GET' }],
    ];
    for (const [path, init] of attempts) {
      const answer = await fetch(`${app.origin}${path}`, init);
      expect(answer.status, `${path} ${String(init.body ?? '')}`).to.be.within(400, 499);
    }
  });
});

import { expect } from 'chai';
import express, { type RequestHandler } from 'express';
import session from 'express-session';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { Passport } from 'passport';
import { DEMO_USERS, startLocalOkta, type DemoUser, type LocalOkta } from '../../example/local-okta/index.js';
import { OktaBearerStrategy, requireScopes } from '../../lib/bearer.js';
import { OktaClient, type OktaClientOptions } from '../../lib/client.js';
import { TokenError } from '../../lib/core/errors.js';
import { OktaStrategy } from '../../lib/index.js';
import { call } from '../support/bearer.js';
import { ScriptedBrowser } from '../support/browser.js';
import { signIn } from '../support/okta-login.js';
import { openSlot, type Slot } from '../support/server.js';

// Calling APIs from the server, against the local provider: a service's client credentials
// token (secret, private_key_jwt, DPoP) sent to an API guarded by OktaBearerStrategy, and a
// signed-in user's access token exchanged (RFC 8693) for one of a downstream API, which the
// app calls on the user's behalf. The token requests each OktaClient makes are counted by
// the fetch it is given.

const alice = DEMO_USERS[0] as DemoUser;
const WEB = { clientId: 'web-app', clientSecret: 'web-app-secret-0123456789' };
const SERVICE = { clientId: 'orders-service', clientSecret: 'orders-service-secret-0123456789' };

/** A fetch that counts the requests to token endpoints. */
function countingFetch(): { fetch: NonNullable<OktaClientOptions['fetch']>; tokenRequests: () => number } {
  let count = 0;
  return {
    fetch: (input, init) => {
      if (new URL(input).pathname.endsWith('/v1/token')) count += 1;
      return fetch(input, init);
    },
    tokenRequests: () => count,
  };
}

describe('calling APIs from the server: client credentials and token exchange (local provider)', function () {
  this.timeout(30_000);
  let okta: LocalOkta;
  let web: Slot;
  let api: Slot;
  let serviceKey: JWK;
  const userTokens: string[] = [];
  /** The app's service client at the downstream server, and its count of token requests. */
  let exchanger: OktaClient;
  let exchanges: ReturnType<typeof countingFetch>;

  const service = (options: OktaClientOptions & { clientId?: string; secret?: string | null } = {}): OktaClient => {
    const { clientId = SERVICE.clientId, secret = SERVICE.clientSecret, ...rest } = options;
    // A service app has no redirect URI; OktaClient asks for one, which these grants never use.
    return new OktaClient(okta.origin, clientId, secret, `${web.origin}/unused`, { authServerId: 'default', ...rest });
  };

  before(async () => {
    web = await openSlot();
    api = await openSlot();
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    serviceKey = { ...(await exportJWK(privateKey)), kid: 'svc-key-1', alg: 'RS256' };
    okta = await startLocalOkta({
      authServerIds: ['default', 'downstream'],
      clients: [
        { ...WEB, redirectUris: [`${web.origin}/auth/okta/callback`] },
        { ...SERVICE, redirectUris: [], clientCredentials: true, tokenExchange: true },
        {
          clientId: 'jwt-service',
          redirectUris: [],
          clientCredentials: true,
          tokenEndpointAuthMethod: 'private_key_jwt',
          jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'svc-key-1', alg: 'RS256', use: 'sig' }] },
        },
        {
          clientId: 'dpop-service',
          clientSecret: 'dpop-service-secret-0123',
          redirectUris: [],
          clientCredentials: true,
          dpopBoundAccessTokens: true,
        },
      ],
    });
    api.serve(apiApp(okta, new URL(api.origin).host));

    exchanges = countingFetch();
    exchanger = service({ authServerId: 'downstream', fetch: exchanges.fetch });
    const passport = new Passport();
    passport.use(
      new OktaStrategy(
        {
          oktaDomain: okta.origin,
          authServerId: 'default',
          clientID: WEB.clientId,
          clientSecret: WEB.clientSecret,
          callbackURL: `${web.origin}/auth/okta/callback`,
          scope: ['orders:read'],
          userInfo: false,
        },
        async (tokens) => {
          userTokens.push(tokens.accessToken);
          return { accessToken: tokens.accessToken };
        },
      ),
    );
    passport.serializeUser((user, done) => done(null, user));
    passport.deserializeUser((user: Express.User, done) => done(null, user));
    const app = express();
    app.use(session({ secret: 'downstream-e2e-session-secret', resave: false, saveUninitialized: false }));
    app.use(passport.initialize(), passport.session());
    app.get('/login', passport.authenticate('okta'));
    app.get('/auth/okta/callback', passport.authenticate('okta', { keepSessionInfo: true }), (_req, res) =>
      res.send('signed in'),
    );
    // The app calls the downstream API on the signed-in user's behalf.
    app.get('/downstream-orders', (async (req, res, next) => {
      try {
        const { accessToken } = req.user as { accessToken: string };
        const token = await exchanger.exchangeToken({
          subjectToken: accessToken,
          audience: 'api://downstream',
          scopes: ['orders:write'],
        });
        const answer = await call(`${api.origin}/downstream/orders`, { authorization: `Bearer ${token.accessToken}` });
        res.status(answer.status).type('json').send(answer.body);
      } catch (err) {
        next(err);
      }
    }) as RequestHandler);
    web.serve(app);
  });
  after(async () => {
    await web?.close();
    await api?.close();
    await okta?.close();
  });

  describe('client credentials', () => {
    it('gets a token with the client secret that the API accepts, once for many calls', async () => {
      const counted = countingFetch();
      const client = service({ fetch: counted.fetch });
      const token = await client.getClientCredentialsToken({ scopes: ['orders:read'] });
      expect(token).to.include({ tokenType: 'Bearer' });
      expect(token.scopes).to.deep.equal(['orders:read']);
      expect(token.expiresAt.getTime()).to.be.closeTo(Date.now() + 3600_000, 10_000);
      const orders = await call(`${api.origin}/orders`, { authorization: `Bearer ${token.accessToken}` });
      expect(orders.status, orders.body).to.equal(200);
      expect(JSON.parse(orders.body)).to.include({ sub: SERVICE.clientId, cid: SERVICE.clientId, uid: null });

      expect(await client.getClientCredentialsToken({ scopes: ['orders:read'] })).to.deep.equal(token);
      expect(counted.tokenRequests()).to.equal(1);
    });

    it('makes one token request for 10 concurrent callers', async () => {
      const counted = countingFetch();
      const client = service({ fetch: counted.fetch });
      const tokens = await Promise.all(
        Array.from({ length: 10 }, () => client.getClientCredentialsToken({ scopes: ['orders:read'] })),
      );
      expect(counted.tokenRequests()).to.equal(1);
      expect(new Set(tokens.map((token) => token.accessToken)).size).to.equal(1);
    });

    it('authenticates with private_key_jwt', async () => {
      const client = service({
        clientId: 'jwt-service',
        secret: null,
        tokenEndpointAuthMethod: 'private_key_jwt',
        privateKey: serviceKey,
      });
      const token = await client.getClientCredentialsToken({ scopes: ['orders:read'] });
      const orders = await call(`${api.origin}/orders`, { authorization: `Bearer ${token.accessToken}` });
      expect(orders.status, orders.body).to.equal(200);
      expect(JSON.parse(orders.body)).to.include({ cid: 'jwt-service' });
    });

    it("gets a DPoP-bound token (after Okta's nonce) that the API accepts with a proof, and refuses as Bearer", async () => {
      const counted = countingFetch();
      const client = service({ clientId: 'dpop-service', secret: 'dpop-service-secret-0123', dpop: true, fetch: counted.fetch });
      const token = await client.getClientCredentialsToken({ scopes: ['orders:read'] });
      expect(token.tokenType).to.equal('DPoP');
      expect(counted.tokenRequests()).to.equal(2);
      const url = `${api.origin}/orders`;
      const proof = await client.createDPoPProof('GET', url, token.accessToken);
      const orders = await call(url, { authorization: `DPoP ${token.accessToken}`, dpop: proof });
      expect(orders.status, orders.body).to.equal(200);
      expect((await call(url, { authorization: `Bearer ${token.accessToken}` })).status).to.equal(401);
    });

    it("is a TokenError with Okta's code for a scope the server does not have", async () => {
      let error: unknown;
      try {
        await service().getClientCredentialsToken({ scopes: ['payments:refund'] });
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(TokenError).with.property('error', 'invalid_scope');
      expect(String((error as Error).message)).not.to.include(SERVICE.clientSecret);
    });
  });

  describe('token exchange', () => {
    let browser: ScriptedBrowser;
    before(async () => {
      browser = new ScriptedBrowser();
      const page = await signIn(browser, `${web.origin}/login`, alice);
      expect(page.body).to.equal('signed in');
    });

    it("calls the downstream API on the user's behalf, exchanging the user's token once", async () => {
      const before = exchanges.tokenRequests();
      const first = await browser.get(`${web.origin}/downstream-orders`);
      expect(first.status, first.body).to.equal(200);
      expect(JSON.parse(first.body)).to.deep.equal({
        sub: alice.sub,
        uid: alice.sub,
        cid: SERVICE.clientId,
        scopes: ['orders:write'],
      });
      const second = await browser.get(`${web.origin}/downstream-orders`);
      expect(second.status).to.equal(200);
      expect(exchanges.tokenRequests() - before).to.equal(1);
    });

    it('makes one exchange for 10 concurrent callers with the same user token', async () => {
      const counted = countingFetch();
      const client = service({ authServerId: 'downstream', fetch: counted.fetch });
      const options = { subjectToken: userTokens[0]!, audience: 'api://downstream', scopes: ['orders:write'] };
      const tokens = await Promise.all(Array.from({ length: 10 }, () => client.exchangeToken(options)));
      expect(counted.tokenRequests()).to.equal(1);
      expect(new Set(tokens.map((token) => token.accessToken)).size).to.equal(1);
      expect(tokens[0]!.issuedTokenType).to.equal('urn:ietf:params:oauth:token-type:access_token');
    });

    it("refuses a service's own token, which names no user, with Okta's error and without the token in it", async () => {
      const own = await service().getClientCredentialsToken({ scopes: ['orders:read'] });
      let error: unknown;
      try {
        await service({ authServerId: 'downstream' }).exchangeToken({
          subjectToken: own.accessToken,
          audience: 'api://downstream',
          scopes: ['orders:write'],
        });
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(TokenError).with.property('error', 'invalid_request');
      expect(String((error as Error).message)).not.to.include(own.accessToken);
    });
  });
});

/** The API: `/orders` of api://default (orders:read), `/downstream/orders` of api://downstream (orders:write). */
function apiApp(okta: LocalOkta, host: string): express.Express {
  const passport = new Passport();
  const verify = async (claims: { sub: string; uid?: string | undefined; cid?: string | undefined }) => ({
    sub: claims.sub,
    uid: claims.uid ?? null,
    cid: claims.cid,
  });
  const common = { oktaDomain: okta.origin, allowedHosts: [host] };
  passport.use('orders', new OktaBearerStrategy({ ...common, authServerId: 'default', audience: 'api://default' }, verify));
  passport.use(
    'downstream',
    new OktaBearerStrategy({ ...common, authServerId: 'downstream', audience: 'api://downstream' }, verify),
  );
  const app = express();
  app.use(passport.initialize());
  app.get(
    '/orders',
    passport.authenticate('orders', { session: false }) as RequestHandler,
    requireScopes('orders:read'),
    (req, res) => {
      res.json(req.user);
    },
  );
  app.get(
    '/downstream/orders',
    passport.authenticate('downstream', { session: false }) as RequestHandler,
    requireScopes('orders:write'),
    (req, res) => res.json({ ...(req.user as object), scopes: (req.authInfo as { scopes: string[] }).scopes }),
  );
  return app;
}

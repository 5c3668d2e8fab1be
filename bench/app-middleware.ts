/**
 * The latency rows that are not a Passport strategy the app mounts itself (bench/latency.ts):
 * @okta/oidc-middleware (ExpressOIDC, which brings its own router over Passport) and
 * express-openid-connect (middleware with its own session cookie). Each is set up as its
 * README does, with its routes moved to `/login` and the bench's callback path, and ends a
 * sign-in with `200 ok <sub>` as the Passport apps do.
 */
import { ExpressOIDC } from '@okta/oidc-middleware';
import type { Express, RequestHandler } from 'express';
import { auth } from 'express-openid-connect';
import { CALLBACK_PATH, CLIENT_ID, CLIENT_SECRET, type ContenderId } from './config.js';

export interface MiddlewareSetup {
  issuer: string;
  /** This app's origin. */
  origin: string;
}

type OktaCallbackHandler = NonNullable<
  NonNullable<NonNullable<ConstructorParameters<typeof ExpressOIDC>[0]['routes']>['loginCallback']>['handler']
>;
/** Answers at once instead of redirecting to afterCallback; three parameters, as ExpressOIDC requires of a handler. */
const answerAtCallback = ((
  req: { userContext?: { userinfo?: { sub?: string } } },
  res: { type(t: string): { send(b: string): void } },
  _next: unknown,
) => {
  res.type('text/plain').send(`ok ${req.userContext?.userinfo?.sub ?? '?'}`);
}) as unknown as OktaCallbackHandler;

/** @okta/oidc-middleware 5: discovery at start-up (ready once it answered), userinfo on every sign-in. */
async function oktaMiddleware(app: Express, setup: MiddlewareSetup): Promise<void> {
  const oidc = new ExpressOIDC({
    issuer: setup.issuer,
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    appBaseUrl: setup.origin,
    scope: 'openid email profile',
    routes: {
      login: { path: '/login' },
      loginCallback: {
        path: CALLBACK_PATH,
        handler: answerAtCallback,
      },
    },
    testing: { disableHttpsCheck: true }, // the stub is plain http on 127.0.0.1
  });
  // Its types are Express 4's; the router is an ordinary middleware.
  app.use(oidc.router as unknown as RequestHandler);
  await new Promise<void>((resolve, reject) => {
    oidc.on('ready', resolve);
    oidc.on('error', reject);
  });
}

/** express-openid-connect 3: discovery at the first request; the callback redirects to the return page. */
async function expressOpenIdConnect(app: Express, setup: MiddlewareSetup): Promise<void> {
  app.use(
    auth({
      issuerBaseURL: setup.issuer,
      baseURL: setup.origin,
      clientID: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      secret: 'bench cookie secret, not a real one, long enough',
      authRequired: false,
      idpLogout: false,
      authorizationParams: { response_type: 'code', scope: 'openid' },
      routes: { login: false, callback: CALLBACK_PATH },
    }),
  );
  app.get('/login', (_req, res) => void res.oidc.login({ returnTo: '/done' }));
  app.get('/done', (req, res) => {
    res.type('text/plain').send(`ok ${String(req.oidc.user?.sub ?? '?')}`);
  });
}

export const MIDDLEWARE_APPS: Partial<Record<ContenderId, (app: Express, setup: MiddlewareSetup) => Promise<void>>> = {
  'okta-mw': oktaMiddleware,
  eoc: expressOpenIdConnect,
};

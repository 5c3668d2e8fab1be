/**
 * Runs the example app: `npm start`.
 *
 * - With `OKTA_DOMAIN`, `OKTA_CLIENT_ID` and `OKTA_CLIENT_SECRET` set (and optionally
 *   `OKTA_AUTH_SERVER_ID`; the org authorization server without it), it signs in against
 *   that Okta org.
 * - With none of them set, it starts a local Okta-like provider on 127.0.0.1 (custom
 *   authorization server `default`, or `OKTA_AUTH_SERVER_ID`) and prints its demo users.
 *
 * - With `EXAMPLE_TENANTS=2` (and no `OKTA_*` variable), it starts two local providers, two
 *   Okta orgs `acme` and `globex`, and signs in the users of both with one strategy:
 *   example/tenants-app.ts, docs/tenants.md.
 *
 * Also read: `OKTA_RESPONSE_MODE` (`query` or `form_post`), `PORT` (default 3000), `HOST`
 * (the address to listen on, default 127.0.0.1), `BASE_URL` (default
 * `http://localhost:$PORT`) and `SESSION_SECRET` (default: a random one per run).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createApp, CALLBACK_PATH, type ExampleConfig } from './app.js';
import { startLocalOkta, type LocalOkta } from './local-okta/index.js';
import { oktaMetrics } from './metrics.js';
import { createTenantsApp, startLocalOrgs, tenantCallbackPath } from './tenants-app.js';

const OKTA_VARIABLES = ['OKTA_DOMAIN', 'OKTA_CLIENT_ID', 'OKTA_CLIENT_SECRET'] as const;

class StartupError extends Error {}

async function main(): Promise<void> {
  const env = process.env;
  const port = parsePort(env.PORT ?? '3000');
  const host = env.HOST || '127.0.0.1';
  const baseURL = (env.BASE_URL || `http://localhost:${port}`).replace(/\/+$/, '');
  const responseMode = parseResponseMode(env.OKTA_RESPONSE_MODE);

  const given = OKTA_VARIABLES.filter((name) => env[name]);
  if (given.length > 0 && given.length < OKTA_VARIABLES.length) {
    const missing = OKTA_VARIABLES.filter((name) => !env[name]);
    throw new StartupError(
      `Set all of ${OKTA_VARIABLES.join(', ')} to use your Okta org, or none of them to use the local ` +
        `Okta-like provider. Missing: ${missing.join(', ')}.`,
    );
  }

  const sessionSecret = env.SESSION_SECRET || randomSessionSecret();
  if (env.EXAMPLE_TENANTS) {
    if (env.EXAMPLE_TENANTS !== '2') throw new StartupError(`EXAMPLE_TENANTS must be 2 (got "${env.EXAMPLE_TENANTS}").`);
    if (given.length > 0) {
      throw new StartupError('EXAMPLE_TENANTS=2 signs in with two local providers: unset the OKTA_* variables.');
    }
    return startTenants({ port, host, baseURL, sessionSecret });
  }

  let localOkta: LocalOkta | undefined;
  let okta: Pick<ExampleConfig, 'oktaDomain' | 'authServerId' | 'clientID' | 'clientSecret'>;
  if (given.length === OKTA_VARIABLES.length) {
    okta = {
      oktaDomain: env.OKTA_DOMAIN!,
      authServerId: env.OKTA_AUTH_SERVER_ID || undefined,
      clientID: env.OKTA_CLIENT_ID!,
      clientSecret: env.OKTA_CLIENT_SECRET!,
    };
  } else {
    const authServerId = env.OKTA_AUTH_SERVER_ID || 'default';
    const clientSecret = randomBytes(24).toString('base64url');
    localOkta = await startLocalOkta({
      quiet: false, // prints its users, sign-ins and sign-outs
      authServerIds: [authServerId],
      clients: [
        {
          clientId: 'example-app',
          clientSecret,
          redirectUris: [`${baseURL}${CALLBACK_PATH}`],
          postLogoutRedirectUris: [`${baseURL}/signed-out`],
          // Okta-initiated sign-outs: the example answers all three (docs/logout.md).
          backchannelLogoutUri: `${baseURL}/auth/okta/backchannel-logout`,
          frontchannelLogoutUri: `${baseURL}/auth/okta/frontchannel-logout`,
          universalLogoutUri: `${baseURL}/auth/okta/universal-logout`,
        },
        // A service (client credentials) that calls the example's API: see docs/api-protection.md.
        { clientId: 'example-service', clientSecret, redirectUris: [`${baseURL}/unused`], clientCredentials: true },
      ],
    });
    okta = { oktaDomain: localOkta.origin, authServerId, clientID: 'example-app', clientSecret };
  }

  let server: Server | undefined;
  try {
    const metrics = oktaMetrics(); // GET /metrics: sign-ins, failures, Okta's latency... (docs/diagnostics.md)
    const { app, stateStore } = createApp({ ...okta, baseURL, responseMode, sessionSecret, silentSignIn: true, metrics });
    server = createServer(app);
    await listen(server, port, host);
    const issuer = okta.authServerId
      ? `${okta.oktaDomain}/oauth2/${okta.authServerId}`
      : `${okta.oktaDomain} (org authorization server)`;
    console.log(
      [
        '',
        'Okta sign-in example',
        `  open          ${baseURL}/`,
        `  Okta          ${localOkta ? 'local provider, ' : ''}${issuer}`,
        `  response mode ${responseMode}, pending sign-ins kept in the ${stateStore}`,
        ...(localOkta
          ? [`  client        ${okta.clientID} / ${okta.clientSecret} (this run only; npm run okta:local has a fixed one)`]
          : []),
        ...(localOkta && okta.authServerId
          ? [
              `  API           ${baseURL}/api/me and ${baseURL}/api/orders (scope orders:read), audience api://${okta.authServerId}`,
              `  API token     curl -u example-service:${okta.clientSecret} -d grant_type=client_credentials -d scope=orders:read ${issuer}/v1/token`,
            ]
          : []),
        localOkta
          ? '  sign in as one of the users listed above'
          : `  the Okta app needs the sign-in redirect URI ${baseURL}${CALLBACK_PATH} and the sign-out redirect URI ${baseURL}/`,
        '  Ctrl+C to stop',
        '',
      ].join('\n'),
    );
  } catch (err) {
    await localOkta?.close();
    throw err;
  }

  stopOnSignal(server, localOkta);
}

/** `EXAMPLE_TENANTS=2`: two local Okta orgs, one app that signs in the users of both. */
async function startTenants(settings: { port: number; host: string; baseURL: string; sessionSecret: string }): Promise<void> {
  const { port, host, baseURL, sessionSecret } = settings;
  const local = await startLocalOrgs(baseURL, { quiet: false });
  const server = createServer(createTenantsApp({ orgs: local.orgs, baseURL, sessionSecret }));
  try {
    await listen(server, port, host);
  } catch (err) {
    await local.close();
    throw err;
  }
  console.log(
    [
      '',
      'Okta sign-in example, two Okta orgs (EXAMPLE_TENANTS=2)',
      `  open          ${baseURL}/`,
      ...Object.entries(local.orgs).flatMap(([name, org]) => [
        `  ${name.padEnd(13)} ${local.okta[name]!.issuer(org.authServerId)}, client ${org.clientID}`,
        `                sign in at ${baseURL}/t/${name}/login, back at ${baseURL}${tenantCallbackPath(name)}`,
      ]),
      `  API           ${baseURL}/api/me takes the access tokens of both orgs (audience api://default)`,
      '  sign in as one of the users listed above, at either org',
      '  Ctrl+C to stop',
      '',
    ].join('\n'),
  );
  stopOnSignal(server, local);
}

function stopOnSignal(server: Server, localOkta: Pick<LocalOkta, 'close'> | undefined): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130); // a second Ctrl+C: do not wait
    stopping = true;
    console.log(`\n${signal}: stopping`);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    Promise.all([closed, localOkta?.close()]).then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('Error while stopping:', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new StartupError(`Port ${port} is in use: set PORT to another one.`) : err);
    });
    server.listen(port, host, () => resolve());
  });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new StartupError(`PORT must be a port number from 1 to 65535 (got "${value}").`);
  }
  return port;
}

function parseResponseMode(value: string | undefined): 'query' | 'form_post' {
  if (value === undefined || value === '' || value === 'query') return 'query';
  if (value === 'form_post') return 'form_post';
  throw new StartupError(`OKTA_RESPONSE_MODE must be "query" or "form_post" (got "${value}").`);
}

function randomSessionSecret(): string {
  console.warn('SESSION_SECRET is not set: using a random one, so sessions end when the app restarts.');
  return randomBytes(32).toString('base64url');
}

main().catch((err: unknown) => {
  // Setting mistakes get their message alone; anything else its stack too.
  const isSettingError =
    err instanceof StartupError ||
    err instanceof TypeError ||
    (err instanceof Error && 'code' in err && err.code === 'ERR_OKTA_CONFIGURATION');
  if (isSettingError) {
    console.error(`Cannot start the example: ${err.message}`);
  } else {
    console.error('Cannot start the example:', err);
  }
  process.exit(1);
});

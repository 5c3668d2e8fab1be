/**
 * `npm run okta:local`: the local Okta-like provider of the example (example/local-okta/),
 * alone, for pointing your own app at it. It prints its issuer, the client it knows, every URL
 * of the app it calls (sign-in and sign-out redirects, back-channel, front-channel and
 * Universal Logout), the demo users, and the settings to give `OktaStrategy`.
 * `npm run okta:local -- universal-logout --user <login>` asks a running one to sign a user
 * out everywhere (okta-local-universal-logout.ts).
 *
 * Every setting has a flag and an environment variable (the flag wins):
 *
 *   --port                      LOCAL_OKTA_PORT               default 4010 (0: any free port)
 *   --host                      LOCAL_OKTA_HOST               default the first redirect URI's: localhost or 127.0.0.1
 *   --auth-server-id            LOCAL_OKTA_AUTH_SERVER_ID     default `default`
 *   --client-id                 LOCAL_OKTA_CLIENT_ID          default `local-app`
 *   --client-secret             LOCAL_OKTA_CLIENT_SECRET      default a fixed, printed one
 *   --redirect-uri (repeat)     LOCAL_OKTA_REDIRECT_URIS      default http://localhost:3000/auth/okta/callback
 *   --post-logout-redirect-uri  LOCAL_OKTA_POST_LOGOUT_URIS   default each redirect URI's origin + `/signed-out` and `/`
 *   --backchannel-logout-uri    LOCAL_OKTA_BACKCHANNEL_LOGOUT_URI   default origin + `/auth/okta/backchannel-logout`
 *   --frontchannel-logout-uri   LOCAL_OKTA_FRONTCHANNEL_LOGOUT_URI  default origin + `/auth/okta/frontchannel-logout`
 *   --universal-logout-uri      LOCAL_OKTA_UNIVERSAL_LOGOUT_URI     default origin + `/auth/okta/universal-logout`
 *
 * (origin: the first redirect URI's; `none` turns one off.)
 * The environment variables holding lists take URIs separated by commas or spaces.
 * Only for development: the secret is known to everyone who reads this file.
 */
import { parseArgs } from 'node:util';
import { startLocalOkta, type LocalOkta } from './local-okta/index.js';
import { LOGOUT_URIS, appLogoutUris, logoutLines, readLogoutUris, type LogoutUris } from './okta-local-logout-uris.js';
import { UNIVERSAL_LOGOUT_USAGE, runUniversalLogout } from './okta-local-universal-logout.js';

export const DEFAULT_PORT = 4010;
export const DEFAULT_CLIENT_ID = 'local-app';
/** Fixed so that an app's settings survive a restart; 32+ characters, so `client_secret_jwt` works too. */
export const DEFAULT_CLIENT_SECRET = 'local-okta-secret-for-development-only';
export const DEFAULT_REDIRECT_URI = 'http://localhost:3000/auth/okta/callback';

const USAGE = `Usage: npm run okta:local -- [options]

  --port <n>                        port to listen on (default ${DEFAULT_PORT}; 0 for any free port)
  --host <name>                     localhost or 127.0.0.1 (default: the host of the first
                                    redirect URI, so that the app and Okta are opened on one name)
  --auth-server-id <id>             custom authorization server id (default "default")
  --client-id <id>                  the client id apps use (default "${DEFAULT_CLIENT_ID}")
  --client-secret <secret>          the client secret apps use (default: a fixed one, printed)
  --redirect-uri <uri>              a sign-in redirect URI to accept; repeat for several
                                    (default ${DEFAULT_REDIRECT_URI})
  --post-logout-redirect-uri <uri>  a sign-out redirect URI to accept; repeat for several
                                    (default: each redirect URI's origin followed by
                                    /signed-out, and by /)
  --backchannel-logout-uri <uri>    where logout tokens are POSTed on sign-out
  --frontchannel-logout-uri <uri>   loaded in an iframe when another app signs the user out
  --universal-logout-uri <uri>      the app's Universal Logout (Global Token Revocation) endpoint
                                    (defaults: the first redirect URI's origin followed by
                                    ${LOGOUT_URIS.map(({ path }) => path).join(', ')}; none: off)
  --help                            this text

Environment variables: LOCAL_OKTA_PORT, LOCAL_OKTA_HOST, LOCAL_OKTA_AUTH_SERVER_ID,
LOCAL_OKTA_CLIENT_ID, LOCAL_OKTA_CLIENT_SECRET, LOCAL_OKTA_REDIRECT_URIS,
LOCAL_OKTA_POST_LOGOUT_URIS (lists separated by commas or spaces),
LOCAL_OKTA_BACKCHANNEL_LOGOUT_URI, LOCAL_OKTA_FRONTCHANNEL_LOGOUT_URI and
LOCAL_OKTA_UNIVERSAL_LOGOUT_URI. Flags win.

${UNIVERSAL_LOGOUT_USAGE}`;

class UsageError extends Error {}

export interface LocalOktaCliSettings extends LogoutUris {
  port: number;
  host: string;
  authServerId: string;
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
}

/** Reads the flags and environment variables; throws a UsageError naming a bad value. */
export function readSettings(args: string[], env: NodeJS.ProcessEnv): LocalOktaCliSettings | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'auth-server-id': { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        'redirect-uri': { type: 'string', multiple: true },
        'post-logout-redirect-uri': { type: 'string', multiple: true },
        'backchannel-logout-uri': { type: 'string' },
        'frontchannel-logout-uri': { type: 'string' },
        'universal-logout-uri': { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const flags = parsed.values;
  if (flags.help) return 'help';
  const list = (value: string | undefined): string[] | undefined =>
    value === undefined || value.trim() === '' ? undefined : value.split(/[\s,]+/).filter(Boolean);

  const portText = flags.port ?? env.LOCAL_OKTA_PORT ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be a port number from 0 to 65535 (got "${portText}")`);
  }
  const redirectUris = flags['redirect-uri'] ?? list(env.LOCAL_OKTA_REDIRECT_URIS) ?? [DEFAULT_REDIRECT_URI];
  for (const uri of redirectUris) {
    if (!URL.canParse(uri) || !/^https?:$/.test(new URL(uri).protocol)) {
      throw new UsageError(`--redirect-uri must be an absolute http(s) URL, e.g. ${DEFAULT_REDIRECT_URI} (got "${uri}")`);
    }
  }
  // The app's host name: a browser keeps cookies per host name, and a newcomer who opens the
  // app on 127.0.0.1 (the provider's name) while its callback says localhost loses every sign-in.
  const appHost = new URL(redirectUris[0]!).hostname;
  const host = flags.host ?? env.LOCAL_OKTA_HOST ?? (appHost === '127.0.0.1' ? '127.0.0.1' : 'localhost');
  if (host !== '127.0.0.1' && host !== 'localhost') throw new UsageError(`--host must be 127.0.0.1 or localhost (got "${host}")`);
  const postLogoutRedirectUris = flags['post-logout-redirect-uri'] ??
    list(env.LOCAL_OKTA_POST_LOGOUT_URIS) ?? [
      ...new Set(redirectUris.flatMap((uri) => [`${new URL(uri).origin}/signed-out`, `${new URL(uri).origin}/`])),
    ];
  const authServerId = flags['auth-server-id'] ?? env.LOCAL_OKTA_AUTH_SERVER_ID ?? 'default';
  const clientId = flags['client-id'] ?? env.LOCAL_OKTA_CLIENT_ID ?? DEFAULT_CLIENT_ID;
  const clientSecret = flags['client-secret'] ?? env.LOCAL_OKTA_CLIENT_SECRET ?? DEFAULT_CLIENT_SECRET;
  if (clientId === '' || clientSecret === '') throw new UsageError('--client-id and --client-secret must not be empty');
  let logoutUris: LogoutUris; // only those a flag or variable gives (a URL, or none)
  try {
    logoutUris = readLogoutUris(flags, env);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return { port, host, authServerId, clientId, clientSecret, redirectUris, postLogoutRedirectUris, ...logoutUris };
}

/** Starts the provider with one client, as the settings say. */
export function startFromSettings(settings: LocalOktaCliSettings): Promise<LocalOkta> {
  return startLocalOkta({
    host: settings.host,
    port: settings.port,
    quiet: false, // a banner with the issuers and the demo users, then sign-ins and sign-outs
    authServerIds: [settings.authServerId],
    clients: [
      {
        clientId: settings.clientId,
        clientSecret: settings.clientSecret,
        redirectUris: settings.redirectUris,
        postLogoutRedirectUris: settings.postLogoutRedirectUris,
        ...appLogoutUris(settings),
      },
    ],
  });
}

/** What to tell the person who started it: the client, the URIs, and how to point an app at it. */
export function describe(okta: LocalOkta, settings: LocalOktaCliSettings): string {
  const quoted = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const callback = settings.redirectUris[0]!;
  return [
    '',
    `  issuer                 ${okta.issuer(settings.authServerId)}`,
    `  client id              ${settings.clientId}`,
    `  client secret          ${settings.clientSecret}`,
    `  sign-in redirect URIs  ${settings.redirectUris.join(' ')}`,
    `  sign-out redirect URIs ${settings.postLogoutRedirectUris.join(' ')}`,
    ...logoutLines(appLogoutUris(settings)),
    '',
    `For the README's quick start (or any app reading these variables), opened at ${new URL(callback).origin}/:`,
    '',
    `  export OKTA_DOMAIN=${okta.origin}`,
    `  export OKTA_AUTH_SERVER_ID=${settings.authServerId}`,
    `  export OKTA_CLIENT_ID=${settings.clientId}`,
    `  export OKTA_CLIENT_SECRET=${settings.clientSecret}`,
    '',
    'OktaStrategy options:',
    '',
    '  {',
    `    oktaDomain: ${quoted(okta.origin)},`,
    `    authServerId: ${quoted(settings.authServerId)},`,
    `    clientID: ${quoted(settings.clientId)},`,
    `    clientSecret: ${quoted(settings.clientSecret)},`,
    `    callbackURL: ${quoted(callback)},`,
    '  }',
    '',
    'Other redirect URIs: --redirect-uri <uri> (repeatable). Ctrl+C to stop.',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  if (process.argv[2] === 'universal-logout') {
    const { lines, ok } = await runUniversalLogout(process.argv.slice(3), process.env);
    (ok ? console.log : console.error)(lines.join('\n'));
    process.exitCode = ok ? 0 : 1;
    return;
  }
  const settings = readSettings(process.argv.slice(2), process.env);
  if (settings === 'help') {
    console.log(USAGE);
    return;
  }
  let okta: LocalOkta;
  try {
    okta = await startFromSettings(settings);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new UsageError(`port ${settings.port} is in use: pass --port <another> (or LOCAL_OKTA_PORT)`);
    }
    throw err;
  }
  console.log(describe(okta, settings));
  const stop = () => {
    okta.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`okta:local: ${err.message}\n\n${USAGE}`);
    } else {
      console.error('okta:local: cannot start:', err);
    }
    process.exit(1);
  });
}

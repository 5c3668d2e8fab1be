/**
 * `npm run okta:local -- universal-logout --user <login>`: asks a running `npm run okta:local`
 * to do what Okta does when an admin clears a user's sessions: end the user's Okta sessions and
 * POST Okta's Universal Logout request (Global Token Revocation, with a signed JWT) to the app.
 * It prints each app's answer and exits 1 unless every app answered 2xx.
 */
import { parseArgs } from 'node:util';
import type { UniversalLogoutResult } from './local-okta/index.js';

/** The subcommand's help, part of `npm run okta:local -- --help`. */
export const UNIVERSAL_LOGOUT_USAGE = `Usage: npm run okta:local -- universal-logout --user <login or id> [options]

  --user <login>            the user to sign out everywhere (alice@example.com, or a sub)
  --format <email|iss_sub>  how the request names the user (default: the app's, email)
  --endpoint <url>          the app's Universal Logout endpoint (default: the one registered
                            with --universal-logout-uri when okta:local started)
  --client-id <id>          the app (default: every app with an endpoint)
  --auth-server-id <id>     sign as this custom authorization server (default: the org)
  --member <subject|sub_id> the body member (default subject, as Okta's guide; sub_id as the draft)
  --okta <origin>           the running okta:local (default http://localhost:4010, or
                            LOCAL_OKTA_HOST and LOCAL_OKTA_PORT)`;

/** Reads the subcommand's flags into the JSON body of `POST /admin/universal-logout`. */
export function readUniversalLogoutArgs(args: string[], env: NodeJS.ProcessEnv) {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      user: { type: 'string' },
      format: { type: 'string' },
      endpoint: { type: 'string' },
      'client-id': { type: 'string' },
      'auth-server-id': { type: 'string' },
      member: { type: 'string' },
      okta: { type: 'string' },
    },
  });
  if (!values.user) throw new TypeError('--user is required');
  const okta = values.okta ?? `http://${env.LOCAL_OKTA_HOST ?? 'localhost'}:${env.LOCAL_OKTA_PORT ?? '4010'}`;
  const body = {
    user: values.user,
    format: values.format,
    endpoint: values.endpoint,
    clientId: values['client-id'],
    authServerId: values['auth-server-id'],
    member: values.member,
  };
  return { okta, body };
}

/** Sends the request to the running provider; resolves the lines to print and whether all apps said 2xx. */
export async function runUniversalLogout(args: string[], env: NodeJS.ProcessEnv): Promise<{ lines: string[]; ok: boolean }> {
  let request: ReturnType<typeof readUniversalLogoutArgs>;
  try {
    request = readUniversalLogoutArgs(args, env);
  } catch (err) {
    return { lines: [`okta:local universal-logout: ${(err as Error).message}`, '', UNIVERSAL_LOGOUT_USAGE], ok: false };
  }
  const { okta, body } = request;
  let response: Response;
  try {
    response = await fetch(new URL('/admin/universal-logout', okta), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    return { lines: [`okta:local universal-logout: nothing answers at ${okta}: start it with npm run okta:local`], ok: false };
  }
  const answer = (await response.json()) as { results?: UniversalLogoutResult[]; error_description?: string };
  if (!response.ok || !answer.results) {
    return { lines: [`okta:local refused: ${answer.error_description ?? response.status}`], ok: false };
  }
  const lines = answer.results.map(
    ({ clientId, endpoint, status, error }) =>
      `Universal Logout of ${body.user} at ${clientId}: POST ${endpoint} -> ${status === 0 ? `unreachable (${error})` : status}`,
  );
  return { lines, ok: answer.results.every(({ status }) => status >= 200 && status < 300) };
}

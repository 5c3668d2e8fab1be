/**
 * The sign-in pages at `/login/{uid}`: oidc-provider's interactions, answered one prompt at
 * a time. `interactionPolicy` (authorize.ts) decides which prompt a request needs; this
 * module shows its page and reports the outcome back to oidc-provider.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorPage, loginPage, page, type LoginForm } from './html.js';
import { readForm, sendHtml } from './http.js';
import type { AuthServer } from './issuers.js';
import { MFA_PAGE } from './mfa.js';
import type { PromptPage, PromptRequest } from './prompts.js';
import type { Settings } from './settings.js';
import { authenticate } from './users.js';

/**
 * The pages, by the name of the prompt (of `interactionPolicy`) that the interaction waits
 * for. A prompt added to the policy gets its page here.
 */
const PROMPT_PAGES: Partial<Record<string, PromptPage>> = {
  login: { show: showLoginForm, submit: submitLogin },
  // Only an explicit prompt=consent gets here: consent is implied, as in Okta. A sign-in
  // form posted meanwhile is still taken as a sign-in.
  consent: { show: impliedConsent, submit: submitLogin },
  mfa: MFA_PAGE,
};

/** Serves `GET` and `POST /login/{uid}`. */
export async function handleLogin(
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
  servers: AuthServer[],
  settings: Settings,
): Promise<void> {
  const server = await serverForInteraction(uid, servers);
  const details = server ? await interactionDetails(server, req, res) : undefined;
  if (!server || !details || details.uid !== uid) {
    sendHtml(res, 400, errorPage({ error: 'invalid_request', error_description: 'This sign-in has expired or is unknown.' }));
    return;
  }
  if (req.method !== 'GET' && req.method !== 'POST') {
    sendHtml(res, 405, page('Method not allowed', '<h1>Method not allowed</h1>'));
    return;
  }
  const prompt = PROMPT_PAGES[details.prompt.name];
  // Fails closed (a 500) rather than letting an unanswered step through.
  if (!prompt) throw new Error(`local Okta: no page for the prompt '${details.prompt.name}'`);
  const form: LoginForm = { uid, clientId: String(details.params.client_id), issuer: server.issuer };
  const request: PromptRequest = { req, res, server, details, form, settings };
  await (req.method === 'GET' ? prompt.show(request) : prompt.submit(request));
}

async function showLoginForm({ res, details, form }: PromptRequest): Promise<void> {
  sendHtml(res, 200, loginPage({ ...form, username: stringOr(details.params.login_hint, '') }));
}

async function impliedConsent({ req, res, server }: PromptRequest): Promise<void> {
  await server.provider.interactionFinished(req, res, { consent: {} }, { mergeWithLastSubmission: true });
}

async function submitLogin({ req, res, server, form, settings }: PromptRequest): Promise<void> {
  const fields = await readForm(req);
  if (fields.get('deny')) {
    const result = { error: 'access_denied', error_description: 'User denied access' };
    await server.provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    return;
  }
  const username = fields.get('username') ?? '';
  const user = authenticate(settings.users, username, fields.get('password') ?? '');
  if (!user) {
    sendHtml(res, 401, loginPage({ ...form, username, error: 'Unable to sign in' }));
    return;
  }
  if (!settings.quiet) console.log(`[local-okta] ${user.username} signed in to ${form.clientId}`);
  // `consent: {}` says consent is implied, so that even prompt=consent asks nothing more.
  const result = { login: { accountId: user.sub, amr: ['pwd'] }, consent: {} };
  await server.provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

async function serverForInteraction(uid: string, servers: AuthServer[]): Promise<AuthServer | undefined> {
  for (const server of servers) {
    if (await server.provider.Interaction.find(uid)) return server;
  }
  return undefined;
}

async function interactionDetails(server: AuthServer, req: IncomingMessage, res: ServerResponse) {
  try {
    return await server.provider.interactionDetails(req, res);
  } catch {
    return undefined; // no interaction cookie, or the interaction expired
  }
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

/**
 * The second-factor page of the `mfa` prompt (step-up.ts decides when it is needed): the
 * user types the one-time code of their authenticator (`DemoUser.oneTimeCode`), as with
 * Okta Verify or Google Authenticator. Success adds `otp` and `mfa` to the session's `amr`
 * and restarts its `auth_time`, as a new authentication.
 */
import { mfaPage } from './html.js';
import { readForm, sendHtml } from './http.js';
import type { PromptPage, PromptRequest } from './prompts.js';
import { SECOND_FACTOR_AMR } from './step-up.js';
import { oneTimeCodeMatches } from './users.js';

/** The `mfa` prompt's page. */
export const MFA_PAGE: PromptPage = { show: showCodeForm, submit: submitCode };

async function showCodeForm({ res, form }: PromptRequest): Promise<void> {
  sendHtml(res, 200, mfaPage(form));
}

async function submitCode(request: PromptRequest): Promise<void> {
  const { req, res, server, details, form, settings } = request;
  const fields = await readForm(req);
  if (fields.get('deny')) {
    const result = { error: 'access_denied', error_description: 'User denied access' };
    await server.provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    return;
  }
  const accountId = details.session?.accountId;
  const user = settings.users.find((candidate) => candidate.sub === accountId);
  if (!user || !oneTimeCodeMatches(user, fields.get('otp') ?? '')) {
    sendHtml(res, 401, mfaPage({ ...form, error: 'Invalid code. Try again.' }));
    return;
  }
  if (!settings.quiet) console.log(`[local-okta] ${user.username} verified a second factor for ${form.clientId}`);
  const amr = ['pwd', ...SECOND_FACTOR_AMR];
  await server.provider.interactionFinished(req, res, { login: { accountId: user.sub, amr } }, { mergeWithLastSubmission: true });
}

/**
 * The authorize endpoint's rules: the parameters it requires or repairs, when it asks the
 * user to interact, and the grant a sign-in produces. The pages of those interactions are
 * in login.ts; what is removed from its answers, in responses.ts.
 */
import { decodeJwt } from 'jose';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { oidc } from './oidc.js';
import { secondFactorPrompt } from './step-up.js';
import type { DemoUser } from './types.js';

/**
 * Validators of authorization and PAR request parameters, run on every such request after
 * oidc-provider's own checks. `idp` (Okta's identity provider hint) is accepted and ignored.
 */
export function authorizeParams() {
  return { state: requireState, scope: keepOfflineAccess, idp: null } satisfies Configuration['extraParams'];
}

/**
 * When the authorize endpoint asks the user to interact: oidc-provider's base policy, a
 * `login` prompt (no session, `prompt=login`, `max_age`, ...) then a `consent` prompt that
 * the login pages answer without asking, then the `mfa` prompt of step-up.ts (a second
 * factor asked by `acr_values`). A further step is a prompt added here, with its page in
 * login.ts's `PROMPT_PAGES`.
 */
export function interactionPolicy(users: DemoUser[]) {
  const policy = oidc().interactionPolicy.base();
  policy.add(secondFactorPrompt(users));
  return policy;
}

/** Okta rejects an authorization request without `state`. */
function requireState(_ctx: KoaContextWithOIDC, value: string | undefined): void {
  if (!value) {
    throw new (oidc().errors.InvalidRequest)("the authorization request is missing the required 'state' parameter");
  }
}

/**
 * oidc-provider drops `offline_access` unless `prompt=consent` is asked (OpenID Connect
 * Core 11); Okta keeps it for any app allowed the refresh_token grant. Put it back, from
 * the request as the client sent it, so that the grant, the code and the token response
 * all carry it and a refresh token is issued.
 */
function keepOfflineAccess(ctx: KoaContextWithOIDC): void {
  const { params, client } = ctx.oidc;
  if (!params || !client) return;
  const asked = rawScope(ctx)?.split(' ') ?? [];
  const responseType = typeof params.response_type === 'string' ? params.response_type : '';
  if (!asked.includes('offline_access') || !responseType.includes('code')) return;
  if (!client.grantTypeAllowed('refresh_token')) return;
  const scopes = new Set(typeof params.scope === 'string' ? params.scope.split(' ') : []);
  scopes.add('offline_access');
  params.scope = [...scopes].join(' ');
}

/** The `scope` as the client sent it: from the pushed request, the form body or the query. */
function rawScope(ctx: KoaContextWithOIDC): string | undefined {
  const pushed = ctx.oidc.entities.PushedAuthorizationRequest;
  const source = pushed ? decodeJwt(pushed.request) : ctx.method === 'POST' ? ctx.oidc.body : ctx.query;
  const scope = source?.scope;
  return typeof scope === 'string' ? scope : undefined;
}

/**
 * No consent screen, as for a first-party Okta app: the grant covers whatever the request
 * asks, so oidc-provider's consent prompt never needs to ask.
 */
export async function grantRequestedScopes(ctx: KoaContextWithOIDC) {
  const { oidc: o } = ctx;
  const accountId = o.session?.accountId;
  const clientId = o.client?.clientId;
  if (!accountId || !clientId) return undefined;
  const grantId = o.result?.consent?.grantId ?? o.session?.grantIdFor(clientId);
  const existing = grantId ? await o.provider.Grant.find(grantId) : undefined;
  const grant = existing?.accountId === accountId ? existing : new o.provider.Grant({ accountId, clientId });
  grant.addOIDCScope(o.requestParamOIDCScopes);
  grant.addOIDCClaims(o.requestParamClaims);
  for (const [indicator, server] of Object.entries(o.resourceServers ?? {})) {
    const asked = [...o.requestParamScopes].filter((scope) => server.scopes.has(scope));
    if (asked.length > 0) grant.addResourceScope(indicator, asked.join(' '));
  }
  await grant.save();
  return grant;
}

/**
 * Okta's `/v1/logout` (RP-initiated logout): it ends the session and redirects at once, with
 * no confirmation page, and tokens stay valid (Okta does not revoke them on logout).
 */
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { page } from './html.js';

type Features = NonNullable<Configuration['features']>;

/** oidc-provider's logout features, set to Okta's behaviour. */
export function logoutFeatures() {
  return {
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: (ctx) => endSessionAndRedirect(ctx),
      postLogoutSuccessSource: (ctx) => {
        ctx.type = 'html';
        ctx.body = page('Signed out', '<h1>Signed out</h1><p>You have been signed out.</p>');
      },
    },
  } satisfies Pick<Features, 'rpInitiatedLogout'>;
}

/**
 * Runs after oidc-provider answered a logout request: without a session it shows an
 * auto-posting confirmation page, where Okta just redirects.
 */
export async function redirectWithoutSession(ctx: KoaContextWithOIDC): Promise<void> {
  if (ctx.status === 200 && !ctx.oidc.session?.accountId) await endSessionAndRedirect(ctx);
}

async function endSessionAndRedirect(ctx: KoaContextWithOIDC): Promise<void> {
  const { session, params, provider } = ctx.oidc;
  if (session) await session.destroy();
  ctx.cookies.set(provider.cookieName('session'), null, { httpOnly: true, sameSite: 'lax', overwrite: true });
  const postLogout = params?.post_logout_redirect_uri;
  const state = params?.state;
  const target = new URL(typeof postLogout === 'string' ? postLogout : ctx.oidc.urlFor('end_session_success'));
  if (typeof postLogout === 'string' && typeof state === 'string') target.searchParams.set('state', state);
  ctx.status = 303;
  ctx.redirect(target.href);
}

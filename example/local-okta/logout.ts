/**
 * Okta's `/v1/logout` (RP-initiated logout): it ends the session and redirects at once, with
 * no confirmation page, and tokens stay valid (Okta does not revoke them on logout). The
 * apps the session signed in to are told first (single-logout.ts): back-channel logout
 * tokens are POSTed before the answer; front-channel logout turns the redirect into a page
 * that loads the apps' front-channel URLs in iframes, then goes on.
 */
import type { Configuration, JWK, KoaContextWithOIDC } from 'oidc-provider';
import { frontChannelLogoutPage, page } from './html.js';
import type { Settings } from './settings.js';
import { frontChannelLogoutUrls, sendBackChannelLogouts } from './single-logout.js';

type Features = NonNullable<Configuration['features']>;

/** What the logout of one issuer needs: the apps, and the key its logout tokens are signed with. */
export interface LogoutContext {
  settings: Settings;
  signingKey: JWK;
}

/** oidc-provider's logout features, set to Okta's behaviour. */
export function logoutFeatures(logout: LogoutContext) {
  return {
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: (ctx) => endSessionAndRedirect(ctx, logout),
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
export async function redirectWithoutSession(ctx: KoaContextWithOIDC, logout: LogoutContext): Promise<void> {
  if (ctx.status === 200 && !ctx.oidc.session?.accountId) await endSessionAndRedirect(ctx, logout);
}

async function endSessionAndRedirect(ctx: KoaContextWithOIDC, { settings, signingKey }: LogoutContext): Promise<void> {
  const { session, params, provider } = ctx.oidc;
  const frames = frontChannelLogoutUrls(ctx, settings);
  await sendBackChannelLogouts(ctx, signingKey, settings);
  if (session) await session.destroy();
  ctx.cookies.set(provider.cookieName('session'), null, { httpOnly: true, sameSite: 'lax', overwrite: true });
  const postLogout = params?.post_logout_redirect_uri;
  const state = params?.state;
  const target = new URL(typeof postLogout === 'string' ? postLogout : ctx.oidc.urlFor('end_session_success'));
  if (typeof postLogout === 'string' && typeof state === 'string') target.searchParams.set('state', state);
  if (frames.length > 0) {
    ctx.status = 200;
    ctx.type = 'html';
    ctx.body = frontChannelLogoutPage(frames, target.href);
    return;
  }
  ctx.status = 303;
  ctx.redirect(target.href);
}

/**
 * Okta's answers where oidc-provider's differ: a middleware that runs after oidc-provider
 * answered and removes what Okta would not send.
 */
import type { KoaContextWithOIDC } from 'oidc-provider';
import { redirectWithoutSession, type LogoutContext } from './logout.js';

/**
 * Removes the RFC 9207 `iss` from authorization responses and discovery (unless asked
 * for), and the confirmation page of a logout without a session (see logout.ts).
 */
export async function adjustResponse(ctx: KoaContextWithOIDC, issuer: string, logout: LogoutContext): Promise<void> {
  const { settings } = logout;
  const route = 'oidc' in ctx ? ctx.oidc.route : undefined;
  if (route === 'authorization' || route === 'resume') {
    if (!settings.authorizationResponseIss) removeIssFromAuthorizationResponse(ctx, issuer);
  } else if (route === 'discovery') {
    if (!settings.authorizationResponseIss) removeIssFromDiscovery(ctx);
  } else if (route === 'end_session') {
    await redirectWithoutSession(ctx, logout);
  }
}

function removeIssFromAuthorizationResponse(ctx: KoaContextWithOIDC, issuer: string): void {
  const location = ctx.response.get('Location');
  if (location) {
    ctx.set('Location', withoutIss(location, issuer));
  } else if (typeof ctx.body === 'string' && ctx.response.is('html')) {
    // The form_post page: one hidden input per response parameter.
    ctx.body = ctx.body.replace(/\s*<input type="hidden" name="iss" value="[^"]*"\/>/, '');
  }
}

function withoutIss(location: string, issuer: string): string {
  const url = URL.parse(location);
  if (!url) return location;
  if (url.searchParams.get('iss') === issuer) url.searchParams.delete('iss');
  const fragment = new URLSearchParams(url.hash.slice(1));
  if (fragment.get('iss') === issuer) {
    fragment.delete('iss');
    url.hash = fragment.toString();
  }
  return url.href;
}

function removeIssFromDiscovery(ctx: KoaContextWithOIDC): void {
  const body: unknown = ctx.body;
  if (body && typeof body === 'object' && 'authorization_response_iss_parameter_supported' in body) {
    delete (body as Record<string, unknown>).authorization_response_iss_parameter_supported;
  }
}

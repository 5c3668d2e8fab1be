/**
 * What a sign-out at `/v1/logout` tells the apps the session signed in to:
 *
 * - Back-Channel Logout 1.0: a `logout_token` POSTed to each app with a
 *   `backchannelLogoutUri`, the app that asked for the sign-out included (the spec's rule;
 *   Okta itself sends no back-channel logout, so there is nothing of Okta's to follow).
 * - Front-Channel Logout 1.0, as Okta's Single Logout does it: an iframe per app with a
 *   `frontchannelLogoutUri`, with `iss` and `sid` when asked, for every app but the one
 *   that asked for the sign-out (Okta: "Okta sends outbound logout requests to any other
 *   apps participating in SLO that didn't initiate the logout").
 */
import type { JWK, KoaContextWithOIDC, Session } from 'oidc-provider';
import { signJwt } from './jwt.js';
import type { Settings } from './settings.js';

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** How long an app has to answer a back-channel logout. */
const BACKCHANNEL_TIMEOUT_MS = 5_000;

/** The apps this session signed in to, with the session's `sid` for each. */
function signedInApps(session: Session, settings: Settings) {
  return Object.keys(session.authorizations ?? {}).flatMap((clientId) => {
    const client = settings.clients.find((candidate) => candidate.clientId === clientId);
    return client ? [{ client, sid: session.sidFor(clientId) }] : [];
  });
}

/**
 * POSTs a logout token (typ `logout+jwt`: iss, aud, iat, exp two minutes on, jti, events,
 * sub, and sid unless the app said it needs none) to every app of the session that has a
 * back-channel URI, and waits for their answers; a failure is printed, never thrown.
 */
export async function sendBackChannelLogouts(ctx: KoaContextWithOIDC, signingKey: JWK, settings: Settings) {
  const { session, provider } = ctx.oidc;
  if (!session?.accountId) return;
  const sub = session.accountId;
  const sends = signedInApps(session, settings).map(async ({ client, sid }) => {
    if (!client.backchannelLogoutUri) return;
    const withSid = client.backchannelLogoutSessionRequired !== false && sid !== undefined;
    const claims = { iss: provider.issuer, aud: client.clientId, sub, events: { [BACKCHANNEL_EVENT]: {} } };
    const logoutToken = await signJwt(signingKey, 'logout+jwt', withSid ? { ...claims, sid } : claims, 120);
    try {
      const response = await fetch(client.backchannelLogoutUri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: logoutToken }),
        redirect: 'manual',
        signal: AbortSignal.timeout(BACKCHANNEL_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (!settings.quiet) console.log(`[local-okta] back-channel logout of ${client.clientId}: ${response.status}`);
    } catch (err) {
      if (!settings.quiet) console.error(`[local-okta] back-channel logout of ${client.clientId} failed:`, err);
    }
  });
  await Promise.all(sends);
}

/** The front-channel logout URLs of the session's other apps: `uri?iss=...&sid=...`. */
export function frontChannelLogoutUrls(ctx: KoaContextWithOIDC, settings: Settings): string[] {
  const { session, provider, client: initiator } = ctx.oidc;
  if (!session?.accountId) return [];
  return signedInApps(session, settings).flatMap(({ client, sid }) => {
    if (!client.frontchannelLogoutUri || client.clientId === initiator?.clientId) return [];
    const url = new URL(client.frontchannelLogoutUri);
    if (client.frontchannelLogoutSessionRequired !== false && sid !== undefined) {
      url.searchParams.set('iss', provider.issuer);
      url.searchParams.set('sid', sid);
    }
    return [url.href];
  });
}

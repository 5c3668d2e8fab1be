/**
 * The provider's own HTML: the page shell, the sign-in form, the second-factor form, the
 * front-channel logout page and the error page.
 */
import type { ErrorOut } from 'oidc-provider';

/** What the sign-in form shows. */
export interface LoginForm {
  uid: string;
  clientId: string;
  issuer: string;
  username?: string;
  error?: string;
}

/** The sign-in form: username, password, "Sign in", and "Cancel" (`deny=1`). */
export function loginPage({ uid, clientId, issuer, username = '', error }: LoginForm): string {
  const alert = error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '';
  return page(
    'Sign In',
    `<h1>Sign In</h1>
    <p class="muted">to <strong>${escapeHtml(clientId)}</strong></p>
    ${alert}
    <form method="post" action="/login/${escapeHtml(uid)}">
      <label>Username <input name="username" autocomplete="username" value="${escapeHtml(username)}" autofocus required></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
      <button type="submit">Sign in</button>
      <button type="submit" name="deny" value="1" formnovalidate class="secondary">Cancel</button>
    </form>
    <p class="muted small">Local Okta &middot; ${escapeHtml(issuer)}</p>`,
  );
}

/**
 * The second-factor form: `<input name="otp">` (the one-time code), "Verify", and "Cancel"
 * (`deny=1`), posted to the same `/login/{uid}`.
 */
export function mfaPage({ uid, clientId, issuer, error }: LoginForm): string {
  const alert = error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '';
  return page(
    'Verify it is you',
    `<h1>Verify it is you</h1>
    <p class="muted">Enter the code from your authenticator app to continue to <strong>${escapeHtml(clientId)}</strong></p>
    ${alert}
    <form method="post" action="/login/${escapeHtml(uid)}">
      <label>Code <input name="otp" inputmode="numeric" autocomplete="one-time-code" autofocus required></label>
      <button type="submit">Verify</button>
      <button type="submit" name="deny" value="1" formnovalidate class="secondary">Cancel</button>
    </form>
    <p class="muted small">Local Okta &middot; ${escapeHtml(issuer)}</p>`,
  );
}

/**
 * The end of a sign-out with front-channel logout: one hidden `<iframe src>` per app, then
 * on to `next` once they have loaded (or after two seconds), with a link for no script.
 */
export function frontChannelLogoutPage(frameUrls: string[], next: string): string {
  const frames = frameUrls.map((url) => `<iframe src="${escapeHtml(url)}" hidden></iframe>`).join('\n    ');
  return page(
    'Signing out',
    `<h1>Signing out</h1>
    ${frames}
    <p><a id="continue" href="${escapeHtml(next)}">Continue</a></p>
    <script>
      // The window's load event waits for every frame's.
      var go = function () { location.replace(document.getElementById('continue').href); };
      addEventListener('load', go);
      setTimeout(go, 2000);
    </script>`,
  );
}

/** An OAuth error (`error`, `error_description`) as a page. */
export function errorPage(out: ErrorOut): string {
  const description = out.error_description ? `<p>${escapeHtml(out.error_description)}</p>` : '';
  return page('Error', `<h1>Error</h1><p><code>${escapeHtml(out.error)}</code></p>${description}`);
}

/** A whole page around `content` (trusted HTML); the title is escaped. */
export function page(title: string, content: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)}</title>
  <style>
    body { font-family: system-ui, sans-serif; background: #f4f5f7; color: #1d1d21; margin: 0; }
    main { max-width: 22rem; margin: 4rem auto; background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; }
    h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
    label { display: block; margin: 1rem 0 0; font-size: .9rem; }
    input { display: block; width: 100%; box-sizing: border-box; margin-top: .3rem; padding: .55rem; font-size: 1rem; border: 1px solid #8c8c96; border-radius: 4px; }
    button { display: block; width: 100%; margin-top: 1rem; padding: .6rem; font-size: 1rem; border: 0; border-radius: 4px; background: #1662dd; color: #fff; cursor: pointer; }
    button.secondary { background: none; color: #1662dd; margin-top: .5rem; }
    .error { color: #b3261e; background: #fdecea; padding: .5rem .75rem; border-radius: 4px; }
    .muted { color: #6e6e78; margin-top: 0; }
    .small { font-size: .8rem; margin-top: 1.5rem; word-break: break-all; }
  </style>
</head>
<body><main>${content}</main></body>
</html>`;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

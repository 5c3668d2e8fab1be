/**
 * HTML pages of the example app. Plain template strings with a little inline CSS: no
 * framework. Every dynamic value goes through `escapeHtml`, and no page ever shows a token.
 */
import type { ExampleUser } from './app.js';

const APP_NAME = 'Okta sign-in example';

/** Escapes text for use in HTML content and in double- or single-quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** The home page: a sign-in button, or who is signed in. */
export function homePage(user: ExampleUser | undefined): string {
  const body = user
    ? `<h1>Welcome back</h1>
      <p>You are signed in as <strong>${escapeHtml(user.displayName)}</strong>.</p>
      <div class="actions">
        <a class="button" href="/profile">View profile</a>
        <a class="button secondary" href="/reports">Reports</a>
        <a class="button secondary" href="/admin">Admin</a>
        ${signOutButton('secondary')}
      </div>`
    : `<h1>Welcome</h1>
      <p>This app signs you in with Okta over OpenID Connect: authorization code flow with
      PKCE, <code>state</code> and <code>nonce</code>, and a verified ID token.</p>
      <div class="actions"><a class="button" href="/login">Sign in</a></div>`;
  return layout('Home', body, user);
}

/**
 * The home page of the two-tenant mode (example/tenants-app.ts): a Sign in button per Okta
 * org, or who is signed in and with which org.
 */
export function tenantsHomePage(orgs: readonly string[], user: ExampleUser | undefined): string {
  const body = user
    ? `<h1>Welcome back</h1>
      <p>You are signed in as <strong>${escapeHtml(user.displayName)}</strong> with the Okta org
      <code>${escapeHtml(user.claims.iss)}</code>.</p>
      <div class="actions"><a class="button" href="/profile">View profile</a> ${signOutButton('secondary')}</div>`
    : `<h1>Welcome</h1>
      <p>This app signs in the users of several Okta orgs (tenants), each with its own sign-in and callback.</p>
      <div class="actions">${orgs
        .map((org) => `<a class="button" href="/t/${encodeURIComponent(org)}/login">Sign in with ${escapeHtml(org)}</a>`)
        .join(' ')}</div>`;
  return layout('Home', body, user);
}

/** The signed-in user's profile and ID token claims. */
export function profilePage(user: ExampleUser): string {
  const email = user.emails[0];
  const emailText = email ? `${escapeHtml(email.value)} ${verifiedBadge(email.verified)}` : '<span class="muted">none</span>';
  const groups = user.groups.length
    ? user.groups.map((group) => `<span class="badge">${escapeHtml(group)}</span>`).join(' ')
    : '<span class="muted">none</span>';
  const expiresAt = user.tokens.accessTokenExpiresAt;
  const body = `<h1>${escapeHtml(user.displayName)}</h1>
    <dl class="facts">
      <dt>Email</dt><dd>${emailText}</dd>
      <dt>Username</dt><dd>${user.username ? escapeHtml(user.username) : '<span class="muted">none</span>'}</dd>
      <dt>Okta user id</dt><dd><code>${escapeHtml(user.id)}</code></dd>
      <dt>Groups</dt><dd class="groups">${groups}</dd>
      <dt>Access token expires</dt><dd><time datetime="${escapeHtml(expiresAt)}">${escapeHtml(formatDate(expiresAt))}</time></dd>
    </dl>
    <h2>ID token claims</h2>
    <p class="muted small">Verified claims of the ID token, completed from <code>/v1/userinfo</code>.
    The tokens themselves stay on the server.</p>
    <table class="claims">
      <thead><tr><th scope="col">Claim</th><th scope="col">Value</th></tr></thead>
      <tbody>
${Object.entries(user.claims)
  .map(
    ([name, value]) =>
      `        <tr><th scope="row"><code>${escapeHtml(name)}</code></th><td>${claimValue(name, value)}</td></tr>`,
  )
  .join('\n')}
      </tbody>
    </table>
    <div class="actions">${signOutButton('primary')}</div>`;
  return layout('Profile', body, user);
}

/** A page for any signed-in user (behind `requireSignIn()`). */
export function reportsPage(user: ExampleUser): string {
  const rows = [
    ['Q3 revenue', '$1.2M'],
    ['Q3 orders', '4,210'],
  ]
    .map(([name, value]) => `<tr><th scope="row">${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`)
    .join('');
  const body = `<h1>Reports</h1>
    <p>Any signed-in user sees this page; an anonymous visit signs in first and comes back here.</p>
    <table class="claims"><tbody>${rows}</tbody></table>`;
  return layout('Reports', body, user);
}

/**
 * The admin page (behind `requireGroups('Admins')` and a step-up to two factors): shows the
 * class (`acr`) and time (`auth_time`) of the authentication that let the user in.
 */
export function adminPage(user: ExampleUser): string {
  const acr = user.claims.acr;
  const authTime = user.claims.auth_time;
  const body = `<h1>Admin</h1>
    <p>Only members of <span class="badge">Admins</span> who signed in with two factors in the last 15 minutes see this page.</p>
    <dl class="facts">
      <dt>Authentication class</dt><dd><code class="acr">${escapeHtml(typeof acr === 'string' ? acr : 'none')}</code></dd>
      <dt>Authenticated at</dt><dd>${typeof authTime === 'number' ? claimValue('auth_time', authTime) : '<span class="muted">unknown</span>'}</dd>
    </dl>`;
  return layout('Admin', body, user);
}

/** Why the sign-in failed (Passport's failure message), with a way to try again. */
export function loginFailedPage(message: string | undefined): string {
  const body = `<h1>Sign-in failed</h1>
    <p class="alert" role="alert">${escapeHtml(message ?? 'The sign-in did not complete.')}</p>
    <div class="actions"><a class="button" href="/login">Try again</a> <a class="button secondary" href="/">Home</a></div>`;
  return layout('Sign-in failed', body, undefined);
}

/** A friendly error page: the error's name and code, never its stack or message details. */
export function errorPage(error: { name: string; code: string | undefined }): string {
  const code = error.code ? ` <code>${escapeHtml(error.code)}</code>` : '';
  const body = `<h1>Something went wrong</h1>
    <p class="alert" role="alert"><strong>${escapeHtml(error.name)}</strong>${code}</p>
    <p>The sign-in could not be completed. The details are in the server's log.</p>
    <div class="actions"><a class="button" href="/">Home</a></div>`;
  return layout('Error', body, undefined);
}

export function notFoundPage(): string {
  return layout(
    'Not found',
    '<h1>Not found</h1><p>There is no page here.</p><div class="actions"><a class="button" href="/">Home</a></div>',
    undefined,
  );
}

function layout(title: string, content: string, user: ExampleUser | undefined): string {
  const nav = user
    ? `<nav><span class="muted">${escapeHtml(user.displayName)}</span> <a href="/profile">Profile</a> ${signOutButton('link')}</nav>`
    : '<nav><a href="/login">Sign in</a></nav>';
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(title)} · ${APP_NAME}</title>
  <style>
    * { box-sizing: border-box; }
    body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; background: #f3f4f7; color: #1d1d21; line-height: 1.5; }
    header { display: flex; align-items: center; justify-content: space-between; gap: 1rem; padding: .75rem 1.5rem; background: #fff; border-bottom: 1px solid #e2e3e8; }
    header .brand { font-weight: 600; color: #1d1d21; text-decoration: none; }
    nav { display: flex; align-items: center; gap: .75rem; font-size: .95rem; }
    nav form { margin: 0; }
    main { max-width: 44rem; margin: 3rem auto; padding: 0 1rem; }
    .card { background: #fff; border-radius: 10px; box-shadow: 0 1px 4px #0002; padding: 2rem; }
    h1 { font-size: 1.5rem; margin: 0 0 1rem; }
    h2 { font-size: 1.1rem; margin: 2rem 0 .25rem; }
    a { color: #1662dd; }
    code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .9em; }
    .muted { color: #6e6e78; }
    .small { font-size: .85rem; }
    .actions { display: flex; gap: .75rem; margin-top: 1.5rem; flex-wrap: wrap; }
    .button, button { display: inline-block; padding: .55rem 1.1rem; font: inherit; font-size: .95rem; border-radius: 6px; border: 1px solid #1662dd; background: #1662dd; color: #fff; text-decoration: none; cursor: pointer; }
    .button.secondary, button.secondary { background: #fff; color: #1662dd; }
    button.link { padding: 0; border: 0; background: none; color: #1662dd; text-decoration: underline; }
    .alert { color: #8c1d18; background: #fdecea; padding: .6rem .9rem; border-radius: 6px; }
    .facts { display: grid; grid-template-columns: max-content 1fr; gap: .4rem 1.25rem; margin: 0; }
    .facts dt { color: #6e6e78; }
    .facts dd { margin: 0; }
    .badge { display: inline-block; padding: .1rem .55rem; margin: 0 .2rem .2rem 0; border-radius: 999px; background: #e8effc; color: #0f4aa8; font-size: .85rem; }
    .badge.ok { background: #e6f4ea; color: #1e6b34; }
    .badge.warn { background: #fff4e5; color: #8a5300; }
    table.claims { width: 100%; border-collapse: collapse; margin-top: .75rem; font-size: .9rem; }
    .claims th, .claims td { text-align: left; vertical-align: top; padding: .4rem .5rem; border-bottom: 1px solid #ececf1; word-break: break-word; }
    .claims thead th { color: #6e6e78; font-weight: 500; }
  </style>
</head>
<body>
  <header><a class="brand" href="/">${APP_NAME}</a>${nav}</header>
  <main><div class="card">
    ${content}
  </div></main>
</body>
</html>
`;
}

function signOutButton(style: 'primary' | 'secondary' | 'link'): string {
  const cls = style === 'primary' ? '' : ` class="${style}"`;
  return `<form method="post" action="/logout"><button type="submit"${cls}>Sign out</button></form>`;
}

function verifiedBadge(verified: boolean | undefined): string {
  if (verified === true) return '<span class="badge ok">verified</span>';
  if (verified === false) return '<span class="badge warn">not verified</span>';
  return '';
}

/** Claims holding seconds since the epoch, shown with a readable date. */
const TIME_CLAIMS = new Set(['exp', 'iat', 'nbf', 'auth_time', 'updated_at']);

function claimValue(name: string, value: unknown): string {
  if (TIME_CLAIMS.has(name) && typeof value === 'number') {
    return `${value} <span class="muted">(${escapeHtml(formatDate(new Date(value * 1000).toISOString()))})</span>`;
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return escapeHtml(text);
}

function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toUTCString();
}

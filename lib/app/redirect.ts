/**
 * Returns `value` if it is a same-origin path that is safe to redirect to after sign-in,
 * else `fallback`. Refuses absolute URLs (`https://evil.example`), protocol-relative ones
 * (`//evil.example`), backslash tricks browsers read as `//` (`/\evil.example`), and
 * control characters.
 *
 * @example
 * ```ts
 * app.get('/auth/okta/callback', passport.authenticate('okta', { failureRedirect: '/login-failed' }), (req, res) => {
 *   res.redirect(safeRedirectPath((req.authInfo as OktaSuccessInfo).state, '/'))
 * })
 * ```
 */
export function safeRedirectPath(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048) return fallback;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return fallback;
  // eslint-disable-next-line no-control-regex -- control characters are what this refuses
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return fallback;
  // Resolve as a browser would and make sure it stays on the same origin.
  const base = 'http://same-origin.invalid';
  let resolved: URL;
  try {
    resolved = new URL(value, base);
  } catch {
    return fallback;
  }
  if (resolved.origin !== base) return fallback;
  // Dot segments can collapse to a protocol-relative path: `/.//evil.example` -> `//evil.example`.
  if (resolved.pathname.startsWith('//')) return fallback;
  return resolved.pathname + resolved.search + resolved.hash;
}

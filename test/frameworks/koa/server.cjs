// Koa 3 + koa-passport + koa-session, pending sign-ins in CookieStateStore.
// Guards of oktaSession applied through Koa: each guard's check() decides, Koa answers.
// Sign-out through oktaLogout's handle(), its answer sent through Koa's context.
const Koa = require('koa');
const Router = require('@koa/router');
const { createSession } = require('koa-session');
const passport = require('koa-passport');
const { CookieStateStore, OktaStrategy, oktaLogout, oktaSession } = require('passport-okta-oidc');

const env = process.env;
const baseURL = `http://127.0.0.1:${env.PORT}`;
const app = new Koa();
app.keys = [env.SESSION_SECRET];

const strategy = new OktaStrategy(
  {
    oktaDomain: env.OKTA_DOMAIN,
    authServerId: 'default',
    clientID: env.OKTA_CLIENT_ID,
    clientSecret: env.OKTA_CLIENT_SECRET,
    callbackURL: `${baseURL}/callback`,
    store: new CookieStateStore({ secret: env.STATE_SECRET }),
  },
  async (tokens, profile) => ({ id: profile.id, idToken: tokens.idToken, refreshToken: tokens.refreshToken }),
);
passport.use(strategy);
passport.serializeUser((user, done) => done(null, user));
passport.deserializeUser((user, done) => done(null, user));

/** The request oktaSession and oktaLogout read, from Koa's context (getters: logIn may replace the session). */
const oktaRequest = (ctx) => ({
  method: ctx.method,
  url: ctx.url,
  headers: ctx.headers,
  protocol: ctx.protocol,
  get session() {
    return ctx.session;
  },
  get user() {
    return ctx.state.user;
  },
  logout: () => ctx.logout(),
});
/** Sends an answer of oktaSession or oktaLogout through Koa, adding its cookies to those already set. */
const send = (ctx, answer) => {
  const { 'Set-Cookie': cookies = [], ...headers } = answer.headers;
  ctx.status = answer.status;
  ctx.set(headers);
  for (const cookie of cookies) ctx.append('Set-Cookie', cookie);
  ctx.body = answer.body ?? '';
};

const okta = oktaSession(passport, strategy, { defaultReturnTo: '/me' });
/** A guard of oktaSession as Koa middleware: through, refused (401/403), or off to sign in and back. */
const guard = (oktaGuard) => async (ctx, next) => {
  const req = oktaRequest(ctx);
  const decision = oktaGuard.check(req);
  if (decision.kind === 'pass') return next();
  if (decision.kind === 'refuse') return send(ctx, okta.answer(req, decision.refusal));
  await passport.authenticate('okta', decision.options)(ctx, next);
  // After passport (Koa answers once the middleware is done): CookieStateStore sets its cookies
  // through koa-passport's response, whose setHeader replaces Set-Cookie as a whole.
  for (const cookie of decision.cookies) ctx.append('Set-Cookie', cookie);
};
/** The callback: passport's custom callback, settled by oktaSession, the user logged in by koa-passport. */
const callback = (ctx, next) =>
  passport.authenticate('okta', async (err, user, info, status) => {
    const req = oktaRequest(ctx);
    const outcome = okta.settle(req, err, user, info, status);
    if (outcome.kind === 'error') throw outcome.error;
    if (outcome.kind === 'answer') return send(ctx, outcome.answer);
    await ctx.login(outcome.user, { keepSessionInfo: true });
    send(ctx, outcome.finish(req));
  })(ctx, next);

const logout = oktaLogout(strategy, {
  getTokens: (req) => req.user && { idToken: req.user.idToken, refreshToken: req.user.refreshToken },
  postLogoutRedirectURI: '/signed-out',
  redirectTo: '/me',
});

const router = new Router();
router.get('/login', passport.authenticate('okta'));
router.get('/callback', callback);
router.get('/me', (ctx) => {
  ctx.body = { user: ctx.state.user ? ctx.state.user.id : null };
});
router.get('/reports', guard(okta.requireSignIn()), (ctx) => {
  ctx.body = { page: 'reports', user: ctx.state.user.id };
});
router.get('/staff', guard(okta.requireGroups('Staff')), (ctx) => {
  ctx.body = { page: 'staff', user: ctx.state.user.id };
});
router.post('/logout', async (ctx) => send(ctx, await logout.handle(oktaRequest(ctx))));
router.get('/signed-out', (ctx) => send(ctx, logout.handleCallback(oktaRequest(ctx))));

app.use(createSession({ sameSite: 'lax' }, app));
app.use(passport.initialize());
app.use(passport.session());
app.use(router.routes());
app.listen(Number(env.PORT), '127.0.0.1', () => console.log('listening'));

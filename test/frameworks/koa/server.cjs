// Koa 3 + koa-passport + koa-session, pending sign-ins in CookieStateStore.
// Sign-out through oktaLogout's handle(), its answer sent through Koa's context.
const Koa = require('koa');
const Router = require('@koa/router');
const { createSession } = require('koa-session');
const passport = require('koa-passport');
const { CookieStateStore, OktaStrategy, oktaLogout } = require('passport-okta-oidc');

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

/** What oktaLogout's handle() reads, from Koa's context. */
const oktaRequest = (ctx) => ({
  method: ctx.method,
  url: ctx.url,
  headers: ctx.headers,
  protocol: ctx.protocol,
  session: ctx.session,
  user: ctx.state.user,
  logout: () => ctx.logout(),
});
const send = (ctx, answer) => {
  ctx.status = answer.status;
  ctx.set(answer.headers);
  ctx.body = answer.body ?? '';
};
const logout = oktaLogout(strategy, {
  getTokens: (req) => req.user && { idToken: req.user.idToken, refreshToken: req.user.refreshToken },
  postLogoutRedirectURI: '/signed-out',
  redirectTo: '/me',
});

const router = new Router();
router.get('/login', passport.authenticate('okta'));
router.get('/callback', passport.authenticate('okta', { successRedirect: '/me', failureRedirect: '/failed' }));
router.get('/me', (ctx) => {
  ctx.body = { user: ctx.state.user ? ctx.state.user.id : null };
});
router.post('/logout', async (ctx) => send(ctx, await logout.handle(oktaRequest(ctx))));
router.get('/signed-out', (ctx) => send(ctx, logout.handleCallback(oktaRequest(ctx))));

app.use(createSession({ sameSite: 'lax' }, app));
app.use(passport.initialize());
app.use(passport.session());
app.use(router.routes());
app.listen(Number(env.PORT), '127.0.0.1', () => console.log('listening'));

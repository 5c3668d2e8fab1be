// Fastify 5 + @fastify/passport, with @fastify/session (SESSION=server) or
// @fastify/secure-session (SESSION=secure). Sign-out through oktaLogout's handle() and the reply.
// STORE=cookie keeps pending sign-ins in a CookieStateStore (no hook needed); LINK_REPLY=1
// also adds the hook that links the reply as request.res, which the store then writes through.
const { Buffer } = require('node:buffer');
const Fastify = require('fastify');
const { Authenticator } = require('@fastify/passport');
const { CookieStateStore, OktaStrategy, oktaLogout } = require('passport-okta-oidc');

const env = process.env;
const baseURL = `http://127.0.0.1:${env.PORT}`;
const app = Fastify();
const passport = new Authenticator();

app.register(require('@fastify/formbody'));
if (env.SESSION === 'secure') {
  app.register(require('@fastify/secure-session'), {
    key: Buffer.alloc(32, env.SESSION_SECRET),
    cookie: { path: '/', httpOnly: true, sameSite: 'lax' },
  });
} else {
  app.register(require('@fastify/cookie'));
  app.register(require('@fastify/session'), { secret: env.SESSION_SECRET, cookie: { secure: false, sameSite: 'lax' } });
}
if (env.LINK_REPLY === '1') {
  app.addHook('onRequest', async (request, reply) => {
    request.res = reply;
  });
}
app.register(passport.initialize());
app.register(passport.secureSession());

const strategy = new OktaStrategy(
  {
    oktaDomain: env.OKTA_DOMAIN,
    authServerId: 'default',
    clientID: env.OKTA_CLIENT_ID,
    clientSecret: env.OKTA_CLIENT_SECRET,
    callbackURL: `${baseURL}/callback`,
    store: env.STORE === 'cookie' ? new CookieStateStore({ secret: env.STATE_SECRET }) : undefined,
  },
  async (tokens, profile) => ({ id: profile.id, idToken: tokens.idToken, refreshToken: tokens.refreshToken }),
);
passport.use('okta', strategy);
passport.registerUserSerializer(async (user) => user);
passport.registerUserDeserializer(async (user) => user);

const logout = oktaLogout(strategy, {
  getTokens: (request) => request.user && { idToken: request.user.idToken, refreshToken: request.user.refreshToken },
  postLogoutRedirectURI: '/signed-out',
  redirectTo: '/me',
});
const send = (reply, answer) => reply.code(answer.status).headers(answer.headers).send(answer.body);

app.get('/login', { preValidation: passport.authenticate('okta') }, async () => 'unreachable');
app.get('/callback', { preValidation: passport.authenticate('okta', { successRedirect: '/me' }) }, async () => 'unreachable');
app.get('/me', async (request) => ({ user: request.user ? request.user.id : null }));
app.post('/logout', async (request, reply) => send(reply, await logout.handle(request)));
app.get('/signed-out', async (request, reply) => send(reply, logout.handleCallback(request)));

app.listen({ port: Number(env.PORT), host: '127.0.0.1' }).then(
  () => console.log('listening'),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

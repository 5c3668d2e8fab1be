// Fastify 5 + @fastify/passport, with @fastify/session (SESSION=server) or
// @fastify/secure-session (SESSION=secure). Guards of oktaSession applied in preHandler hooks (each
// guard's check() decides, the reply answers); sign-out through oktaLogout's handle() and the reply.
// STORE=cookie keeps pending sign-ins in a CookieStateStore (no hook needed); LINK_REPLY=1
// also adds the hook that links the reply as request.res, which the store then writes through.
const { Buffer } = require('node:buffer');
const Fastify = require('fastify');
const { Authenticator } = require('@fastify/passport');
const { CookieStateStore, OktaStrategy, oktaLogout, oktaSession } = require('passport-okta-oidc');

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
// Cookies go where CookieStateStore writes its own (Node's response, or the reply once linked as
// request.res): a Set-Cookie header set on the reply replaces those set on Node's response.
const setCookies = (request, reply, cookies) => {
  for (const cookie of cookies) {
    if (request.res === reply) reply.header('set-cookie', cookie);
    else reply.raw.appendHeader('set-cookie', cookie);
  }
};
const send = (request, reply, answer) => {
  const { 'Set-Cookie': cookies = [], ...headers } = answer.headers;
  setCookies(request, reply, cookies);
  return reply.code(answer.status).headers(headers).send(answer.body);
};

const okta = oktaSession(passport, strategy, { defaultReturnTo: '/me' });
/** A guard of oktaSession as a preHandler hook: through, refused (401/403), or off to sign in and back. */
const guard = (oktaGuard) => async (request, reply) => {
  const decision = oktaGuard.check(request);
  if (decision.kind === 'refuse') return send(request, reply, okta.answer(request, decision.refusal));
  if (decision.kind === 'sign-in') {
    setCookies(request, reply, decision.cookies);
    await passport.authenticate('okta', decision.options)(request, reply);
    return reply;
  }
};
/** The callback: passport's custom callback, settled by oktaSession, the user logged in by @fastify/passport. */
const callback = passport.authenticate('okta', async (request, reply, err, user, info, status) => {
  const outcome = okta.settle(request, err, user, info, status);
  if (outcome.kind === 'error') throw outcome.error;
  if (outcome.kind === 'answer') return send(request, reply, outcome.answer);
  await request.logIn(outcome.user, { keepSessionInfo: true });
  return send(request, reply, outcome.finish(request));
});

app.get('/login', { preValidation: passport.authenticate('okta') }, async () => 'unreachable');
app.get('/callback', { preValidation: callback }, async () => 'unreachable');
app.get('/me', async (request) => ({ user: request.user ? request.user.id : null }));
const signedIn = guard(okta.requireSignIn());
const staff = guard(okta.requireGroups('Staff'));
app.get('/reports', { preHandler: signedIn }, async (request) => ({ page: 'reports', user: request.user.id }));
app.get('/staff', { preHandler: staff }, async (request) => ({ page: 'staff', user: request.user.id }));
app.post('/logout', async (request, reply) => send(request, reply, await logout.handle(request)));
app.get('/signed-out', async (request, reply) => send(request, reply, logout.handleCallback(request)));

app.listen({ port: Number(env.PORT), host: '127.0.0.1' }).then(
  () => console.log('listening'),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

// Express 4 + express-session + passport 0.5 (whose req.logout() is synchronous); oktaSession's
// callback and guards are Express middleware.
const express = require('express');
const session = require('express-session');
const passport = require('passport');
const { OktaStrategy, oktaLogout, oktaSession } = require('passport-okta-oidc');

const env = process.env;
const baseURL = `http://127.0.0.1:${env.PORT}`;
const app = express();

const strategy = new OktaStrategy(
  {
    oktaDomain: env.OKTA_DOMAIN,
    authServerId: 'default',
    clientID: env.OKTA_CLIENT_ID,
    clientSecret: env.OKTA_CLIENT_SECRET,
    callbackURL: `${baseURL}/callback`,
  },
  async (tokens, profile) => ({ id: profile.id, idToken: tokens.idToken, refreshToken: tokens.refreshToken }),
);
passport.use(strategy);
passport.serializeUser((user, done) => done(null, user));
passport.deserializeUser((user, done) => done(null, user));

app.use(session({ secret: env.SESSION_SECRET, resave: false, saveUninitialized: false, cookie: { sameSite: 'lax' } }));
app.use(passport.initialize());
app.use(passport.session());
// The callback returns to the page a guard sent to sign in (else /me) and keeps the sign-in's record.
const okta = oktaSession(passport, strategy, { defaultReturnTo: '/me' });
app.get('/login', okta.signIn());
app.get('/callback', okta.callback);
app.get('/me', (req, res) => res.json({ user: req.user ? req.user.id : null }));
app.get('/reports', okta.requireSignIn(), (req, res) => res.json({ page: 'reports', user: req.user.id }));
app.get('/staff', okta.requireGroups('Staff'), (req, res) => res.json({ page: 'staff', user: req.user.id }));
const logout = oktaLogout(strategy, {
  getTokens: (req) => req.user && { idToken: req.user.idToken, refreshToken: req.user.refreshToken },
  postLogoutRedirectURI: '/signed-out',
  redirectTo: '/me',
});
app.post('/logout', logout);
app.get('/signed-out', logout.callback);
app.listen(Number(env.PORT), '127.0.0.1', () => console.log('listening'));

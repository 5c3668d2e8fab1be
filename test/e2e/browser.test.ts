import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Passport } from 'passport';
import type { Browser } from 'playwright-core';
import ts from 'typescript';
import { createApp } from '../../example/app.js';
import { startLocalOkta, type LocalOkta } from '../../example/local-okta/index.js';
import * as oktaOidc from '../../lib/index.js';
import { launchChromium } from '../support/chromium.js';
import { listen, type Listening } from '../support/server.js';
import { snippetsOf } from '../support/snippets.js';

const SCREENSHOTS = join(__dirname, '..', '..', 'test-output', 'screenshots');

/**
 * Real Chromium, real cookies: the provider is served on `localhost` and the app on
 * `127.0.0.1`, so they are different sites and the form_post callback is a genuine
 * cross-site POST, subject to the browser's SameSite rules.
 */
describe('sign-in in a real browser (Chromium)', function () {
  this.timeout(60_000);
  let browser: Browser | undefined;

  before(async function () {
    browser = await launchChromium(this);
    mkdirSync(SCREENSHOTS, { recursive: true });
  });
  after(async () => {
    await browser?.close();
  });

  describe('docs/advanced.md\'s logout recipe, as written (Clear-Site-Data: "cookies" in onSignedOut)', () => {
    let okta: LocalOkta;
    let app: Listening;

    /** The recipe's block of docs/advanced.md, compiled to run on `app` and `strategy`. */
    function logoutRecipe(): (app: express.Express, strategy: oktaOidc.OktaStrategy) => void {
      const root = join(__dirname, '..', '..');
      const markdown = readFileSync(join(root, 'docs', 'advanced.md'), 'utf8');
      const line = markdown.slice(0, markdown.indexOf('## Logout')).split('\n').length;
      const block = markdown.split('\n').findIndex((text, i) => i >= line && text.startsWith('```ts'));
      // The block continues the module before it: only its own lines, from the one after its fence.
      const first = `docs/advanced.md:${block + 2}`;
      const snippet = snippetsOf(root, join(root, 'docs', 'advanced.md')).find((s) => s.lines.includes(first))!;
      const code = snippet.code.split('\n').slice(snippet.lines.indexOf(first)).join('\n');
      expect(code).to.include("onSignedOut: (_req, res) => void res?.setHeader('Clear-Site-Data', '\"cookies\"')");
      const js = ts.transpileModule(code, {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
      });
      const run = new Function('require', 'exports', 'app', 'strategy', js.outputText) as (...args: unknown[]) => void;
      const load = (name: string) => {
        if (name !== 'passport-okta-oidc') throw new Error(`the recipe requires ${name}`);
        return oktaOidc;
      };
      return (target, strategy) => run(load, {}, target, strategy);
    }

    before(async () => {
      let handler: Parameters<typeof listen>[0] = (_req, res) => res.end();
      app = await listen((req, res) => handler(req, res));
      okta = await startLocalOkta({
        host: 'localhost',
        clients: [
          {
            clientId: 'recipe-app',
            clientSecret: 'recipe-secret',
            redirectUris: [`${app.origin}/auth/okta/callback`],
            postLogoutRedirectUris: [`${app.origin}/signed-out`],
          },
        ],
      });
      const passport = new Passport();
      const strategy = new oktaOidc.OktaStrategy(
        {
          oktaDomain: okta.origin,
          authServerId: 'default',
          clientID: 'recipe-app',
          clientSecret: 'recipe-secret',
          callbackURL: `${app.origin}/auth/okta/callback`,
          scope: ['openid', 'profile', 'offline_access'],
        },
        async (tokens, profile) => ({ id: profile.id, tokens }),
      );
      passport.use(strategy);
      passport.serializeUser((user, done) => done(null, user));
      passport.deserializeUser((user: Express.User, done) => done(null, user));
      const recipeApp = express();
      recipeApp.use(session({ secret: 'recipe-session-secret', resave: false, saveUninitialized: false }));
      recipeApp.use(passport.initialize());
      recipeApp.use(passport.session());
      recipeApp.get('/', (req, res) => {
        res.send(
          req.user
            ? '<p>Signed in</p><form method="post" action="/logout"><button>Sign out</button></form>'
            : '<a href="/login">Sign in</a>',
        );
      });
      recipeApp.get('/login', passport.authenticate('okta'));
      recipeApp.get(
        '/auth/okta/callback',
        passport.authenticate('okta', { failureRedirect: '/failed', keepSessionInfo: true }),
        (_req, res) => res.redirect('/'),
      );
      logoutRecipe()(recipeApp, strategy);
      handler = recipeApp;
    });
    after(async () => {
      await app?.close();
      await okta?.close();
    });

    it('signs out at Okta and back, and the cookies are cleared once the state checked out (not a 403)', async () => {
      const context = await browser!.newContext();
      const page = await context.newPage();
      try {
        await page.goto(`${app.origin}/login`);
        await page.waitForURL(new RegExp(`^${okta.origin}/login/`));
        await page.locator('input[name="username"]').fill('alice@example.com');
        await page.locator('input[name="password"]').fill('alice-password');
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.waitForURL(`${app.origin}/`);
        expect(await page.locator('body').innerText()).to.contain('Signed in');
        expect((await context.cookies(app.origin)).map((cookie) => cookie.name)).to.include('connect.sid');

        const returnLeg = page.waitForResponse((response) => response.url().startsWith(`${app.origin}/signed-out?`));
        await page.getByRole('button', { name: 'Sign out' }).click();
        const back = await returnLeg;
        expect(back.status(), await back.text().catch(() => '')).to.equal(302);
        expect((await back.allHeaders())['clear-site-data']).to.equal('"cookies"');
        await page.waitForURL(`${app.origin}/`);
        expect(await page.getByRole('link', { name: 'Sign in' }).count()).to.equal(1);
        expect(await context.cookies(app.origin), 'Clear-Site-Data cleared the cookies').to.deep.equal([]);
      } finally {
        await context.close();
      }
    });
  });

  for (const responseMode of ['query', 'form_post'] as const) {
    describe(`with response_mode=${responseMode} (${responseMode === 'form_post' ? 'CookieStateStore' : 'session store'})`, () => {
      let okta: LocalOkta;
      let app: Listening;

      before(async () => {
        let handler: Parameters<typeof listen>[0] = (_req, res) => res.end();
        app = await listen((req, res) => handler(req, res));
        okta = await startLocalOkta({
          host: 'localhost',
          clients: [
            {
              clientId: 'example-app',
              clientSecret: 'example-secret-0123456789',
              redirectUris: [`${app.origin}/auth/okta/callback`],
              postLogoutRedirectUris: [`${app.origin}/signed-out`],
            },
          ],
        });
        const example = createApp({
          oktaDomain: okta.origin,
          authServerId: 'default',
          clientID: 'example-app',
          clientSecret: 'example-secret-0123456789',
          baseURL: app.origin,
          responseMode,
          sessionSecret: 'browser-test-session-secret',
        });
        handler = example.app;
      });
      after(async () => {
        await app?.close();
        await okta?.close();
      });

      it('signs alice in, shows her name and groups on /profile, and signs her out', async () => {
        const context = await browser!.newContext();
        const page = await context.newPage();
        try {
          await page.goto(`${app.origin}/`);
          await page.getByRole('link', { name: 'Sign in' }).first().click();
          await page.waitForURL(new RegExp(`^${okta.origin}/login/`));
          await page.locator('input[name="username"]').fill('alice@example.com');
          await page.locator('input[name="password"]').fill('alice-password');
          await page.getByRole('button', { name: 'Sign in' }).click();
          await page.waitForURL(`${app.origin}/profile`);
          const text = await page.locator('body').innerText();
          expect(text).to.contain('Alice Anderson');
          expect(text).to.contain('alice@example.com');
          expect(text).to.contain('Admins');
          await page.screenshot({ path: join(SCREENSHOTS, `profile-${responseMode}.png`), fullPage: true });

          await page.getByRole('button', { name: 'Sign out' }).first().click();
          // Okta's logout returns to the post-logout URI with the logout state.
          await page.waitForURL((url) => url.origin === app.origin && url.pathname === '/');
          const me = await page.request.get(`${app.origin}/me.json`);
          expect(me.status()).to.equal(401);
          expect(await page.getByRole('link', { name: 'Sign in' }).count()).to.be.greaterThan(0);
        } finally {
          await context.close();
        }
      });
    });
  }
});

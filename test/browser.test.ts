import { expect } from 'chai';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createApp } from '../example/app.js';
import { startLocalOkta, type LocalOkta } from '../example/local-okta.js';
import { listen, type Listening } from './support/server.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = join(__dirname, '..', 'test-output', 'screenshots');

/**
 * Real Chromium, real cookies: the provider is served on `localhost` and the app on
 * `127.0.0.1`, so they are different sites and the form_post callback is a genuine
 * cross-site POST, subject to the browser's SameSite rules.
 */
describe('sign-in in a real browser (Chromium)', function () {
  this.timeout(60_000);
  let browser: Browser | undefined;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI) throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium (see .ci/run)`);
      console.warn(`      skipped: ${CHROMIUM} not found (apt-get install chromium to run the browser tests)`);
      this.skip();
    }
    mkdirSync(SCREENSHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--headless',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  after(async () => {
    await browser?.close();
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

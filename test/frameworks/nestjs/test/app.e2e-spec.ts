import type { INestApplication } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import request, { type Response } from 'supertest';
import { AppModule } from './../src/app.module';
import { setUp } from './../src/setup';

// The real AppModule, listening on PORT, signs in at the local Okta-like provider whose
// address (OKTA_DOMAIN), client and demo user the mocha runner (test/frameworks/frameworks.test.ts) passes.
const env = process.env;
const siteOrigin = `http://127.0.0.1:${env.PORT}`;
/** What a browser sends when it navigates to a page (a script's request gets 401, not a redirect). */
const page = { Accept: 'text/html', 'Sec-Fetch-Mode': 'navigate' };

/** Where a redirect points, as a path on its origin (after checking the origin). */
function redirectTo(response: Response, origin: string): string {
  expect(response.status).toBeGreaterThanOrEqual(300);
  expect(response.status).toBeLessThan(400);
  const url = new URL(response.headers.location as string, origin);
  expect(url.origin).toBe(origin);
  return url.pathname + url.search;
}

describe('Sign-in with Okta (e2e)', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleFixture: TestingModule = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleFixture.createNestApplication({ logger: ['error', 'warn'] });
    setUp(app);
    await app.listen(Number(env.PORT), '127.0.0.1');
  });

  afterAll(async () => {
    await app.close();
  });

  /** Signs in at the provider's form from `start` (the app's redirect there); returns the callback path. */
  async function signIn(start: Response): Promise<string> {
    const oktaOrigin = env.OKTA_DOMAIN!;
    const okta = request.agent(oktaOrigin);
    // The provider's authorize endpoint → its sign-in form.
    const form = await okta.get(redirectTo(await okta.get(redirectTo(start, oktaOrigin)), oktaOrigin)).expect(200);
    const action = /<form method="post" action="([^"]+)"/.exec(form.text)?.[1];
    expect(action).toBeDefined();
    // The form → the provider's resume URL → the app's callback.
    const resume = await okta.post(action!).type('form').send({ username: env.OKTA_USERNAME, password: env.OKTA_PASSWORD });
    const callback = redirectTo(await okta.get(redirectTo(resume, oktaOrigin)), siteOrigin);
    expect(callback).toMatch(/^\/callback\?code=/);
    return callback;
  }

  it('signs in at the provider and shows the user on a guarded route', async () => {
    const site = request.agent(app.getHttpServer());

    // A script that is not signed in gets 401 with JSON, not a redirect.
    const anonymous = await site.get('/reports').set('Accept', 'application/json').expect(401);
    expect(anonymous.body).toMatchObject({ error: 'sign_in_required' });

    const callback = await signIn(await site.get('/login'));
    expect(redirectTo(await site.get(callback), siteOrigin)).toBe('/me');
    const reports = await site.get('/reports').set('Accept', 'application/json').expect(200);
    expect(reports.body).toEqual({ page: 'reports', user: env.OKTA_USER_SUB });
  });

  it('sends a page to sign in and back to it, and refuses a user outside the group with 403', async () => {
    const site = request.agent(app.getHttpServer());

    const callback = await signIn(await site.get('/reports').set(page));
    expect(redirectTo(await site.get(callback), siteOrigin)).toBe('/reports');
    const reports = await site.get('/reports').set(page).expect(200);
    expect(reports.body).toEqual({ page: 'reports', user: env.OKTA_USER_SUB });

    // Not in Staff: 403 at once, not another sign-in.
    await site.get('/staff').set(page).expect(403);
    const staff = await site.get('/staff').set('Accept', 'application/json').expect(403);
    expect(staff.body).toMatchObject({ error: 'missing_group' });
  });
});

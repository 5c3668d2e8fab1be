import type { INestApplication } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import request, { type Response } from 'supertest';
import { AppModule } from './../src/app.module';
import { setUp } from './../src/setup';

// The real AppModule, listening on PORT, signs in at the local Okta-like provider whose
// address (OKTA_DOMAIN), client and demo user the mocha runner (test/frameworks/frameworks.test.ts) passes.
const env = process.env;

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

  it('signs in at the provider and shows the user on a protected route', async () => {
    const site = request.agent(app.getHttpServer());
    const siteOrigin = `http://127.0.0.1:${env.PORT}`;
    const oktaOrigin = env.OKTA_DOMAIN!;
    const okta = request.agent(oktaOrigin);

    await site.get('/profile').expect(403);

    // /login → the provider's authorize endpoint → its sign-in form.
    const authorize = redirectTo(await site.get('/login'), oktaOrigin);
    const form = await okta.get(redirectTo(await okta.get(authorize), oktaOrigin)).expect(200);
    const action = /<form method="post" action="([^"]+)"/.exec(form.text)?.[1];
    expect(action).toBeDefined();

    // The form → the provider's resume URL → the app's callback.
    const resume = await okta.post(action!).type('form').send({ username: env.OKTA_USERNAME, password: env.OKTA_PASSWORD });
    const callback = redirectTo(await okta.get(redirectTo(resume, oktaOrigin)), siteOrigin);
    expect(callback).toMatch(/^\/callback\?code=/);

    expect(redirectTo(await site.get(callback), siteOrigin)).toBe('/me');
    const profile = await site.get('/profile').expect(200);
    expect(profile.body).toEqual({ id: env.OKTA_USER_SUB });
  });
});

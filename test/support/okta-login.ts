import { expect } from 'chai';
import type { DemoUser } from '../../example/local-okta/index.js';
import type { Page, ScriptedBrowser } from './browser.js';

/** The action of the local Okta's sign-in form, as an absolute URL. */
export function formAction(form: Page): string {
  const action = /<form method="post" action="([^"]+)"/.exec(form.body)?.[1];
  expect(action, `sign-in form on ${form.url}`).to.be.a('string');
  return new URL(action as string, form.url).href;
}

/** Whether a page is the local Okta's sign-in form. */
export function isOktaForm(page: Page): boolean {
  return page.status === 200 && /^\/login\/[\w-]+$/.test(new URL(page.url).pathname);
}

/**
 * Opens `start` (a page of the app that leads to Okta) and, if Okta shows its sign-in
 * form, signs in as `user`; with an Okta session Okta redirects straight back instead.
 * Returns the final page, with the history of the whole journey.
 */
export async function signIn(browser: ScriptedBrowser, start: string, user: DemoUser): Promise<Page> {
  const first = await browser.get(start);
  if (!isOktaForm(first)) return first;
  const page = await browser.post(formAction(first), { username: user.username, password: user.password });
  return { ...page, history: [...first.history, ...page.history] };
}

import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium: never a browser a tool downloads. */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Launches Debian's Chromium headless for a suite's `before` hook. Without it: under CI a
 * failure (CI installs it), elsewhere the suite is skipped, saying why.
 */
export async function launchChromium(context: Mocha.Context): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium (see .ci/run)`);
    console.warn(`      skipped: ${CHROMIUM} not found (apt-get install chromium to run the browser tests)`);
    context.skip();
  }
  return chromium.launch({
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
}

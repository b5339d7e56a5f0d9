import fs from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_DIST } from '../../src/api/dashboard.js';
import { chromiumAvailable, consoleErrors, launchChromium, screenshot, VIEWPORTS } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ready = fs.existsSync(`${DASHBOARD_DIST}/index.html`) && chromiumAvailable();

// The page itself does not depend on the database; SQLite is enough here (the pages' tests run on both).
describe.skipIf(!ready)('the dashboard in Chromium', () => {
  let t: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    t = await startTestServer('sqlite');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('loads its scripts under its own CSP and renders', async () => {
    const page = await browser.newPage({ viewport: VIEWPORTS.desktop });
    const errors = consoleErrors(page);
    await page.goto(`${t.url}/emails`);
    await expect(page.title()).resolves.toBe('Taifa Mail');
    // A string: the test's own types know no DOM.
    await page.waitForFunction("(document.getElementById('root')?.childElementCount ?? 0) > 0");
    await screenshot(page, 'smoke-desktop');
    expect(errors.filter((e) => e.includes('Content Security Policy'))).toEqual([]);
    await page.close();
  });
});

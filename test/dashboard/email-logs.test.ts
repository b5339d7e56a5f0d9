import fs from 'node:fs';
import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_DIST } from '../../src/api/dashboard.js';
import { chromiumAvailable, launchChromium, screenshot, VIEWPORTS } from '../helpers/browser.js';
import { addUser } from '../helpers/dashboard.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { eventually, settled, startTestServer, type TestServer } from '../helpers/server.js';
import { CHROME, hit, sendTracked, waitEvents } from '../tracking/tracked-email.js';

const ready = fs.existsSync(`${DASHBOARD_DIST}/index.html`) && chromiumAvailable();

const EMAIL = 'amina@example.com';
const PASSWORD = 'correct horse battery staple';
const GMAIL_PROXY = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';

/**
 * The one console error a visit may log: before logging in, the app asks GET /v1/auth/me who is signed in, and
 * Chromium reports its 401 as a failed resource. Only that request's 401 is let through; any other is a failure.
 */
function signedOutCheck(m: ConsoleMessage): boolean {
  return /status of 401/.test(m.text()) && new URL(m.location().url || 'http://x/').pathname === '/v1/auth/me';
}

/** An image of an email's HTML preview refused by the Content Security Policy: the preview doing its job. */
function blockedImage(m: ConsoleMessage): boolean {
  return m.location().url === 'about:srcdoc' && /^Loading the image '[^']*' violates .*"img-src /.test(m.text());
}

/**
 * The page's console errors and uncaught exceptions, but the signed-out check's 401 and the preview's refused
 * images (the test of the preview requires those).
 */
function consoleErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !signedOutCheck(m) && !blockedImage(m))
      errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

// The dashboard's email pages against a real server in sandbox mode, on each database: emails really sent and
// delivered, opened by a person's browser and by Gmail's image proxy through the tracking pixel.
describe.skipIf(!ready)('Email Logs and email detail in Chromium', () => {
  describe.each(testDatabases())('on %s', (kind) => {
    let t: TestServer;
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;
    let errors: string[];
    let welcome: string;
    let invoice: string;

    beforeAll(async () => {
      t = await startTestServer(kind, {
        TAIFA_SANDBOX: 'true',
        TAIFA_TRUST_PROXY: '127.0.0.1',
        TAIFA_UPDATES_SETTLE_MS: '100',
      });
      await sandboxSender(t);
      await addUser(t, EMAIL, PASSWORD, 'Amina');
      const tracked = await sendTracked(t, {
        subject: 'Welcome aboard',
        to: [{ email: 'amina.k@recipient.test' }],
        tags: ['onboarding'],
      });
      welcome = tracked.id;
      await hit(t, tracked.pixel, CHROME);
      await waitEvents(t, welcome, 1);
      await hit(t, tracked.pixel, GMAIL_PROXY);
      await waitEvents(t, welcome, 2);
      const sent = await t.call(
        'POST',
        '/v1/emails/',
        sendBody({ subject: 'Invoice 42', to: [{ email: 'bob@other.test' }], tags: ['billing'] }),
      );
      invoice = sent.body.id;
      await settled(t, invoice, 'delivered');
      browser = await launchChromium();
      context = await browser.newContext({ viewport: VIEWPORTS.desktop });
      page = await context.newPage();
      errors = consoleErrors(page);
      // Real sends, deliveries and a browser's start: minutes, not seconds, on a busy machine.
    }, 180_000);
    afterAll(async () => {
      await browser?.close();
      await t?.close();
    });

    const row = (subject: string) => page.locator('table.log tbody tr', { hasText: subject });

    it('logs in and lists the emails, newest first, with status, recipients, tags and times', async () => {
      await page.goto(`${t.url}/emails`);
      await page.getByLabel('Email').fill(EMAIL);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Email Logs' }).waitFor();
      await row('Invoice 42').waitFor();
      const subjects = await page.locator('table.log tbody tr td[data-label="Subject"] a').allTextContents();
      expect(subjects).toEqual(['Invoice 42', 'Welcome aboard']);
      await expect(row('Welcome aboard').locator('.badge').textContent()).resolves.toBe('delivered');
      await expect(row('Welcome aboard').textContent()).resolves.toContain('amina.k@recipient.test');
      await expect(row('Welcome aboard').locator('.tag').textContent()).resolves.toBe('onboarding');
      // The viewer's time, with UTC on hover.
      await expect(row('Welcome aboard').locator('time').getAttribute('title')).resolves.toMatch(/ UTC$/);
      await screenshot(page, `email-logs-desktop-${kind}`);
    });

    it('finds an email by a search token, keeps the search in the URL, and the back button undoes it', async () => {
      await page.getByLabel('Search', { exact: true }).fill('to:amina.k@recipient.test');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await row('Invoice 42').waitFor({ state: 'detached' });
      await expect(row('Welcome aboard').count()).resolves.toBe(1);
      expect(new URL(page.url()).searchParams.get('q')).toBe('to:amina.k@recipient.test');

      await page.goBack();
      await row('Invoice 42').waitFor();
      await expect(page.getByLabel('Search', { exact: true }).inputValue()).resolves.toBe('');

      // A deep link shows the same view: a tag filter here.
      await page.goto(`${t.url}/emails?tag=billing`);
      await row('Invoice 42').waitFor();
      await expect(row('Welcome aboard').count()).resolves.toBe(0);
      await expect(page.getByLabel('Tag', { exact: true }).inputValue()).resolves.toBe('billing');
    });

    it('saves a search and recalls it, also after a reload', async () => {
      // The tag filter has no place of its own in a saved search: it is kept as a tag: token.
      await page.goto(`${t.url}/emails?q=welcome&status=delivered&tag=onboarding`);
      await row('Welcome aboard').waitFor();
      await expect(row('Invoice 42').count()).resolves.toBe(0);
      await page.getByLabel('Save this search as').fill('Onboarding delivered');
      await page.getByRole('button', { name: 'Save search' }).click();
      const saved = page.locator('.saved-list').getByRole('link', { name: 'Onboarding delivered' });
      await saved.waitFor();

      await page.goto(`${t.url}/emails`);
      await row('Invoice 42').waitFor();
      await saved.click();
      await row('Invoice 42').waitFor({ state: 'detached' });
      await expect(row('Welcome aboard').count()).resolves.toBe(1);
      await expect(page.getByLabel('Search', { exact: true }).inputValue()).resolves.toBe('welcome tag:onboarding');
      await expect(page.getByLabel('Status', { exact: true }).inputValue()).resolves.toBe('delivered');
      await page.reload();
      await saved.waitFor();
    });

    it("opens an email's Events timeline: delivered, a person's open and a machine's open marked apart", async () => {
      await page.goto(`${t.url}/emails`);
      await row('Welcome aboard').click();
      await page.getByRole('heading', { name: 'Welcome aboard' }).waitFor();
      expect(new URL(page.url()).pathname).toBe(`/emails/${welcome}`);
      await expect(page.locator('.recipients-table').textContent()).resolves.toContain('amina.k@recipient.test');
      await screenshot(page, `email-detail-desktop-${kind}`);

      await page.getByRole('tab', { name: 'Events timeline' }).click();
      const events = page.locator('ol.timeline > li');
      await events.first().waitFor();
      const types = await events.locator('.event-type').allTextContents();
      expect(types).toEqual(['queued', 'sent', 'delivered', 'open', 'open']);
      const person = page.locator('li.event-open.by-person');
      const machine = page.locator('li.event-open.by-machine');
      await expect(person.count()).resolves.toBe(1);
      await expect(machine.count()).resolves.toBe(1);
      await expect(person.locator('.who-person').textContent()).resolves.toBe('Person');
      await expect(person.textContent()).resolves.toContain(CHROME);
      await expect(machine.locator('.who-machine').textContent()).resolves.toBe('Machine: gmail (ua)');
      await expect(machine.textContent()).resolves.toContain('GoogleImageProxy');
      await screenshot(page, `email-events-desktop-${kind}`);
    });

    it('shows new emails by polling, without a reload and without moving what the reader is looking at', async () => {
      // On a phone the list is taller than the screen: scrolled down to the oldest email.
      await page.setViewportSize(VIEWPORTS.phone);
      await page.goto(`${t.url}/emails`);
      await row('Invoice 42').waitFor();
      await row('Welcome aboard').scrollIntoViewIfNeeded();
      expect(await page.evaluate<number>('window.scrollY')).toBeGreaterThan(0);
      const before = (await row('Welcome aboard').boundingBox())!.y;
      const sent = await t.call('POST', '/v1/emails/', sendBody({ subject: 'Fresh arrival' }));
      expect(sent.status).toBe(202);
      await row('Fresh arrival').waitFor({ state: 'attached', timeout: 30_000 });
      // The new row went in above, and the one on screen stayed where it was.
      expect(Math.round((await row('Welcome aboard').boundingBox())!.y)).toBe(Math.round(before));
      await page.setViewportSize(VIEWPORTS.desktop);
      // And its status changes in place once it is delivered.
      await settled(t, sent.body.id, 'delivered');
      await eventually('the row to say delivered', async () =>
        (await row('Fresh arrival').locator('.badge').textContent()) === 'delivered' ? true : undefined,
      );
      const subjects = await page.locator('table.log tbody tr td[data-label="Subject"] a').allTextContents();
      expect(subjects[0]).toBe('Fresh arrival');
    });

    it('previews the HTML without loading its tracking pixel or remote images', async () => {
      const pixel = `${t.url}/v1/track/open/preview-must-not-load`;
      const remote = 'http://images.example.test/banner.png';
      const sent = await t.call(
        'POST',
        '/v1/emails/',
        sendBody({
          subject: 'Pixel inside',
          html: `<h1>Preview me</h1><img src="${pixel}" width="1" height="1" alt=""><img src="${remote}" alt="banner">`,
        }),
      );
      await settled(t, sent.body.id, 'delivered');
      const requested: string[] = [];
      page.on('request', (r) => requested.push(r.url()));
      await page.goto(`${t.url}/emails/${sent.body.id}?tab=html`);
      const frame = page.frameLocator('iframe.preview');
      await frame.getByRole('heading', { name: 'Preview me' }).waitFor();
      const handle = await page.locator('iframe.preview').elementHandle();
      const inner = await handle.contentFrame();
      await inner!.waitForLoadState('load');
      await expect(page.locator('iframe.preview').getAttribute('sandbox')).resolves.toBe('');
      expect(requested.filter((u) => u.includes('/v1/track/') || u.startsWith(remote))).toEqual([]);
      // The images are there with nothing left to load: their URLs were taken out before the frame got the HTML.
      const images = inner!.locator('img');
      await expect(images.count()).resolves.toBe(2);
      for (const img of await images.all()) await expect(img.getAttribute('src')).resolves.toBeNull();
    });

    it('fits a phone: a menu button opens the sidebar; every page photographed', async () => {
      await page.setViewportSize(VIEWPORTS.phone);
      await page.goto(`${t.url}/emails`);
      await row('Invoice 42').waitFor();
      const nav = page.getByRole('navigation', { name: 'Main' });
      await expect(nav.isVisible()).resolves.toBe(false);
      await screenshot(page, `email-logs-phone-${kind}`);
      const menu = page.getByRole('button', { name: 'Menu' });
      await menu.focus();
      await page.keyboard.press('Enter');
      await nav.waitFor({ state: 'visible' });
      await expect(page.getByRole('button', { name: 'Close menu' }).getAttribute('aria-expanded')).resolves.toBe(
        'true',
      );
      await screenshot(page, `menu-phone-${kind}`);
      await nav.getByRole('link', { name: 'Email Logs' }).click();
      await nav.waitFor({ state: 'hidden' });

      await page.goto(`${t.url}/emails/${welcome}`);
      await page.getByRole('heading', { name: 'Welcome aboard' }).waitFor();
      await screenshot(page, `email-detail-phone-${kind}`);
      await page.getByRole('tab', { name: 'Events timeline' }).click();
      await page.locator('li.event-open.by-machine').waitFor();
      await screenshot(page, `email-events-phone-${kind}`);
      await page.setViewportSize(VIEWPORTS.desktop);
    });

    it('logged no console errors along the way', () => {
      expect(errors).toEqual([]);
    });
  });
});

import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_DIST } from '../../src/api/dashboard.js';
import { chromiumAvailable, launchChromium, screenshot, VIEWPORTS } from '../helpers/browser.js';
import { addUser } from '../helpers/dashboard.js';
import { testDatabases } from '../helpers/databases.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { sendBody } from '../helpers/fixtures.js';
import { settled, startTestServer, type TestServer } from '../helpers/server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { verifiedDomain } from '../helpers/verified-domain.js';

const ready = fs.existsSync(`${DASHBOARD_DIST}/index.html`) && chromiumAvailable();

const EMAIL = 'amina@example.com';
const PASSWORD = 'correct horse battery staple';
const REFUSAL = '5.1.1 <nobody@recipient.test>: Recipient address rejected: User unknown in virtual mailbox table';

// An email's Retry and Cancel buttons against a real relay (an SMTP sink on loopback that refuses one mailbox):
// a real bounce, retried from the dashboard; a scheduled email cancelled from it.
describe.skipIf(!ready)('email detail actions in Chromium', () => {
  describe.each(testDatabases())('on %s', (kind) => {
    let t: TestServer;
    let dns: DnsServer;
    let sink: SmtpSink;
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      dns = await startDnsServer({});
      sink = await startSmtpSink({
        rcptReply: (rcpt) => (rcpt.startsWith('nobody') ? { code: 550, message: REFUSAL } : null),
      });
      t = await startTestServer(kind, {
        TAIFA_DELIVERY: 'relay',
        TAIFA_SMTP_RELAY_URL: `smtp://127.0.0.1:${sink.port}`,
        TAIFA_DNS_SERVERS: dns.address,
      });
      await verifiedDomain(t, dns);
      await addUser(t, EMAIL, PASSWORD, 'Amina');
      browser = await launchChromium();
      page = await browser.newPage({ viewport: VIEWPORTS.desktop });
      await page.goto(`${t.url}/login`);
      await page.getByLabel('Email').fill(EMAIL);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Email Logs' }).waitFor();
      // Real sends, deliveries and a browser's start: minutes, not seconds, on a busy machine.
    }, 180_000);
    afterAll(async () => {
      await browser?.close();
      await t?.close();
      await sink?.close();
      await dns?.close();
    });

    it("shows a bounce's SMTP reply and reason, and retries it into a new email linked to the original", async () => {
      const sent = await t.call(
        'POST',
        '/v1/emails/',
        sendBody({ subject: 'Bounces once', to: [{ email: 'nobody@recipient.test' }] }),
      );
      await settled(t, sent.body.id, 'bounced');
      await page.goto(`${t.url}/emails/${sent.body.id}`);
      await page.getByRole('heading', { name: 'Bounces once' }).waitFor();
      const recipient = page.locator('.recipients-table tbody tr', { hasText: 'nobody@recipient.test' });
      await expect(recipient.locator('.badge').textContent()).resolves.toBe('bounced');
      await expect(recipient.textContent()).resolves.toContain('550');
      await expect(recipient.locator('.bounce-reason').textContent()).resolves.toBe(
        'Bounce reason: user unknown (hard bounce)',
      );
      await expect(page.getByRole('button', { name: 'Cancel sending' }).count()).resolves.toBe(0);
      await screenshot(page, `email-bounced-desktop-${kind}`);

      await page.getByRole('button', { name: 'Retry' }).click();
      await page.waitForURL((u) => u.pathname.startsWith('/emails/') && !u.pathname.endsWith(sent.body.id));
      const retryId = new URL(page.url()).pathname.split('/').at(-1)!;
      const retried = await t.call('GET', `/v1/emails/${retryId}`);
      expect(retried.body.retry_of_id).toBe(sent.body.id);
      await page.getByRole('link', { name: 'the original email' }).click();
      await page.waitForURL((u) => u.pathname === `/emails/${sent.body.id}`);
    });

    it('has no Retry for an email the relay took, and cancels a scheduled one', async () => {
      const relayed = await t.call('POST', '/v1/emails/', sendBody({ subject: 'Arrives' }));
      await settled(t, relayed.body.id, 'sent');
      await page.goto(`${t.url}/emails/${relayed.body.id}`);
      await page.getByRole('heading', { name: 'Arrives' }).waitFor();
      await expect(page.getByRole('button', { name: 'Retry' }).count()).resolves.toBe(0);

      const sendAt = new Date(Date.now() + 3_600_000).toISOString();
      const later = await t.call('POST', '/v1/emails/', sendBody({ subject: 'Later', send_at: sendAt }));
      expect(later.body.status).toBe('scheduled');
      await page.goto(`${t.url}/emails/${later.body.id}`);
      await page.getByRole('heading', { name: 'Later' }).waitFor();
      await expect(page.getByRole('button', { name: 'Retry' }).count()).resolves.toBe(0);
      page.once('dialog', (d) => void d.accept());
      await page.getByRole('button', { name: 'Cancel sending' }).click();
      await page.locator('.detail-head .badge', { hasText: 'cancelled' }).waitFor();
      expect((await t.call('GET', `/v1/emails/${later.body.id}`)).body.status).toBe('cancelled');
      await expect(page.getByRole('button', { name: 'Cancel sending' }).count()).resolves.toBe(0);
    });
  });
});

import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_DIST } from '../../src/api/dashboard.js';
import { chromiumAvailable } from '../helpers/browser.js';
import {
  checkAndPhotograph,
  startDashboardSession,
  tabStops,
  type DashboardSession,
} from '../helpers/dashboard-session.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { eventually, settled } from '../helpers/server.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const ready = fs.existsSync(`${DASHBOARD_DIST}/index.html`) && chromiumAvailable();

// The analytics, suppressions, domains, webhooks and API keys pages in Chromium, on a sandbox server, with data
// written through the pages and read back through the API (and the other way round). Screenshots of each page at
// both widths go to test/artifacts/ (from the SQLite run; the PostgreSQL run checks the same things).
describe.skipIf(!ready).each(testDatabases())('the dashboard pages on %s', (kind) => {
  let s: DashboardSession;
  const shot = (name: string) => (kind === 'sqlite' ? name : `${name}-${kind}`);
  beforeAll(async () => {
    s = await startDashboardSession(kind);
  }, 60_000);
  afterAll(async () => s?.close());

  it('tells a new user the next step on each empty page', async () => {
    await s.open('/domains', 'Domains');
    await s.page.getByText('No domains yet. Add the domain you send from above').waitFor();
    await checkAndPhotograph(s, shot('domains-empty'), () => s.page.getByText('No domains yet.').waitFor());
    await s.open('/webhooks', 'Webhooks');
    await s.page.getByText('No webhook endpoints yet.').waitFor();
    await s.open('/suppressions', 'Suppressions');
    await s.page.getByText('No suppressed addresses.').waitFor();
    await s.open('/analytics', 'Analytics');
    await s.page.getByText('No email in this range yet. Verify a domain').waitFor();
    expect(s.errors).toEqual([]);
  });

  it('creates an API key shown once with a copy button, shows its last use, and revokes it', async () => {
    const { page, t } = s;
    await s.open('/api-keys', 'API keys');
    await page.getByLabel('Name of the new key').fill('deploy bot');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = (await page.locator('.shown-once code.secret').textContent())!;
    expect(shown).toMatch(/^tfm_k_/);
    await page.getByRole('button', { name: /Copy new api key/ }).click();
    await page
      .getByRole('button', { name: /Copy new api key/ })
      .getByText('Copied')
      .waitFor();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(shown);
    const row = page.getByRole('row').filter({ hasText: 'deploy bot' });
    expect(await row.getByRole('cell').nth(1).textContent()).toBe(`${shown.slice(0, 10)}…`);
    expect(await row.getByRole('cell').nth(3).textContent()).toBe('never');
    await page.getByRole('button', { name: 'Done, I have copied it' }).click();
    expect(await page.getByText(shown).count()).toBe(0);

    expect((await t.call('GET', '/v1/domains', undefined, { key: shown })).status).toBe(200);
    await page.reload();
    const used = row.getByRole('cell').nth(3).locator('time');
    await used.waitFor();
    expect(await used.getAttribute('title')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);

    await row.getByRole('button', { name: 'Revoke deploy bot' }).click();
    await page.getByText('Revoked "deploy bot".').waitFor();
    expect(await row.count()).toBe(0);
    expect((await t.call('GET', '/v1/domains', undefined, { key: shown })).status).toBe(401);
    await checkAndPhotograph(s, shot('api-keys'), () => page.getByRole('table').waitFor());
  });

  it('adds a domain, copies its records, verifies it, adds a sender and changes its tracking', async () => {
    const { page, t } = s;
    await s.open('/domains', 'Domains');
    await page.getByLabel('Domain to send from').fill('shop.example');
    await page.getByRole('button', { name: 'Add domain' }).click();
    await page.getByRole('heading', { name: 'shop.example', level: 1 }).waitFor();
    const id = page.url().split('/').pop()!;
    const api = (await t.call('GET', `/v1/domains/${id}`)).body;
    expect(api.name).toBe('shop.example');
    expect(await page.getByRole('row').filter({ hasText: 'DKIM' }).getByText('pending').count()).toBe(1);
    await page.getByRole('button', { name: "Copy the dkim record's value" }).click();
    await page.getByRole('button', { name: "Copy the dkim record's value" }).getByText('Copied').waitFor();
    const dkim = api.records.find((r: { purpose: string }) => r.purpose === 'dkim');
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(dkim.value);
    // Senders wait for verification.
    expect(await page.getByRole('button', { name: 'Add sender' }).isDisabled()).toBe(true);

    await page.getByRole('button', { name: 'Verify now' }).click();
    await page.getByText('shop.example is verified').waitFor();
    expect(await page.getByLabel('Status: verified').count()).toBe(1);
    expect(await page.locator('tbody .badge.verified').count()).toBe(4);
    expect((await t.call('GET', `/v1/domains/${id}`)).body.status).toBe('verified');

    await page.getByLabel('Sender address').fill('hello');
    await page.getByLabel('Display name (optional)').fill('Shop');
    await page.getByRole('button', { name: 'Add sender' }).click();
    await page.getByText('Shop <hello@shop.example>').waitFor();
    const senders = (await t.call('GET', '/v1/senders')).body as Array<{ email: string; domain_id: string }>;
    expect(senders.map((x) => [x.email, x.domain_id])).toEqual([['hello@shop.example', id]]);

    await page.getByLabel('Track opens').uncheck();
    await page.getByLabel('Add one-click unsubscribe').check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    const after = (await t.call('GET', `/v1/domains/${id}`)).body;
    expect([after.open_tracking, after.click_tracking, after.unsubscribe_links]).toEqual([false, true, true]);

    await page.reload();
    await page.getByRole('heading', { name: 'shop.example', level: 1 }).waitFor();
    expect(await page.getByLabel('Track opens').isChecked()).toBe(false);
    await checkAndPhotograph(s, shot('domain-detail'), () => page.getByText('Shop <hello@shop.example>').waitFor());
    await s.open('/domains', 'Domains');
    await page.getByRole('link', { name: 'shop.example' }).waitFor();
    await checkAndPhotograph(s, shot('domains'), () => page.getByRole('link', { name: 'shop.example' }).waitFor());
  });

  it('adds, searches, filters and removes suppressions, and imports a CSV file', async () => {
    const { page, t } = s;
    await s.open('/suppressions', 'Suppressions');
    const add = async (address: string, type: string) => {
      await page.getByLabel('Address', { exact: true }).fill(address);
      await page.getByRole('combobox', { name: /^List/ }).selectOption(type);
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await page.getByText(`Added ${address} to the ${type} list.`).waitFor();
    };
    await add('ann@x.example', 'bounce');
    await add('bob@y.example', 'complaint');
    const rows = page.locator('tbody tr');
    const addresses = async () => rows.locator('td:first-child').allTextContents();
    await eventually('both rows', async () => ((await rows.count()) === 2 ? true : undefined));
    const listed = (await t.call('GET', '/v1/suppressions')).body as Array<{ address: string; type: string }>;
    expect(listed.map((x) => `${x.type} ${x.address}`).sort()).toEqual([
      'bounce ann@x.example',
      'complaint bob@y.example',
    ]);

    await page.getByLabel('Search addresses').fill('ANN@');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await eventually('the search', async () => ((await rows.count()) === 1 ? true : undefined));
    expect(await addresses()).toEqual(['ann@x.example']);
    await page.getByLabel('Search addresses').fill('');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('button', { name: 'Complaints' }).click();
    await eventually('the complaint list', async () => ((await rows.count()) === 1 ? true : undefined));
    expect(await addresses()).toEqual(['bob@y.example']);
    await page.getByRole('button', { name: 'All lists' }).click();
    await eventually('all lists', async () => ((await rows.count()) === 2 ? true : undefined));

    await page.getByRole('button', { name: 'Remove ann@x.example from the bounce list' }).click();
    await page.getByText('Removed ann@x.example from the bounce list.').waitFor();
    await eventually('the row to go', async () => ((await rows.count()) === 1 ? true : undefined));
    expect(await addresses()).toEqual(['bob@y.example']);
    expect((await t.call('GET', '/v1/suppressions/bounce/ann@x.example')).status).toBe(404);

    const csv =
      'type,address,domain,reason\nbounce,carl@z.example,,old list\ncomplaint,bob@y.example,,\nbounce,not-an-address,,\nunsubscribe,dee@z.example,news.example,\n';
    await page
      .getByLabel('CSV file', { exact: true })
      .setInputFiles({ name: 'list.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const summary = page.locator('.import-summary');
    await summary.waitFor();
    expect(await summary.locator('p').textContent()).toBe(
      'Import done: 2 added, 1 already suppressed, 1 invalid line.',
    );
    expect(await summary.locator('li').allTextContents()).toEqual([expect.stringMatching(/^Line 4: /)]);
    await eventually('the imported rows', async () => ((await rows.count()) === 3 ? true : undefined));
    const all = (await t.call('GET', '/v1/suppressions')).body as Array<{ address: string }>;
    expect(all.map((x) => x.address).sort()).toEqual(['bob@y.example', 'carl@z.example', 'dee@z.example']);
    await checkAndPhotograph(s, shot('suppressions'), async () => {
      await eventually('rows', async () => ((await rows.count()) === 3 ? true : undefined));
    });
  });

  it('creates a webhook (secret shown once), sends a test, replays a delivery, disables it and rotates its secret', async () => {
    const { page, t } = s;
    const rx = await WebhookReceiver.start();
    rx.respond = () => ({ status: 200, body: 'thanks from the receiver' });
    try {
      await s.open('/webhooks', 'Webhooks');
      await page.getByLabel('Endpoint URL').fill(rx.url());
      await page.getByLabel('All events').uncheck();
      await page.getByLabel('email.delivered').check();
      await page.getByLabel('email.bounced').check();
      await page.getByRole('button', { name: 'Add endpoint' }).click();
      const secret = (await page.locator('.shown-once code.secret').textContent())!;
      expect(secret).toMatch(/^whsec_/);
      const hooks = (await t.call('GET', '/v1/webhooks')).body as Array<{
        id: string;
        events: string[];
        secret_hint: string;
      }>;
      expect(hooks.map((h) => h.events)).toEqual([['email.delivered', 'email.bounced']]);
      expect(secret.startsWith(hooks[0]!.secret_hint.replace('…', ''))).toBe(true);
      await page.getByRole('button', { name: 'Done, I have copied it' }).click();
      await page.getByRole('heading', { name: rx.url(), level: 1 }).waitFor();
      expect(await page.getByText(secret).count()).toBe(0);
      await page.getByText('Nothing posted yet.').waitFor();

      await page.getByLabel('Event type').selectOption('email.bounced');
      await page.getByRole('button', { name: 'Send test' }).click();
      const result = page.locator('.test-result');
      await result.waitFor();
      expect(await result.locator('p strong').textContent()).toBe('200');
      expect(await result.locator('pre').textContent()).toBe('thanks from the receiver');
      expect(rx.at().map((r) => r.json?.type)).toEqual(['email.bounced']);

      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.getByRole('button', { name: 'Replay the email.bounced delivery' }).click();
      await page.getByText('Replaying the email.bounced delivery now.').waitFor();
      await eventually('the replay', async () => (rx.at().length === 2 ? true : undefined));
      expect(rx.at()[1]!.headers['webhook-id']).toBe(rx.at()[0]!.headers['webhook-id']);
      await page.getByRole('button', { name: 'Details' }).click();
      await page.getByText('"type": "email.bounced"').waitFor();

      await page.getByRole('button', { name: 'Disable' }).click();
      await page.getByText('Disabled: no events are posted to it.').waitFor();
      expect((await t.call('GET', `/v1/webhooks/${hooks[0]!.id}`)).body.enabled).toBe(false);
      await page.getByRole('button', { name: 'Enable' }).click();
      await page.getByText('Enabled: events are posted to it again.').waitFor();

      await page.getByRole('button', { name: 'Rotate secret' }).click();
      const rotated = (await page.locator('.shown-once code.secret').textContent())!;
      expect(rotated).toMatch(/^whsec_/);
      expect(rotated).not.toBe(secret);
      await page.getByText('the previous one signs too until').waitFor();
      await checkAndPhotograph(s, shot('webhook-detail'), () => page.getByText('email.bounced').first().waitFor());
      await s.open('/webhooks', 'Webhooks');
      await checkAndPhotograph(s, shot('webhooks'), () => page.getByRole('link', { name: rx.url() }).waitFor());
    } finally {
      await rx.down();
    }
  });

  it('charts the stats with totals equal to the stats API, per tag and domain, with the range in the URL', async () => {
    const { page, t } = s;
    await sandboxSender(t, 'news.example');
    for (const [to, tags] of [
      [['a@r.example', 'b@r.example'], ['welcome']],
      [['c@r.example'], ['digest', 'welcome']],
      [['d@r.example'], []],
    ] as const) {
      const r = await t.call(
        'POST',
        '/v1/emails/',
        sendBody({ from_: { email: 'hello@news.example' }, to: to.map((email) => ({ email })), tags }),
      );
      expect(r.status).toBe(202);
      await settled(t, r.body.id, 'delivered');
    }
    await s.open('/analytics', 'Analytics');
    await page.getByRole('button', { name: 'Last 24 hours' }).click();
    await eventually('the URL', async () => (page.url().includes('resolution=hour') ? true : undefined));
    const url = new URL(page.url());
    const since = url.searchParams.get('since')!;
    expect(Date.now() - Date.parse(since)).toBeGreaterThan(86_000_000);

    const api = (await t.call('GET', `/v1/stats?since=${encodeURIComponent(since)}&resolution=hour`)).body;
    expect(api.totals.accepted).toBe(4);
    const count = (k: string) => page.locator(`dd[data-count="${k}"]`).textContent();
    await eventually('the totals', async () => ((await count('accepted')) === '4' ? true : undefined));
    for (const k of [
      'accepted',
      'delivered',
      'bounced',
      'opened_unique',
      'opened_machine',
      'clicked_unique',
      'complained',
      'unsubscribed',
    ])
      expect(await count(k), k).toBe(String(api.totals[k]));
    expect(await page.locator('dd[data-rate="delivered"]').textContent()).toBe(
      `${(api.totals.rates.delivered * 100).toFixed(1)}%`,
    );
    // Three charts drawn by uPlot, and the numbers they plot add up to the totals.
    expect(await page.locator('.chart .uplot canvas').count()).toBe(3);
    await page.getByText("The charts' numbers as a table").click();
    const accepted = await page.locator('table[aria-label="Per bucket"] tbody tr td:nth-child(2)').allTextContents();
    expect(accepted.length).toBe(api.buckets.length);
    expect(accepted.reduce((sum, v) => sum + Number(v), 0)).toBe(api.totals.accepted);

    const tagRows = page.locator('table[aria-label="Per tag"] tbody tr');
    expect(await tagRows.locator('td:nth-child(1)').allTextContents()).toEqual(['welcome', 'digest']);
    expect(await tagRows.locator('td:nth-child(2)').allTextContents()).toEqual(['3', '1']);
    const domainRows = page.locator('table[aria-label="Per sending domain"] tbody tr');
    expect(await domainRows.locator('td:nth-child(1)').allTextContents()).toEqual(['news.example']);

    // A tag's row leads to the charts of that tag's mail alone.
    await page.getByRole('link', { name: 'Chart tag digest alone' }).click();
    await page.getByText('Showing only the mail tagged digest.').waitFor();
    expect(new URL(page.url()).searchParams.get('tag')).toBe('digest');
    await eventually('the tag totals', async () => ((await count('accepted')) === '1' ? true : undefined));
    await page.getByRole('link', { name: 'Show all mail' }).click();
    await eventually('all totals', async () => ((await count('accepted')) === '4' ? true : undefined));

    // The range survives a reload (it is in the URL), and the resolution selector changes it.
    await page.getByLabel('Resolution').selectOption('day');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await eventually('the day resolution', async () => (page.url().includes('resolution=day') ? true : undefined));
    await page.reload();
    await eventually('the totals again', async () => ((await count('accepted')) === '4' ? true : undefined));
    expect(await page.getByLabel('Resolution').inputValue()).toBe('day');
    await checkAndPhotograph(s, shot('analytics'), async () => {
      await page.locator('.chart .uplot canvas').first().waitFor();
    });
  });

  it('can be used with the keyboard alone', async () => {
    const { page } = s;
    await s.open('/api-keys', 'API keys');
    const stops = await tabStops(page, 12);
    expect(stops).toContain('Name of the new key');
    expect(stops).toContain('Create key');
    await page.getByLabel('Name of the new key').focus();
    await page.keyboard.type('typed key');
    await page.keyboard.press('Enter');
    await page.locator('.shown-once').waitFor();
    await page.getByRole('row').filter({ hasText: 'typed key' }).waitFor();
    // The copy button is next in the tab order after the field and the create button.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate<string>('document.activeElement.textContent')).toBe('Copy');
  });

  it('says when something cannot be loaded, and offers to try again', async () => {
    const { page } = s;
    await page.goto(`${s.t.url}/webhooks/01a23d48-1059-71aa-bb40-a70b8393986e`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.locator('p').textContent()).toMatch(/^Could not load the webhook: /);
    await alert.getByRole('button', { name: 'Try again' }).click();
    await alert.waitFor();
    // The browser logs the 404s themselves; nothing else.
    expect(s.errors.filter((e) => !e.includes('404'))).toEqual([]);
    s.errors.length = 0;
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender } from '../helpers/fixtures.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { CHROME, hit, sendTracked } from '../tracking/tracked-email.js';

const GMAIL_PROXY = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';

// Opens and clicks reach webhooks from the tracking thread's own batches, with who made them.
describe.each(testDatabases())('opens and clicks posted to webhooks on %s', (kind) => {
  let t: TestServer;
  let rx: WebhookReceiver;
  beforeAll(async () => {
    rx = await WebhookReceiver.start();
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_WEBHOOK_POLL_INTERVAL_MS: '50' });
    await sandboxSender(t);
  });
  afterAll(async () => {
    await t?.close();
    await rx?.down();
  });

  it('posts people and machines with their bot field, and only people where human_only is set', async () => {
    const events = ['email.opened', 'email.clicked'];
    expect((await t.call('POST', '/v1/webhooks', { url: rx.url('/all'), events })).status).toBe(201);
    expect((await t.call('POST', '/v1/webhooks', { url: rx.url('/people'), events, human_only: true })).status).toBe(
      201,
    );
    const e = await sendTracked(t, { tracking: { open: true, click: true } });
    expect((await hit(t, e.pixel, GMAIL_PROXY)).status).toBe(200);
    expect((await hit(t, e.pixel, CHROME)).status).toBe(200);
    expect((await hit(t, e.links[0]!, CHROME)).status).toBe(302);

    const all = await eventually('three hits posted', async () =>
      rx.at('/all').length >= 3 ? rx.at('/all') : undefined,
    );
    const seen = all.map((r) => [r.json.type, r.json.data.bot]).sort();
    expect(seen).toEqual([
      ['email.clicked', null],
      ['email.opened', null],
      ['email.opened', 'gmail'],
    ]);
    const click = all.find((r) => r.json.type === 'email.clicked')!;
    expect(click.json.data).toMatchObject({ email_id: e.id, recipient: 'jane@recipient.test' });
    expect(click.json.data.metadata.url).toBe('https://shop.test/a?x=1&y=2');
    const people = await eventually('two hits posted', async () =>
      rx.at('/people').length >= 2 ? rx.at('/people') : undefined,
    );
    expect(people.map((r) => [r.json.type, r.json.data.bot]).sort()).toEqual([
      ['email.clicked', null],
      ['email.opened', null],
    ]);
    // Nothing else is on its way: once every delivery is recorded as made, the people's endpoint still has two.
    await eventually('every delivery made', async () => {
      const pending = await t.server.store.db
        .selectFrom('webhook_deliveries')
        .select('id')
        .where('status', '=', 'pending')
        .execute();
      return pending.length === 0 ? true : undefined;
    });
    expect(rx.at('/people')).toHaveLength(2);
    expect(rx.at('/all')).toHaveLength(3);
  });
});

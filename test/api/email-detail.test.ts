import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { settled, startTestServer, type TestServer } from '../helpers/server.js';
import { verifiedDomain } from '../helpers/verified-domain.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe.each(testDatabases())('email detail and events on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true' });
    await sandboxSender(t);
  });
  afterAll(async () => t?.close());

  it('returns every field of the detail with the values that were sent', async () => {
    const sent = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({
        to: [{ email: 'jane@recipient.test', name: 'Jane Doe' }],
        cc: [{ email: 'carbon@recipient.test' }],
        bcc: [{ email: 'blind@recipient.test', name: 'Blind' }],
        reply_to: { email: 'support@example.com', name: 'Support' },
        subject: 'Your receipt',
        html: '<h1>Receipt</h1>',
        text: 'Receipt',
        headers: { 'X-Order': '1234' },
        tags: ['receipts', 'billing'],
      }),
    );
    expect(sent.status).toBe(202);
    const d = await settled(t, sent.body.id, 'delivered');
    for (const field of [
      'id',
      'from_address',
      'to_addresses',
      'subject',
      'status',
      'source',
      'opened_count',
      'clicked_count',
      'tags',
      'scheduled_at',
      'created_at',
      'sent_at',
      'delivered_at',
      'retry_of_id',
      'cc_addresses',
      'bcc_addresses',
      'text_body',
      'html_body',
      'headers',
      'message_id',
      'events',
    ]) {
      expect(d, field).toHaveProperty(field);
    }
    expect(d).toMatchObject({
      id: sent.body.id,
      from_address: 'Example <hello@example.com>',
      subject: 'Your receipt',
      status: 'delivered',
      source: 'api',
      opened_count: 0,
      clicked_count: 0,
      scheduled_at: null,
      retry_of_id: null,
      text_body: 'Receipt',
      html_body: '<h1>Receipt</h1>',
      headers: { 'X-Order': '1234' },
      message_id: sent.body.message_id,
    });
    expect(d.message_id).toMatch(/^<[^@]+@example\.com>$/);
    // Addresses are bare, as the API documents them (the names travel in the message's headers).
    expect(d.to_addresses).toEqual(['jane@recipient.test']);
    expect(d.cc_addresses).toEqual(['carbon@recipient.test']);
    expect(d.bcc_addresses).toEqual(['blind@recipient.test']);
    expect(d.tags).toEqual(['receipts', 'billing']);
    for (const t of ['created_at', 'sent_at', 'delivered_at']) expect(d[t], t).toMatch(ISO);
    // Every recipient (to, cc and bcc) has its own state.
    expect(
      d.recipients
        .map((r: { email: string; type: string; status: string }) => `${r.type}:${r.email}:${r.status}`)
        .sort(),
    ).toEqual([
      'bcc:blind@recipient.test:delivered',
      'cc:carbon@recipient.test:delivered',
      'to:jane@recipient.test:delivered',
    ]);
  });

  it("reads each recipient's own captured copy with ?recipient=", async () => {
    const sent = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({ to: [{ email: 'first@recipient.test' }, { email: 'Second@Recipient.test' }] }),
    );
    await settled(t, sent.body.id, 'delivered');
    const raw = async (q: string) =>
      await fetch(`${t.url}/v1/emails/${sent.body.id}/raw${q}`, { headers: { authorization: `Bearer ${t.key}` } });
    const first = await (await raw('')).text();
    const second = await raw('?recipient=second@recipient.test');
    expect(second.status).toBe(200);
    expect(second.headers.get('content-type')).toMatch(/^message\/rfc822/);
    const secondText = await second.text();
    // The default is the first recipient's copy; each copy has its own tracking tokens, so they differ.
    expect(await (await raw('?recipient=first@recipient.test')).text()).toBe(first);
    expect(secondText).toMatch(/^Message-ID: /im);
    expect(secondText).not.toBe(first);
    expect((await raw('?recipient=nobody@recipient.test')).status).toBe(404);
  });

  it('pages the event timeline with a cursor, in order, without gaps or repeats', async () => {
    const sent = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({ to: [{ email: 'a@recipient.test' }, { email: 'b@recipient.test' }] }),
    );
    const d = await settled(t, sent.body.id, 'delivered');

    const all = await t.call('GET', `/v1/emails/${sent.body.id}/events`);
    expect(all.status).toBe(200);
    expect(all.body).toEqual(d.events);
    expect(all.body[0]).toMatchObject({ event_type: 'queued' });
    expect(all.body.filter((e: { event_type: string }) => e.event_type === 'delivered')).toHaveLength(2);
    for (const e of all.body) {
      expect(Object.keys(e)).toEqual(expect.arrayContaining(['id', 'event_type', 'metadata', 'created_at']));
      expect(e.created_at).toMatch(ISO);
    }
    const delivered = all.body.find((e: { event_type: string }) => e.event_type === 'delivered');
    expect(delivered.metadata).toMatchObject({ captured: true });

    const paged: unknown[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 20; i++) {
      const page: { status: number; body: unknown[]; headers: Headers } = await t.call(
        'GET',
        `/v1/emails/${sent.body.id}/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.length).toBeLessThanOrEqual(2);
      paged.push(...page.body);
      cursor = page.headers.get('x-next-cursor');
      if (!cursor) break;
    }
    expect(paged).toEqual(all.body);

    const badLimit = await t.call('GET', `/v1/emails/${sent.body.id}/events?limit=0`);
    expect(badLimit.status).toBe(422);
    expect(badLimit.body.errors[0].field).toBe('limit');
    const badCursor = await t.call('GET', `/v1/emails/${sent.body.id}/events?cursor=nonsense`);
    expect(badCursor.status).toBe(422);
    expect(badCursor.body.errors[0].field).toBe('cursor');
    expect((await t.call('GET', '/v1/emails/01890000-0000-7000-8000-000000000000/events')).status).toBe(404);
  });
});

describe.each(testDatabases())('a sender whose domain lost its verification on %s', (kind) => {
  let t: TestServer;
  let dns: DnsServer;
  beforeAll(async () => {
    dns = await startDnsServer({});
    t = await startTestServer(kind, { TAIFA_ROLES: 'api', TAIFA_DNS_SERVERS: dns.address });
  });
  afterAll(async () => {
    await t?.close();
    await dns?.close();
  });

  it('can no longer send: 422 naming from_.email, and nothing is written', async () => {
    const domain = await verifiedDomain(t, dns, 'lapsed.test');
    expect((await t.call('POST', '/v1/emails/', sendBody({ from_: { email: 'hello@lapsed.test' } }))).status).toBe(202);

    // The DKIM record is taken down; re-verification fails.
    const zone = dns.zone;
    for (const name of Object.keys(zone.txt ?? {}))
      if (name.includes('._domainkey.lapsed.test')) delete zone.txt![name];
    dns.set(zone);
    const v = await t.call('POST', `/v1/domains/${domain.id}/verify`);
    expect(v.body.status).toBe('failed');

    const before = (await t.call('GET', '/v1/emails/')).body.length;
    const refused = await t.call('POST', '/v1/emails/', sendBody({ from_: { email: 'hello@lapsed.test' } }));
    expect(refused.status).toBe(422);
    expect(refused.body.errors[0].field).toBe('from_.email');
    expect(refused.body.detail).toMatch(/not verified/);
    expect((await t.call('GET', '/v1/emails/')).body.length).toBe(before);
  });
});

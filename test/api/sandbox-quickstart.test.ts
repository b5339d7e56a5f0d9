import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { dkimVerify } from 'mailauth';
import { testDatabases } from '../helpers/databases.js';
import { eventually, startTestServer, type TestServer } from '../helpers/server.js';

// The README's sandbox quickstart, step by step: create a domain, verify it, register a sender,
// send, see it delivered and read the raw message.
describe.each(testDatabases())('sandbox quickstart on %s', (kind) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(kind, { TAIFA_SANDBOX: 'true' });
  });
  afterAll(async () => t?.close());

  it('goes from a new domain to a delivered, readable, DKIM-signed email', async () => {
    expect((await t.call('GET', '/healthz', undefined, { key: null })).status).toBe(200);

    const domain = await t.call('POST', '/v1/domains', { name: 'example.com' });
    expect(domain.status).toBe(201);
    expect(domain.body.status).toBe('pending');
    const purposes = domain.body.records.map((r: { purpose: string }) => r.purpose);
    expect(purposes).toEqual(expect.arrayContaining(['dkim', 'spf', 'return_path']));
    const dkim = domain.body.records.find((r: { purpose: string }) => r.purpose === 'dkim');
    expect(dkim.type).toBe('TXT');
    expect(dkim.name).toMatch(/\._domainkey\.example\.com$/);

    const verified = await t.call('POST', `/v1/domains/${domain.body.id}/verify`);
    expect(verified.status).toBe(200);
    expect(verified.body.status).toBe('verified');

    const sender = await t.call('POST', '/v1/senders', { email: 'hello@example.com', name: 'Example' });
    expect(sender.status).toBe(201);

    const sent = await t.call('POST', '/v1/emails/', {
      from_: { email: 'hello@example.com', name: 'Example' },
      to: [{ email: 'jane@recipient.test', name: 'Jane Doe' }],
      subject: 'Welcome aboard',
      html: '<h1>Welcome!</h1>',
      text: 'Welcome!',
    });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ status: 'queued', rejection_reason: null });
    expect(sent.body.message_id).toMatch(/^<[0-9a-f-]+@example\.com>$/);

    const detail = await eventually('delivery', async () => {
      const r = await t.call('GET', `/v1/emails/${sent.body.id}`);
      return r.body.status === 'delivered' ? r.body : undefined;
    });
    expect(detail.events.map((e: { event_type: string }) => e.event_type)).toEqual(['queued', 'sent', 'delivered']);
    expect(detail.events[2].metadata.captured).toBe(true);
    expect(detail.recipients[0]).toMatchObject({ email: 'jane@recipient.test', status: 'delivered' });
    expect(detail.delivered_at).toMatch(/Z$/);

    const raw = await t.call('GET', `/v1/emails/${sent.body.id}/raw`);
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-type')).toContain('message/rfc822');
    const parsed = await simpleParser(Buffer.from(raw.body));
    expect(parsed.subject).toBe('Welcome aboard');
    expect(parsed.from?.value[0]).toMatchObject({ name: 'Example', address: 'hello@example.com' });
    const to = parsed.to && !Array.isArray(parsed.to) ? parsed.to.value[0] : null;
    expect(to).toMatchObject({ name: 'Jane Doe', address: 'jane@recipient.test' });
    expect(parsed.html).toContain('<h1>Welcome!</h1>');
    expect(parsed.messageId).toBe(sent.body.message_id);

    // The signature verifies against the key the domain asked us to publish.
    const publicKey = dkim.value;
    const result = await dkimVerify(Buffer.from(raw.body), {
      resolver: async (name: string, type: string) => {
        if (type === 'TXT' && name === dkim.name) return [[publicKey]];
        throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      },
    });
    expect(result.results[0]?.status.result).toBe('pass');
    expect(result.results[0]?.signingDomain).toBe('example.com');
  });
});

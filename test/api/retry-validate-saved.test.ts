import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../../src/core/accounts.js';
import { testDatabases } from '../helpers/databases.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { sendBody } from '../helpers/fixtures.js';
import { settled as settledEmail, startTestServer, type TestServer } from '../helpers/server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { verifiedDomain } from '../helpers/verified-domain.js';

describe.each(testDatabases())('retry, validate and saved searches on %s', (kind) => {
  let t: TestServer;
  let dns: DnsServer;
  let sink: SmtpSink;
  let fixed = false; // the mailbox that bounced is repaired before the retry
  beforeAll(async () => {
    sink = await startSmtpSink({ rcptReply: (rcpt) => (rcpt.startsWith('broken') && !fixed ? { code: 550, message: '5.2.1 Mailbox disabled' } : null) });
    dns = await startDnsServer({ mx: { 'recipient.test': [{ exchange: 'mx.recipient.test', priority: 10 }] }, a: { 'mx.recipient.test': ['127.0.0.1'] } });
    t = await startTestServer(kind, { TAIFA_DNS_SERVERS: dns.address, TAIFA_MX_PORT: String(sink.port) });
    await verifiedDomain(t, dns);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await dns?.close();
  });

  const settled = (id: string, status: string) => settledEmail(t, id, status);

  it('retries a bounced email to the recipients that did not get it, as a new linked email', async () => {
    const original = await t.call('POST', '/v1/emails/', sendBody({
      to: [{ email: 'ok@recipient.test' }, { email: 'broken@recipient.test', name: 'Broken' }],
      subject: 'Retry me', tags: ['retry'], attachments: [{ filename: 'a.txt', content_base64: Buffer.from('attached').toString('base64') }],
    }));
    await settled(original.body.id, 'bounced');
    const notYet = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'ok2@recipient.test' }] }));
    await settled(notYet.body.id, 'delivered');
    const conflict = await t.call('POST', `/v1/emails/${notYet.body.id}/retry`);
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('not_retryable');

    fixed = true;
    const retry = await t.call('POST', `/v1/emails/${original.body.id}/retry`);
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ status: 'queued', rejection_reason: null });
    expect(retry.body.id).not.toBe(original.body.id);
    const detail = await settled(retry.body.id, 'delivered');
    expect(detail).toMatchObject({ retry_of_id: original.body.id, subject: 'Retry me', tags: ['retry'], to_addresses: ['broken@recipient.test'] });
    expect(detail.attachments).toEqual([{ filename: 'a.txt', content_type: 'application/octet-stream', size: 8 }]);
    expect((await t.call('POST', '/v1/emails/00000000-0000-7000-8000-000000000000/retry')).status).toBe(404);
  });

  it('validates without writing or sending: issues per area, plan and usage', async () => {
    const before = sink.messages.length;
    const ok = await t.call('POST', '/v1/emails/validate', sendBody());
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ valid: true, can_send: true, issues: [], plan: 'business', usage: { daily_limit: 200000, monthly_limit: 5000000 } });
    const bad = await t.call('POST', '/v1/emails/validate', sendBody({ from_: { email: 'nobody@example.com' }, to: [{ email: 'nope' }], html: undefined, text: undefined }));
    expect(bad.body.valid).toBe(false);
    expect(bad.body.can_send).toBe(false);
    expect(bad.body.issues.map((i: { field: string }) => i.field).sort()).toEqual(['content', 'to']);
    const unregistered = await t.call('POST', '/v1/emails/validate', sendBody({ from_: { email: 'nobody@example.com' } }));
    expect(unregistered.body.issues).toEqual([{ field: 'from', error: expect.stringContaining('not a registered sender') }]);
    const free = await createAccount(t.server.store, { name: 'Free', plan: 'free' });
    const scheduled = await t.call('POST', '/v1/emails/validate', sendBody({ send_at: new Date(Date.now() + 3_600_000).toISOString() }), { key: free.key });
    expect(scheduled.body.issues.map((i: { field: string }) => i.field)).toEqual(expect.arrayContaining(['from', 'account']));
    expect(scheduled.body.plan).toBe('free');
    await new Promise((r) => setTimeout(r, 200));
    expect(sink.messages.length).toBe(before);
  });

  it('keeps saved searches per user, replaced by PUT, capped at 50', async () => {
    expect((await t.call('GET', '/v1/emails/saved-searches')).body).toEqual({ searches: [] });
    const put = await t.call('PUT', '/v1/emails/saved-searches', {
      searches: [
        { name: 'Bounces this week', query: 'status:bounced', range: '7d', status: 'bounced', domain: 'example.com', source: 'api' },
        { id: 'mine-1', name: 'Receipts', query: 'receipt to:gmail.com' },
      ],
    });
    expect(put.status).toBe(200);
    expect(put.body.searches[0].id).toMatch(/^[0-9a-f-]{36}$/);
    expect(put.body.searches[1]).toEqual({ id: 'mine-1', name: 'Receipts', query: 'receipt to:gmail.com', range: null, status: null, domain: null, source: null });
    expect((await t.call('GET', '/v1/emails/saved-searches')).body).toEqual(put.body);

    const other = await createAccount(t.server.store, { name: 'Other', plan: 'pro' });
    expect((await t.call('GET', '/v1/emails/saved-searches', undefined, { key: other.key })).body).toEqual({ searches: [] });

    const tooMany = await t.call('PUT', '/v1/emails/saved-searches', { searches: Array.from({ length: 51 }, (_, i) => ({ name: `s${i}` })) });
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.errors[0].field).toBe('searches');
    const noName = await t.call('PUT', '/v1/emails/saved-searches', { searches: [{ query: 'x' }] });
    expect(noName.body.errors[0].field).toBe('searches[0].name');
    expect((await t.call('PUT', '/v1/emails/saved-searches', { searches: [] })).body).toEqual({ searches: [] });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers, type ChildServer } from '../helpers/child-server.js';
import { testDatabases } from '../helpers/databases.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { sendBody } from '../helpers/fixtures.js';
import { eventTypes, eventually, startTestServer, type TestServer } from '../helpers/server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { verifiedDomain } from '../helpers/verified-domain.js';

/** Addresses the sink refuses for good (550 5.1.1) while they are in this set. */
const gone = new Set<string>();

async function infrastructure(): Promise<{ sink: SmtpSink; dns: DnsServer }> {
  const sink = await startSmtpSink({
    rcptReply: (rcpt) => {
      if (gone.has(rcpt))
        return { code: 550, message: '5.1.1 The email account that you tried to reach does not exist' };
      if (rcpt.startsWith('busy')) return { code: 450, message: '4.2.1 Mailbox temporarily unavailable' };
      if (rcpt.startsWith('full')) return { code: 552, message: '5.2.2 Mailbox full, quota exceeded' };
      if (rcpt.startsWith('blocked'))
        return {
          code: 554,
          message: '5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org',
        };
      return null;
    },
  });
  const dns = await startDnsServer({
    mx: { 'recipient.test': [{ exchange: 'mx.recipient.test', priority: 10 }] },
    a: { 'mx.recipient.test': ['127.0.0.1'] },
  });
  return { sink, dns };
}

const env = (sink: SmtpSink, dns: DnsServer) => ({
  TAIFA_DELIVERY: 'direct',
  TAIFA_DNS_SERVERS: dns.address,
  TAIFA_MX_PORT: String(sink.port),
  TAIFA_RETRY_SCHEDULE: '1',
  // A 4xx is given up on at once: a soft bounce, which must never suppress.
  TAIFA_MAX_DEFER_HOURS: '0',
});

/** Waits until the email is done (no recipient waiting), then checks its status: a wrong outcome fails at once. */
async function settled(t: TestServer, id: string, status: string): Promise<any> {
  const detail = await eventually(`email ${id} to be done`, async () => {
    const r = await t.call('GET', `/v1/emails/${id}`);
    return ['queued', 'scheduled', 'deferred'].includes(r.body.status) ? undefined : r.body;
  });
  expect(detail.status, JSON.stringify(detail.recipients)).toBe(status);
  return detail;
}

const recipients = (detail: { recipients: Array<{ email: string; status: string; attempts: number }> }) =>
  detail.recipients.map((r) => [r.email, r.status, r.attempts]);

describe.each(testDatabases())('suppressions on the way out, on %s', (kind) => {
  let t: TestServer;
  let sink: SmtpSink;
  let dns: DnsServer;
  beforeAll(async () => {
    ({ sink, dns } = await infrastructure());
    t = await startTestServer(kind, env(sink, dns));
    await verifiedDomain(t, dns, 'example.com');
    await verifiedDomain(t, dns, 'other-brand.test');
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await dns?.close();
  });

  const suppress = async (item: Record<string, unknown>) => {
    const r = await t.call('POST', '/v1/suppressions', { suppressions: [item] });
    expect([r.status, r.body.added]).toEqual([200, 1]);
  };
  const send = async (to: string[], extra: Record<string, unknown> = {}) => {
    const r = await t.call('POST', '/v1/emails/', sendBody({ to: to.map((email) => ({ email })), ...extra }));
    expect(r.status).toBe(202);
    return r.body as { id: string; status: string; rejection_reason: string | null };
  };
  const from = (domain: string) => ({ from_: { email: `hello@${domain}`, name: 'Brand' } });

  it('sends to the other two of three recipients and rejects the suppressed one, with its reason and event', async () => {
    await suppress({ address: 'listed@recipient.test', type: 'bounce', reason: 'known bad' });
    const accepted = await send(['first@recipient.test', 'listed@recipient.test', 'third@recipient.test']);
    expect(accepted.status).toBe('queued');
    // The email's status settles once every recipient is done: the rejected one is named first among them.
    const detail = await settled(t, accepted.id, 'rejected');
    expect(recipients(detail)).toEqual([
      ['first@recipient.test', 'delivered', 1],
      ['listed@recipient.test', 'rejected', 0],
      ['third@recipient.test', 'delivered', 1],
    ]);
    expect(detail.rejection_reason).toMatch(/^listed@recipient\.test is on the bounce list since \d{4}-\d\d-\d\d\.$/);
    const rejected = detail.events.find((e: { event_type: string }) => e.event_type === 'rejected');
    expect(rejected).toMatchObject({
      recipient: 'listed@recipient.test',
      metadata: { suppression: { type: 'bounce', scope: 'account', domain: null, tag: null } },
    });
    expect(sink.rcptAttempts('first@recipient.test')).toBe(1);
    expect(sink.rcptAttempts('third@recipient.test')).toBe(1);
    expect(sink.rcptAttempts('listed@recipient.test')).toBe(0);
  });

  it('rejects an email whose every recipient is suppressed, and sends nothing', async () => {
    await suppress({ address: 'nobody@recipient.test', type: 'complaint' });
    const accepted = await send(['nobody@recipient.test']);
    expect(accepted.status).toBe('rejected');
    expect(accepted.rejection_reason).toContain('nobody@recipient.test is on the complaint list');
    // Nothing of it was queued: no recipient is in the queue for the worker to claim.
    const detail = (await t.call('GET', `/v1/emails/${accepted.id}`)).body;
    expect([detail.status, eventTypes(detail), recipients(detail)]).toEqual([
      'rejected',
      ['rejected'],
      [['nobody@recipient.test', 'rejected', 0]],
    ]);
    // A later email goes out, so the worker ran past it.
    const later = await send(['after-nobody@recipient.test']);
    await settled(t, later.id, 'delivered');
    expect(sink.rcptAttempts('nobody@recipient.test')).toBe(0);
  });

  it("stops a domain-level unsubscribe's mail from that domain only", async () => {
    await suppress({ address: 'fan@recipient.test', type: 'unsubscribe', domain: 'example.com' });
    const stopped = await send(['fan@recipient.test']);
    expect(stopped.status).toBe('rejected');
    expect(stopped.rejection_reason).toContain('unsubscribe list for mail from example.com');
    const other = await send(['fan@recipient.test'], from('other-brand.test'));
    expect(other).toMatchObject({ status: 'queued', rejection_reason: null });
    await settled(t, other.id, 'delivered');
    expect(sink.rcptAttempts('fan@recipient.test')).toBe(1);
  });

  it("stops a tag-level unsubscribe's mail with that tag only", async () => {
    await suppress({ address: 'reader@recipient.test', type: 'unsubscribe', domain: 'example.com', tag: 'newsletter' });
    const tagged = await send(['reader@recipient.test'], { tags: ['weekly', 'newsletter'] });
    expect(tagged.status).toBe('rejected');
    expect(tagged.rejection_reason).toContain('tagged "newsletter"');
    const receipt = await send(['reader@recipient.test'], { tags: ['receipt'] });
    expect(receipt.status).toBe('queued');
    await settled(t, receipt.id, 'delivered');
    const untagged = await send(['reader@recipient.test']);
    await settled(t, untagged.id, 'delivered');
    expect(sink.rcptAttempts('reader@recipient.test')).toBe(2);
  });

  it('puts a hard bounce on the bounce list: the next send is rejected, and after deleting it, goes out', async () => {
    gone.add('moved@recipient.test');
    const first = await send(['moved@recipient.test']);
    await settled(t, first.id, 'bounced');
    const entry = await t.call('GET', '/v1/suppressions/bounce/moved@recipient.test');
    expect(entry.status).toBe(200);
    expect(entry.body.suppressions[0]).toMatchObject({ source_email_id: first.id, domain: null, tag: null });
    expect(entry.body.suppressions[0].reason).toContain('5.1.1');

    const next = await send(['moved@recipient.test']);
    expect(next.status).toBe('rejected');
    expect(next.rejection_reason).toContain('moved@recipient.test is on the bounce list');
    expect(sink.rcptAttempts('moved@recipient.test')).toBe(1);

    gone.delete('moved@recipient.test');
    expect((await t.call('DELETE', '/v1/suppressions/bounce/moved@recipient.test')).status).toBe(200);
    const again = await send(['moved@recipient.test']);
    expect(again.status).toBe('queued');
    await settled(t, again.id, 'delivered');
    expect(sink.rcptAttempts('moved@recipient.test')).toBe(2);
  });

  it('bounces a full mailbox and a reputation block soft at once: no retry, no suppression', async () => {
    const accepted = await send(['full-one@recipient.test', 'blocked-one@recipient.test']);
    const detail = await settled(t, accepted.id, 'bounced');
    expect(recipients(detail)).toEqual([
      ['full-one@recipient.test', 'bounced', 1],
      ['blocked-one@recipient.test', 'bounced', 1],
    ]);
    // One event per recipient; the two copies are recorded one after the other, in either order.
    const bounced = Object.fromEntries(
      detail.events
        .filter((e: { event_type: string }) => e.event_type === 'bounced')
        .map((e: { recipient: string; metadata: Record<string, unknown> }) => [e.recipient, e.metadata]),
    );
    expect(bounced).toEqual({
      'full-one@recipient.test': expect.objectContaining({
        reason: 'mailbox_full',
        hard: false,
        bounce_type: 'soft',
        dsn: '5.2.2',
        smtp_code: 552,
      }),
      'blocked-one@recipient.test': expect.objectContaining({
        reason: 'blocked',
        hard: false,
        bounce_type: 'soft',
        dsn: '5.7.1',
        smtp_code: 554,
      }),
    });
    expect(eventTypes(detail)).not.toContain('deferred');
    for (const address of ['full-one@recipient.test', 'blocked-one@recipient.test'])
      expect((await t.call('GET', `/v1/suppressions/bounce/${address}`)).status).toBe(404);
  });

  it('never suppresses on a 4xx, even when it is given up on (a soft bounce)', async () => {
    const accepted = await send(['busy-one@recipient.test']);
    const detail = await settled(t, accepted.id, 'bounced');
    const bounced = detail.events.find((e: { event_type: string }) => e.event_type === 'bounced');
    expect(bounced.metadata).toMatchObject({ smtp_code: 450, bounce_type: 'soft' });
    // The bounce above was recorded in the transaction that would have added the suppression.
    expect((await t.call('GET', '/v1/suppressions/bounce/busy-one@recipient.test')).status).toBe(404);
    expect((await t.call('GET', '/v1/suppressions?q=busy-one')).body).toEqual([]);
  });
});

describe.each(testDatabases())('a suppression added after acceptance, on %s', (kind) => {
  let t: TestServer;
  let sink: SmtpSink;
  let dns: DnsServer;
  let workers: ChildServer[] = [];
  beforeAll(async () => {
    ({ sink, dns } = await infrastructure());
    // No worker in this process: the email waits in the queue until the test starts one.
    t = await startTestServer(kind, { ...env(sink, dns), TAIFA_ROLES: 'api' });
    await verifiedDomain(t, dns, 'example.com');
  });
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await t?.close();
    await sink?.close();
    await dns?.close();
  });

  it('still stops its delivery: the worker checks the lists again just before sending', async () => {
    const r = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({ to: [{ email: 'late@recipient.test' }, { email: 'fine@recipient.test' }] }),
    );
    expect(r.body).toMatchObject({ status: 'queued', rejection_reason: null });
    const add = await t.call('POST', '/v1/suppressions', {
      suppressions: [{ address: 'late@recipient.test', type: 'unsubscribe', domain: 'example.com' }],
    });
    expect(add.body.added).toBe(1);
    workers = await startWorkers(1, t, env(sink, dns));
    const detail = await settled(t, r.body.id, 'rejected');
    expect(recipients(detail)).toEqual([
      ['late@recipient.test', 'rejected', 0],
      ['fine@recipient.test', 'delivered', 1],
    ]);
    expect(detail.rejection_reason).toContain(
      'late@recipient.test is on the unsubscribe list for mail from example.com',
    );
    const rejected = detail.events.find((e: { event_type: string }) => e.event_type === 'rejected');
    expect(rejected.metadata.suppression).toMatchObject({
      type: 'unsubscribe',
      scope: 'domain',
      domain: 'example.com',
    });
    expect(sink.rcptAttempts('late@recipient.test')).toBe(0);
    expect(sink.rcptAttempts('fine@recipient.test')).toBe(1);
  });
});

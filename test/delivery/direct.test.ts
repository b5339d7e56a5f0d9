import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../helpers/databases.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { sendBody } from '../helpers/fixtures.js';
import { eventTypes, eventually, settled, startTestServer, type TestServer } from '../helpers/server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { verifiedDomain } from '../helpers/verified-domain.js';

const types = eventTypes;

describe.each(testDatabases())('direct MX delivery on %s', (kind) => {
  let t: TestServer;
  let dns: DnsServer;
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink({
      rcptReply: (rcpt, attempt) => {
        if (rcpt.startsWith('busy') && attempt === 1)
          return { code: 450, message: '4.2.1 Mailbox temporarily unavailable, try later' };
        if (rcpt.startsWith('gone'))
          return { code: 550, message: '5.1.1 The email account that you tried to reach does not exist' };
        if (rcpt.startsWith('full')) return { code: 452, message: '4.2.2 Mailbox full' };
        return null;
      },
      // The connection breaks after the whole message arrived, before the reply, on the first attempt.
      dropDuring: (rcpt, attempt) =>
        (rcpt.startsWith('dropped') || rcpt.startsWith('twice')) && attempt === 1 ? 'data' : null,
    });
    dns = await startDnsServer({
      mx: {
        'recipient.test': [
          { exchange: 'mx1.recipient.test', priority: 10 },
          { exchange: 'mx2.recipient.test', priority: 20 },
        ],
        'other.test': [{ exchange: 'mx.other.test', priority: 5 }],
        'nullmx.test': [{ exchange: '', priority: 0 }],
        'deadmx.test': [
          { exchange: 'dead.deadmx.test', priority: 10 },
          { exchange: 'alive.deadmx.test', priority: 20 },
        ],
        'twomx.test': [
          { exchange: 'mx1.twomx.test', priority: 10 },
          { exchange: 'mx2.twomx.test', priority: 20 },
        ],
      },
      a: {
        'mx1.recipient.test': ['127.0.0.1'],
        'mx2.recipient.test': ['127.0.0.1'],
        'mx.other.test': ['127.0.0.1'],
        'implicit.test': ['127.0.0.1'],
        'dead.deadmx.test': ['127.0.0.2'],
        'alive.deadmx.test': ['127.0.0.1'],
        'nullmx.test': ['127.0.0.1'],
        'mx1.twomx.test': ['127.0.0.1'],
        'mx2.twomx.test': ['127.0.0.1'],
      },
    });
    t = await startTestServer(kind, {
      TAIFA_DELIVERY: 'direct',
      TAIFA_DNS_SERVERS: dns.address,
      TAIFA_MX_PORT: String(sink.port),
      TAIFA_RETRY_SCHEDULE: '1',
    });
    await verifiedDomain(t, dns);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await dns?.close();
  });

  it('delivers to the MX over STARTTLS: sent then delivered, with the MX in metadata', async () => {
    const sent = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'jane@recipient.test' }] }));
    const detail = await settled(t, sent.body.id, 'delivered');
    expect(types(detail)).toEqual(['queued', 'sent', 'delivered']);
    expect(detail.events[2].metadata).toMatchObject({ smtp_code: 250, relay: 'mx1.recipient.test', ip: '127.0.0.1' });
    expect(detail.delivered_at).toMatch(/Z$/);
    const m = sink.messages.find((x) => x.recipients.includes('jane@recipient.test'))!;
    expect(m.secure).toBe(true);
    expect(m.envelopeFrom).toMatch(/^bounce\+[A-Za-z0-9]+@tfm-bounces\.example\.com$/);
  });

  it('gives each recipient its own state: one delivered, one bounced → the email is bounced', async () => {
    const sent = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({
        to: [{ email: 'ann@recipient.test' }, { email: 'gone@other.test' }],
      }),
    );
    const detail = await settled(t, sent.body.id, 'bounced');
    const states = Object.fromEntries(
      detail.recipients.map((r: { email: string; status: string }) => [r.email, r.status]),
    );
    expect(states).toEqual({ 'ann@recipient.test': 'delivered', 'gone@other.test': 'bounced' });
    const bounce = detail.recipients.find((r: { email: string }) => r.email === 'gone@other.test');
    expect(bounce.last_reply).toMatchObject({ code: 550, dsn: '5.1.1', host: 'mx.other.test' });
    expect(bounce.last_reply.text).toContain('does not exist');
  });

  it('bounces a null-MX domain without connecting', async () => {
    const before = sink.rcptAttempts('someone@nullmx.test');
    const sent = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'someone@nullmx.test' }] }));
    const detail = await settled(t, sent.body.id, 'bounced');
    expect(detail.events[1].metadata).toMatchObject({ dsn: '5.1.10', bounce_type: 'hard' });
    expect(detail.events[1].metadata.smtp_response).toContain('null MX');
    expect(sink.rcptAttempts('someone@nullmx.test')).toBe(before);
  });

  it('bounces a domain that does not exist', async () => {
    const sent = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'x@no-such-domain.test' }] }));
    const detail = await settled(t, sent.body.id, 'bounced');
    expect(detail.events[1].metadata).toMatchObject({ dsn: '5.1.2' });
  });

  it('falls back to the address record when a domain has no MX', async () => {
    const sent = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'bob@implicit.test' }] }));
    const detail = await settled(t, sent.body.id, 'delivered');
    expect(detail.events[2].metadata.relay).toBe('implicit.test');
  });

  it('moves on to the next MX when the first cannot be reached', async () => {
    const sent = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'carol@deadmx.test' }] }));
    const detail = await settled(t, sent.body.id, 'delivered');
    expect(detail.events[2].metadata.relay).toBe('alive.deadmx.test');
  });

  it('defers on a 4xx, then delivers on the retry', async () => {
    const sent = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'busy@recipient.test' }] }));
    const detail = await settled(t, sent.body.id, 'delivered');
    expect(types(detail)).toEqual(['queued', 'deferred', 'sent', 'delivered']);
    expect(detail.events[1].metadata).toMatchObject({ smtp_code: 450, dsn: '4.2.1' });
    expect(detail.events[1].metadata.next_attempt_at).toMatch(/Z$/);
  });

  it('defers when the connection drops mid-transaction, with the failure in metadata, then delivers', async () => {
    const sent = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'dropped@other.test' }] }));
    const detail = await settled(t, sent.body.id, 'delivered');
    expect(sink.drops).toContainEqual({ rcpt: 'dropped@other.test', stage: 'data' });
    expect(types(detail)).toEqual(['queued', 'deferred', 'sent', 'delivered']);
    const deferred = detail.events[1];
    expect(deferred.recipient).toBe('dropped@other.test');
    expect(deferred.metadata).toMatchObject({ smtp_code: null, dsn: '4.4.2', relay: 'mx.other.test', ip: '127.0.0.1' });
    expect(deferred.metadata.smtp_response).toContain('lost after the message was sent');
    expect(detail.recipients[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('does not resend at once to the next MX when the connection drops after the message was sent', async () => {
    const sent = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'twice@twomx.test' }] }));
    const detail = await eventually('deferred', async () => {
      const r = await t.call('GET', `/v1/emails/${sent.body.id}`);
      return r.body.status === 'deferred' ? r.body : undefined;
    });
    // The first MX may have the message: the deferral is recorded after one transaction, not a second one to mx2.
    expect(sink.rcptAttempts('twice@twomx.test')).toBe(1);
    expect(types(detail)).toEqual(['queued', 'deferred']);
    const delivered = await settled(t, sent.body.id, 'delivered');
    expect(types(delivered)).toEqual(['queued', 'deferred', 'sent', 'delivered']);
    expect(sink.rcptAttempts('twice@twomx.test')).toBe(2);
  });
});

/** Whether this machine can listen on the IPv6 loopback address. */
async function haveIpv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => server.close(() => resolve(true)));
  });
}

const ipv6 = await haveIpv6Loopback();

describe.each(testDatabases())('direct MX delivery over IPv6 on %s', (kind) => {
  const title = 'falls back to the AAAA record when a domain has no MX and no A record';
  (ipv6 ? it : it.skip)(
    ipv6 ? title : `${title} — SKIPPED: this machine cannot listen on the IPv6 loopback (::1)`,
    async () => {
      const sink = await startSmtpSink({ host: '::1' });
      const dns = await startDnsServer({ aaaa: { 'v6only.test': ['::1'] } });
      const t = await startTestServer(kind, { TAIFA_DNS_SERVERS: dns.address, TAIFA_MX_PORT: String(sink.port) });
      try {
        await verifiedDomain(t, dns);
        const sent = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'six@v6only.test' }] }));
        const detail = await settled(t, sent.body.id, 'delivered');
        expect(detail.events[2].metadata).toMatchObject({ smtp_code: 250, relay: 'v6only.test', ip: '::1' });
        expect(sink.messages.map((m) => m.recipients)).toEqual([['six@v6only.test']]);
      } finally {
        await t.close();
        await sink.close();
        await dns.close();
      }
    },
  );
});

describe.each(testDatabases())('giving up on %s', (kind) => {
  it('a recipient deferred first and still failing at the give-up age bounces soft, both events visible', async () => {
    const sink = await startSmtpSink({ rcptReply: () => ({ code: 452, message: '4.2.2 Mailbox full' }) });
    const dns = await startDnsServer({
      mx: { 'full.test': [{ exchange: 'mx.full.test', priority: 10 }] },
      a: { 'mx.full.test': ['127.0.0.1'] },
    });
    // The default 72 h give-up, retries 2 s apart.
    const t = await startTestServer(kind, {
      TAIFA_DNS_SERVERS: dns.address,
      TAIFA_MX_PORT: String(sink.port),
      TAIFA_RETRY_SCHEDULE: '2',
    });
    try {
      await verifiedDomain(t, dns);
      const sent = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'full@full.test' }] }));
      const deferred = await eventually('deferred', async () => {
        const r = await t.call('GET', `/v1/emails/${sent.body.id}`);
        return r.body.status === 'deferred' ? r.body : undefined;
      });
      expect(types(deferred)).toEqual(['queued', 'deferred']);
      // 72 h pass: the first attempt was made 72 h ago (nothing else changes).
      await t.server.store.db
        .updateTable('email_recipients')
        .set({ first_attempt_at: Date.now() - 72 * 3_600_000 })
        .where('email_id', '=', sent.body.id)
        .execute();
      const detail = await settled(t, sent.body.id, 'bounced');
      expect(types(detail)).toEqual(['queued', 'deferred', 'bounced']);
      expect(detail.events[1].metadata).toMatchObject({ smtp_code: 452 });
      expect(detail.events[2].metadata).toMatchObject({ bounce_type: 'soft', smtp_code: 452, attempt: 2 });
      expect(detail.recipients[0]).toMatchObject({ status: 'bounced', attempts: 2 });
    } finally {
      await t.close();
      await sink.close();
      await dns.close();
    }
  });

  it('bounces (soft) a recipient that still fails temporarily at the give-up age', async () => {
    const sink = await startSmtpSink({ rcptReply: () => ({ code: 452, message: '4.2.2 Mailbox full' }) });
    const dns = await startDnsServer({
      mx: { 'full.test': [{ exchange: 'mx.full.test', priority: 10 }] },
      a: { 'mx.full.test': ['127.0.0.1'] },
    });
    const t = await startTestServer(kind, {
      TAIFA_DNS_SERVERS: dns.address,
      TAIFA_MX_PORT: String(sink.port),
      TAIFA_RETRY_SCHEDULE: '1',
      TAIFA_MAX_DEFER_HOURS: '0',
    });
    try {
      await verifiedDomain(t, dns);
      const sent = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'full@full.test' }] }));
      const detail = await settled(t, sent.body.id, 'bounced');
      expect(types(detail)).toEqual(['queued', 'bounced']);
      expect(detail.events[1].metadata).toMatchObject({ bounce_type: 'soft', smtp_code: 452 });
    } finally {
      await t.close();
      await sink.close();
      await dns.close();
    }
  });
});

import { randomBytes } from 'node:crypto';
import { promises as dnsPromises } from 'node:dns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import { dkimVerify } from 'mailauth';
import { testDatabases } from '../helpers/databases.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { sendBody } from '../helpers/fixtures.js';
import { eventTypes, settled, startTestServer, type TestServer } from '../helpers/server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { verifiedDomain } from '../helpers/verified-domain.js';

const types = eventTypes;

describe.each(testDatabases())('relay delivery on %s', (kind) => {
  let t: TestServer;
  let dns: DnsServer;
  let sink: SmtpSink;
  beforeAll(async () => {
    dns = await startDnsServer({});
    sink = await startSmtpSink({
      auth: { user: 'relayuser', pass: 's3cret' },
      rcptReply: (rcpt, attempt) => {
        if (rcpt.startsWith('greylisted') && attempt === 1)
          return { code: 451, message: '4.7.1 Greylisted, try again later' };
        if (rcpt.startsWith('nobody'))
          return {
            code: 550,
            message: '5.1.1 <' + rcpt + '>: Recipient address rejected: User unknown in virtual mailbox table',
          };
        return null;
      },
      // After the relay greeted us and accepted our credentials, the connection breaks mid-transaction, once.
      dropDuring: (rcpt, attempt) =>
        attempt > 1 ? null : rcpt.startsWith('cut-at-data') ? 'data' : rcpt.startsWith('cut-at-rcpt') ? 'rcpt' : null,
    });
    t = await startTestServer(kind, {
      TAIFA_DELIVERY: 'relay',
      TAIFA_SMTP_RELAY_URL: `smtp://relayuser:s3cret@127.0.0.1:${sink.port}`,
      TAIFA_DNS_SERVERS: dns.address,
      TAIFA_RETRY_SCHEDULE: '1',
    });
    await verifiedDomain(t, dns);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await dns?.close();
  });

  it('relays a message whose headers, bodies and attachments round-trip and whose DKIM signature verifies', async () => {
    const binary = randomBytes(150_000);
    const pdfish = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(5000)]);
    const sent = await t.call(
      'POST',
      '/v1/emails/',
      sendBody({
        to: [{ email: 'jane@recipient.test', name: 'Jane Doe' }],
        cc: [{ email: 'carl@recipient.test', name: 'Carl' }],
        bcc: [{ email: 'hidden@recipient.test' }],
        reply_to: { email: 'support@example.com', name: 'Support' },
        subject: 'Your invoice — März №42',
        html: '<h1>Hi Jane</h1><p>Straße, 東京, emoji 🎉</p>',
        text: 'Hi Jane\nStraße, 東京, emoji 🎉',
        headers: { 'X-Campaign': 'spring-2026', 'List-Unsubscribe': '<mailto:unsub@example.com>' },
        tags: ['invoice'],
        tracking: { open: false, click: false }, // byte-exact bodies; tracking has its own tests
        attachments: [
          { filename: 'random.bin', content_base64: binary.toString('base64') },
          { filename: 'Rechnung März.pdf', content_base64: pdfish.toString('base64'), content_type: 'application/pdf' },
        ],
      }),
    );
    expect(sent.status).toBe(202);
    const detail = await settled(t, sent.body.id, 'sent');
    expect(types(detail)).toEqual(['queued', 'sent', 'sent', 'sent']);
    expect(
      detail.recipients.map((r: { email: string; type: string; status: string }) => [r.email, r.type, r.status]),
    ).toEqual([
      ['jane@recipient.test', 'to', 'sent'],
      ['carl@recipient.test', 'cc', 'sent'],
      ['hidden@recipient.test', 'bcc', 'sent'],
    ]);
    expect(detail.sent_at).toMatch(/Z$/);
    expect(detail.delivered_at).toBeNull(); // a relay's 250 is not a delivery
    const sentEvent = detail.events.find((e: { event_type: string }) => e.event_type === 'sent');
    expect(sentEvent.metadata).toMatchObject({ smtp_code: 250, relay: '127.0.0.1' });

    const received = sink.messages.filter((m) => m.raw.includes(sent.body.message_id.slice(1, -1)));
    expect(received).toHaveLength(3);
    expect(received.every((m) => m.authUser === 'relayuser')).toBe(true);
    // One transaction per recipient, each with its own VERP return path on the domain's return-path host.
    expect(
      received
        .map((m) => m.recipients)
        .flat()
        .sort(),
    ).toEqual(['carl@recipient.test', 'hidden@recipient.test', 'jane@recipient.test']);
    const froms = received.map((m) => m.envelopeFrom);
    expect(new Set(froms).size).toBe(3);
    for (const f of froms) expect(f).toMatch(/^bounce\+[A-Za-z0-9]{20}@tfm-bounces\.example\.com$/);

    const raw = received[0]!.raw;
    const parsed = await simpleParser(raw);
    expect(parsed.subject).toBe('Your invoice — März №42');
    expect(parsed.messageId).toBe(sent.body.message_id);
    expect(parsed.html).toBe('<h1>Hi Jane</h1><p>Straße, 東京, emoji 🎉</p>');
    expect(parsed.text?.trim()).toBe('Hi Jane\nStraße, 東京, emoji 🎉');
    expect(parsed.headers.get('x-campaign')).toBe('spring-2026');
    expect(parsed.headers.has('bcc')).toBe(false);
    expect(raw.toString('latin1')).not.toContain('hidden@recipient.test');
    expect(parsed.replyTo?.value[0]).toMatchObject({ address: 'support@example.com', name: 'Support' });
    expect(parsed.cc && !Array.isArray(parsed.cc) ? parsed.cc.value[0]!.address : null).toBe('carl@recipient.test');
    expect(parsed.attachments.map((a) => a.filename)).toEqual(['random.bin', 'Rechnung März.pdf']);
    expect(Buffer.compare(parsed.attachments[0]!.content, binary)).toBe(0);
    expect(Buffer.compare(parsed.attachments[1]!.content, pdfish)).toBe(0);
    expect(parsed.attachments[1]!.contentType).toBe('application/pdf');

    const resolver = new dnsPromises.Resolver();
    resolver.setServers([dns.address]);
    const verdict = await dkimVerify(raw, {
      resolver: (name: string, type: string) => resolver.resolve(name, type as 'TXT'),
    });
    expect(verdict.results[0]?.status.result).toBe('pass');
    expect(verdict.results[0]?.signingDomain).toBe('example.com');
  });

  it('defers on a 4xx with the reply in metadata, then sends on the retry', async () => {
    const sent = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'greylisted@recipient.test' }] }));
    const detail = await settled(t, sent.body.id, 'sent');
    expect(types(detail)).toEqual(['queued', 'deferred', 'sent']);
    expect(detail.events[1].metadata).toMatchObject({ smtp_code: 451, dsn: '4.7.1' });
    expect(detail.events[1].metadata.smtp_response).toContain('Greylisted');
    expect(detail.recipients[0]).toMatchObject({ status: 'sent', attempts: 2 });
    expect(sink.rcptAttempts('greylisted@recipient.test')).toBe(2);
  });

  it.each([
    ['cut-at-data@recipient.test', 'data', 'after the message was sent'],
    ['cut-at-rcpt@recipient.test', 'rcpt', 'during the transaction'],
  ])(
    'a connection the relay drops mid-transaction (%s) is a temporary failure: deferred, then sent',
    async (to, stage, text) => {
      const sent = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: to }] }));
      const detail = await settled(t, sent.body.id, 'sent');
      expect(sink.drops).toContainEqual({ rcpt: to, stage });
      expect(types(detail)).toEqual(['queued', 'deferred', 'sent']);
      const deferred = detail.events[1];
      expect(deferred.recipient).toBe(to);
      expect(deferred.metadata).toMatchObject({ smtp_code: null, dsn: '4.4.2', relay: '127.0.0.1' });
      expect(deferred.metadata.smtp_response).toContain(`connection to the relay lost ${text}`);
      // Not the configuration-fault path (which ends `failed`): it gets the temporary-failure retries and the 72 h
      // give-up.
      expect(deferred.metadata.reason).toBeUndefined();
    },
  );

  it('bounces on a 5xx and keeps the whole reply', async () => {
    const sent = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'nobody@recipient.test' }] }));
    const detail = await settled(t, sent.body.id, 'bounced');
    expect(types(detail)).toEqual(['queued', 'bounced']);
    expect(detail.events[1].metadata).toMatchObject({ smtp_code: 550, dsn: '5.1.1', bounce_type: 'hard' });
    expect(detail.events[1].metadata.smtp_response).toContain('User unknown in virtual mailbox table');
    expect(detail.recipients[0].last_reply).toMatchObject({ code: 550, dsn: '5.1.1' });
  });
});

describe.each(testDatabases())('relay configuration faults on %s', (kind) => {
  async function withRelay(
    relayUrl: (sinkPort: number) => string,
    body: (t: TestServer) => Promise<void>,
  ): Promise<void> {
    const dns = await startDnsServer({});
    const sink = await startSmtpSink({ auth: { user: 'relayuser', pass: 'right' } });
    const t = await startTestServer(kind, {
      TAIFA_DELIVERY: 'relay',
      TAIFA_SMTP_RELAY_URL: relayUrl(sink.port),
      TAIFA_DNS_SERVERS: dns.address,
      TAIFA_RETRY_SCHEDULE: '1',
      TAIFA_CONFIG_FAULT_MAX_ATTEMPTS: '2',
    });
    try {
      await verifiedDomain(t, dns);
      await body(t);
    } finally {
      await t.close();
      await sink.close();
      await dns.close();
    }
  }

  it('marks mail failed after retries when the relay refuses our credentials', async () => {
    await withRelay(
      (port) => `smtp://relayuser:wrong@127.0.0.1:${port}`,
      async (t) => {
        const sent = await t.call('POST', '/v1/emails/', sendBody());
        const detail = await settled(t, sent.body.id, 'failed');
        expect(types(detail)).toEqual(['queued', 'deferred', 'failed']);
        expect(detail.events[1].metadata).toMatchObject({ reason: 'configuration', smtp_code: 535 });
        expect(detail.events[2].metadata).toMatchObject({ reason: 'configuration', attempts: 2 });
      },
    );
  });

  it('marks mail failed after retries when no relay is reachable', async () => {
    await withRelay(
      () => 'smtp://127.0.0.1:9',
      async (t) => {
        const sent = await t.call('POST', '/v1/emails/', sendBody());
        const detail = await settled(t, sent.body.id, 'failed');
        expect(types(detail)).toEqual(['queued', 'deferred', 'failed']);
        expect(detail.events[2].metadata.smtp_response).toContain('relay unreachable');
      },
    );
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers, type ChildServer } from '../helpers/child-server.js';
import { testDatabases } from '../helpers/databases.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { sendBody } from '../helpers/fixtures.js';
import { eventually, settled, startTestServer, type TestServer } from '../helpers/server.js';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { verifiedDomain } from '../helpers/verified-domain.js';

describe.each(testDatabases())('connections per destination on %s', (kind) => {
  let t: TestServer;
  let dns: DnsServer;
  let sink: SmtpSink;
  beforeAll(async () => {
    sink = await startSmtpSink({ dataDelayMs: 30 });
    dns = await startDnsServer({
      mx: {
        'big.test': [{ exchange: 'mx.big.test', priority: 10 }],
        // Two MX names, equal preference, one server address.
        'twins.test': [
          { exchange: 'a.twins.test', priority: 10 },
          { exchange: 'b.twins.test', priority: 10 },
        ],
      },
      a: { 'mx.big.test': ['127.0.0.1'], 'a.twins.test': ['127.0.0.1'], 'b.twins.test': ['127.0.0.1'] },
    });
    t = await startTestServer(kind, {
      TAIFA_DNS_SERVERS: dns.address,
      TAIFA_MX_PORT: String(sink.port),
      TAIFA_MAX_CONNECTIONS_PER_DESTINATION: '3',
      TAIFA_WORKER_CONCURRENCY: '20',
    });
    await verifiedDomain(t, dns);
  });
  afterAll(async () => {
    await t?.close();
    await sink?.close();
    await dns?.close();
  });

  it('reuses connections and never opens more than the cap to one MX', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: `u${i}@big.test` }] }));
      ids.push(r.body.id);
    }
    await sink.waitForMessages(40);
    expect(sink.maxConcurrentConnections).toBeLessThanOrEqual(3);
    expect(sink.connections).toBeLessThan(40 / 4); // reused, not one connection per message
    await eventually('all delivered', async () => {
      const all = await Promise.all(ids.map((id) => t.call('GET', `/v1/emails/${id}`)));
      return all.every((r) => r.body.status === 'delivered') ? true : undefined;
    });
  });

  it('caps connections per destination address, however many MX names point at it', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 40; i++)
      ids.push((await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: `u${i}@twins.test` }] }))).body.id);
    const detail = await eventually('all delivered', async () => {
      const all = await Promise.all(ids.map((id) => t.call('GET', `/v1/emails/${id}`)));
      return all.every((r) => r.body.status === 'delivered') ? all.map((r) => r.body) : undefined;
    });
    // Both names were used (equal preference is shuffled), and still never more than 3 connections to 127.0.0.1.
    const relays = new Set(
      detail.map((d) => d.events.find((e: { event_type: string }) => e.event_type === 'delivered').metadata.relay),
    );
    expect(relays).toEqual(new Set(['a.twins.test', 'b.twins.test']));
    expect(sink.maxConcurrentConnections).toBeLessThanOrEqual(3);
  });
});

describe.each(testDatabases())('recipients of one email on one domain (%s)', (kind) => {
  it('go back-to-back over one connection, one transaction each', async () => {
    const sink = await startSmtpSink({ dataDelayMs: 30 });
    const dns = await startDnsServer({
      mx: { 'five.test': [{ exchange: 'mx.five.test', priority: 10 }] },
      a: { 'mx.five.test': ['127.0.0.1'] },
    });
    const t = await startTestServer(kind, {
      TAIFA_DNS_SERVERS: dns.address,
      TAIFA_MX_PORT: String(sink.port),
      TAIFA_WORKER_CONCURRENCY: '20',
    });
    try {
      await verifiedDomain(t, dns);
      const to = [0, 1, 2, 3, 4].map((i) => ({ email: `r${i}@five.test` }));
      const sent = await t.call(
        'POST',
        '/v1/emails/',
        sendBody({ to: to.slice(0, 3), cc: to.slice(3, 4), bcc: to.slice(4) }),
      );
      await settled(t, sent.body.id, 'delivered');
      expect(sink.messages).toHaveLength(5);
      // Each copy has its own VERP return path (so its own transaction), all over one connection.
      expect(new Set(sink.messages.map((m) => m.envelopeFrom)).size).toBe(5);
      expect(sink.messages.map((m) => m.recipients.length)).toEqual([1, 1, 1, 1, 1]);
      expect(sink.connections).toBe(1);
    } finally {
      await t.close();
      await sink.close();
      await dns.close();
    }
  });
});

describe.each(testDatabases())('several worker processes on one database (%s)', (kind) => {
  it('each recipient is claimed and sent once', async () => {
    const sink = await startSmtpSink({ dataDelayMs: 5 });
    const dns = await startDnsServer({
      mx: { 'many.test': [{ exchange: 'mx.many.test', priority: 10 }] },
      a: { 'mx.many.test': ['127.0.0.1'] },
    });
    const env = { TAIFA_DNS_SERVERS: dns.address, TAIFA_MX_PORT: String(sink.port), TAIFA_WORKER_CONCURRENCY: '8' };
    const a = await startTestServer(kind, { ...env, TAIFA_ROLES: 'api' });
    const workers: ChildServer[] = [];
    try {
      await verifiedDomain(a, dns);
      for (let i = 0; i < 120; i++)
        expect((await a.call('POST', '/v1/emails/', sendBody({ to: [{ email: `u${i}@many.test` }] }))).status).toBe(
          202,
        );
      // Three worker processes start on the same queue at once.
      workers.push(...(await startWorkers(3, a, env)));
      const { db } = a.server.store;
      await eventually(
        'all 120 recorded delivered',
        async () => {
          const { n } = await db
            .selectFrom('email_recipients')
            .where('status', '=', 'delivered')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow();
          return Number(n) === 120 ? true : undefined;
        },
        30_000,
      );
      // Stopped, the workers have finished every transaction they started: what the sink has now is all they sent.
      for (const w of workers.splice(0)) {
        await w.stop();
        expect(await w.exited).toBe(0);
      }
      expect(sink.messages).toHaveLength(120);
      expect(new Set(sink.messages.map((m) => m.recipients[0])).size).toBe(120);
      for (let i = 0; i < 120; i++) expect(sink.rcptAttempts(`u${i}@many.test`)).toBe(1);
    } finally {
      for (const w of workers) await w.stop();
      await a.close();
      await sink.close();
      await dns.close();
    }
  });
});

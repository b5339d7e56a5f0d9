import { describe, expect, it } from 'vitest';
import { recordDeliveryAttempt } from '../../src/services/record-attempt.js';
import { GroupCommitter } from '../../src/store/group-commit.js';
import { claimDueRecipients, renewLeases } from '../../src/store/queue-repo.js';
import { startWorkers, type ChildServer } from '../helpers/child-server.js';
import { testDatabases } from '../helpers/databases.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { sendBody } from '../helpers/fixtures.js';
import { eventTypes, eventually, startTestServer } from '../helpers/server.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { verifiedDomain } from '../helpers/verified-domain.js';

describe.each(testDatabases())('leases on %s', (kind) => {
  it('a worker that lost its lease renews nothing and records no second outcome', async () => {
    const dns = await startDnsServer({});
    const t = await startTestServer(kind, { TAIFA_ROLES: 'api', TAIFA_DNS_SERVERS: dns.address });
    try {
      await verifiedDomain(t, dns);
      const sent = await t.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'lease@recipient.test' }] }));
      expect(sent.status).toBe(202);
      const { db } = t.server.store;
      const t0 = Date.now() + 1000;
      // Worker A claims, its lease runs out unrenewed, worker B claims and records the delivery.
      const [a] = await claimDueRecipients(db, { workerId: 'w-a', now: t0, leaseMs: 1000, limit: 10 });
      expect(a).toBeDefined();
      const [b] = await claimDueRecipients(db, { workerId: 'w-b', now: t0 + 1001, leaseMs: 1000, limit: 10 });
      expect(b?.id).toBe(a!.id);
      expect(await renewLeases(db, { workerId: 'w-a', ids: [a!.id], now: t0 + 1002, leaseMs: 1000 })).toEqual([]);
      expect(await renewLeases(db, { workerId: 'w-b', ids: [a!.id], now: t0 + 1002, leaseMs: 1000 })).toEqual([a!.id]);
      const committer = new GroupCommitter(db);
      const record = (workerId: string, status: 'delivered' | 'deferred') =>
        recordDeliveryAttempt(committer, {
          recipient: a!,
          workerId,
          decision: { status, nextAttemptAt: null, events: [{ type: status, metadata: {} }] },
          reply: { code: 250, text: 'ok', dsn: null, host: null },
          now: t0 + 1500,
          onlyRecipient: true,
        });
      expect(await record('w-b', 'delivered')).toBe(true);
      // A's transaction ends late: its fenced record writes nothing.
      expect(await record('w-a', 'deferred')).toBe(false);
      const row = await db.selectFrom('email_recipients').selectAll().where('id', '=', a!.id).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'delivered', attempts: 1, locked_by: null, locked_until: null });
      const events = await db
        .selectFrom('email_events')
        .select('event_type')
        .where('email_id', '=', a!.email_id)
        .orderBy('id')
        .execute();
      expect(events.map((e) => e.event_type)).toEqual(['queued', 'delivered']);
    } finally {
      await t.close();
      await dns.close();
    }
  });

  it('a transaction longer than the lease is sent once: the lease is renewed and a second worker does not steal it', async () => {
    // Every DATA is answered after 5 s, more than twice the 2 s lease.
    const sink = await startSmtpSink({ dataDelayMs: 5000 });
    const dns = await startDnsServer({
      mx: { 'slow.test': [{ exchange: 'mx.slow.test', priority: 10 }] },
      a: { 'mx.slow.test': ['127.0.0.1'] },
    });
    const env = {
      TAIFA_DNS_SERVERS: dns.address,
      TAIFA_MX_PORT: String(sink.port),
      TAIFA_LEASE_SECONDS: '2',
      TAIFA_POLL_INTERVAL_MS: '100',
    };
    const a = await startTestServer(kind, { ...env, TAIFA_ROLES: 'api' });
    const workers: ChildServer[] = [];
    try {
      await verifiedDomain(a, dns);
      // Two worker processes on the same queue.
      workers.push(...(await startWorkers(2, a, env)));
      const ids: string[] = [];
      for (let i = 0; i < 4; i++)
        ids.push((await a.call('POST', '/v1/emails/', sendBody({ to: [{ email: `slow${i}@slow.test` }] }))).body.id);
      await sink.waitForMessages(4, 30_000);
      const details = await eventually(
        'all recorded',
        async () => {
          const all = await Promise.all(ids.map((id) => a.call('GET', `/v1/emails/${id}`)));
          return all.every((r) => r.body.status === 'delivered') ? all.map((r) => r.body) : undefined;
        },
        30_000,
      );
      // A stolen lease would have been sent again about 2 s into the first transaction; give it time to show.
      await new Promise((r) => setTimeout(r, 1500));
      expect(sink.messages).toHaveLength(4);
      for (let i = 0; i < 4; i++) expect(sink.rcptAttempts(`slow${i}@slow.test`)).toBe(1);
      for (const d of details) {
        expect(eventTypes(d)).toEqual(['queued', 'sent', 'delivered']);
        expect(d.recipients[0]).toMatchObject({ status: 'delivered', attempts: 1 });
      }
    } finally {
      for (const w of workers) await w.stop();
      await a.close();
      await sink.close();
      await dns.close();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { recordDeliveryAttempt } from '../../src/services/record-attempt.js';
import { GroupCommitter } from '../../src/store/group-commit.js';
import { claimDueRecipients, renewLeases } from '../../src/store/queue-repo.js';
import { startWorkers, type ChildServer } from '../helpers/child-server.js';
import { testDatabases } from '../helpers/databases.js';
import { startDnsServer } from '../helpers/dns-server.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { eventTypes, eventually, settled, startTestServer } from '../helpers/server.js';
import { startSmtpSink } from '../helpers/smtp-sink.js';
import { verifiedDomain } from '../helpers/verified-domain.js';

describe.each(testDatabases())('leases on %s', (kind) => {
  it('a claim takes at most its limit, also from rows another claim has let go', async () => {
    const t = await startTestServer(kind, { TAIFA_ROLES: 'api', TAIFA_SANDBOX: 'true' });
    try {
      const to = Array.from({ length: 6 }, (_, i) => ({ email: `limit${i}@recipient.test` }));
      await sandboxSender(t);
      const sent = await t.call('POST', '/v1/emails/', sendBody({ to }));
      expect(sent.status).toBe(202);
      const { db } = t.server.store;
      const t0 = Date.now() + 1000;
      expect(await claimDueRecipients(db, { workerId: 'w-a', now: t0, leaseMs: 1, limit: 10 })).toHaveLength(6);
      // A's leases have run out: B's claims of one take one each.
      const b = await claimDueRecipients(db, { workerId: 'w-b', now: t0 + 10, leaseMs: 60_000, limit: 1 });
      expect(b).toHaveLength(1);
      const c = await claimDueRecipients(db, { workerId: 'w-c', now: t0 + 11, leaseMs: 60_000, limit: 2 });
      expect(c).toHaveLength(2);
      expect(c.map((r) => r.id)).not.toContain(b[0]!.id);
    } finally {
      await t.close();
    }
  });

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
    // The receiver holds its answer to every DATA for slow.test until the test releases it; fast.test is answered at
    // once.
    const sink = await startSmtpSink({ holdData: (m) => m.recipients.some((r) => r.endsWith('@slow.test')) });
    const dns = await startDnsServer({
      mx: {
        'slow.test': [{ exchange: 'mx.slow.test', priority: 10 }],
        'fast.test': [{ exchange: 'mx.fast.test', priority: 10 }],
      },
      a: { 'mx.slow.test': ['127.0.0.1'], 'mx.fast.test': ['127.0.0.1'] },
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
      // All four transactions are under way, their DATA unanswered.
      await eventually('four transactions held at DATA', async () => (sink.held.length === 4 ? true : undefined));
      const { db } = a.server.store;
      const leases = () =>
        db
          .selectFrom('email_recipients')
          .select(['address', 'status', 'locked_by', 'locked_until'])
          .where('email_id', 'in', ids)
          .orderBy('address')
          .execute();
      const claimed = await leases();
      expect(claimed.every((r) => r.status === 'queued' && r.locked_by !== null)).toBe(true);
      // No later than this, every lease as first written has ended: unrenewed, each recipient is due again.
      const firstTermEnd = Math.max(...claimed.map((r) => r.locked_until!));
      await new Promise((r) => setTimeout(r, firstTermEnd - Date.now() + 1));
      // A claim that takes this email ran after that: it takes due recipients oldest first, so it would have
      // taken any of the four whose lease had lapsed before this one, which became due only now.
      const probe = await a.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'probe@fast.test' }] }));
      expect(probe.status).toBe(202);
      await settled(a, probe.body.id, 'delivered');
      // It took none of them: each is still leased to the worker that claimed it, the lease renewed past its first
      // term.
      const after = await leases();
      expect(after.map((r) => [r.address, r.status, r.locked_by])).toEqual(
        claimed.map((r) => [r.address, 'queued', r.locked_by]),
      );
      for (const r of after) expect(r.locked_until).toBeGreaterThan(firstTermEnd);
      for (let i = 0; i < 4; i++) expect(sink.rcptAttempts(`slow${i}@slow.test`)).toBe(1);

      sink.releaseHeld();
      const details = await eventually(
        'all recorded',
        async () => {
          const all = await Promise.all(ids.map((id) => a.call('GET', `/v1/emails/${id}`)));
          return all.every((r) => r.body.status === 'delivered') ? all.map((r) => r.body) : undefined;
        },
        30_000,
      );
      // Stopped, the workers have finished every transaction they started: what the sink has now is all they sent.
      for (const w of workers.splice(0)) {
        await w.stop();
        expect(await w.exited).toBe(0);
      }
      expect(sink.messages.map((m) => m.recipients[0]).sort()).toEqual([
        'probe@fast.test',
        ...[0, 1, 2, 3].map((i) => `slow${i}@slow.test`),
      ]);
      for (let i = 0; i < 4; i++) expect(sink.rcptAttempts(`slow${i}@slow.test`)).toBe(1);
      for (const d of details) {
        expect(eventTypes(d)).toEqual(['queued', 'sent', 'delivered']);
        expect(d.recipients[0]).toMatchObject({ status: 'delivered', attempts: 1 });
      }
    } finally {
      sink.releaseHeld();
      for (const w of workers) await w.stop();
      await a.close();
      await sink.close();
      await dns.close();
    }
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newApiKey } from '../../src/ids.js';
import { openStore } from '../../src/store/database.js';
import { startChildServer, type ChildServer } from '../helpers/child-server.js';
import { createTestDatabase, testDatabases } from '../helpers/databases.js';
import { startDnsServer, type DnsServer } from '../helpers/dns-server.js';
import { sendBody } from '../helpers/fixtures.js';
import { startSmtpSink, type SinkMessage, type SmtpSink } from '../helpers/smtp-sink.js';
import { publishRecords } from '../helpers/verified-domain.js';

const CONCURRENCY = 10;

function messageIdOf(m: SinkMessage): string {
  return /^Message-ID:\s*(<[^>]+>)/im.exec(m.raw.toString('latin1'))?.[1] ?? '';
}

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function setUpSender(s: ChildServer, dns: DnsServer): Promise<void> {
  const d = await s.call('POST', '/v1/domains', { name: 'example.com' });
  publishRecords(dns, d.body.records);
  expect((await s.call('POST', `/v1/domains/${d.body.id}/verify`)).body.status).toBe('verified');
  expect((await s.call('POST', '/v1/senders', { email: 'hello@example.com' })).status).toBe(201);
}

/** Waits (30 s at most) until `n` emails are recorded as sent, where relayed delivery ends: none is left to claim. */
async function allRecordedSent(dbUrl: string, n: number): Promise<void> {
  const store = openStore(dbUrl);
  try {
    const sentCount = async () =>
      Number(
        (
          await store.db
            .selectFrom('emails')
            .where('status', '=', 'sent')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const deadline = Date.now() + 30_000;
    while ((await sentCount()) < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await sentCount()).toBe(n);
  } finally {
    await store.close();
  }
}

/** Sends `n` emails, 25 at a time; returns the Message-IDs of those answered 202. */
async function sendMany(s: ChildServer, n: number): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 25 }, async () => {
      while (next < n) {
        const i = next++;
        const r = await s.call(
          'POST',
          '/v1/emails/',
          sendBody({ to: [{ email: `user${i}@recipient.test` }], subject: `Message ${i}` }),
        );
        if (r.status === 202) ids.push(r.body.message_id);
      }
    }),
  );
  return ids;
}

describe.each(testDatabases())('a killed or stopped process loses nothing on %s', (kind) => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => undefined);
  });

  async function setUp(dataDelayMs: number, extraEnv: Record<string, string> = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taifa-crash-'));
    const db = await createTestDatabase(kind, dir);
    const dns = await startDnsServer({});
    const sink = await startSmtpSink({ dataDelayMs });
    cleanup.push(
      async () => fs.rmSync(dir, { recursive: true, force: true }),
      () => db.drop(),
      () => dns.close(),
      () => sink.close(),
    );
    const key = newApiKey();
    const env = {
      PORT: '0',
      TAIFA_DATA_DIR: dir,
      DATABASE_URL: db.url,
      TAIFA_BOOTSTRAP_API_KEY: key,
      TAIFA_HELO_NAME: 'mta.taifa.test',
      TAIFA_DELIVERY: 'relay',
      TAIFA_SMTP_RELAY_URL: `smtp://127.0.0.1:${sink.port}`,
      TAIFA_DNS_SERVERS: dns.address,
      TAIFA_LEASE_SECONDS: '5',
      TAIFA_WORKER_CONCURRENCY: String(CONCURRENCY),
      TAIFA_MAX_CONNECTIONS_PER_DESTINATION: String(CONCURRENCY),
      TAIFA_POLL_INTERVAL_MS: '100',
      TAIFA_RETRY_SCHEDULE: '1',
      ...extraEnv,
    };
    const start = async () => {
      const s = await startChildServer(env, key);
      cleanup.push(async () => {
        s.proc.kill('SIGKILL');
        await s.exited;
      });
      return s;
    };
    return { sink, dns, start, dbUrl: db.url };
  }

  function duplicates(sink: SmtpSink): number {
    return sink.messages.length - new Set(sink.messages.map(messageIdOf)).size;
  }

  it('kill -9 while delivering: every accepted email arrives, duplicates ≤ transactions in flight', async () => {
    const { sink, dns, start, dbUrl } = await setUp(100);
    const first = await start();
    await setUpSender(first, dns);
    const accepted = await sendMany(first, 500);
    expect(accepted).toHaveLength(500);
    await until('some deliveries', () => sink.messages.length >= 100);
    first.proc.kill('SIGKILL');
    await first.exited;
    const atKill = sink.messages.length;
    expect(atKill).toBeLessThan(500); // it really died mid-delivery

    const second = await start();
    const wanted = new Set(accepted);
    await until('every accepted email at the sink', () => {
      const got = new Set(sink.messages.map(messageIdOf));
      return [...wanted].every((id) => got.has(id));
    });
    // And the database agrees: every email is recorded as sent.
    await allRecordedSent(dbUrl, 500);
    // Nothing is left to claim, and stopped, the second process has finished what it started: the count is final.
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(duplicates(sink)).toBeLessThanOrEqual(CONCURRENCY);
  });

  it('SIGTERM drains: in-flight transactions are finished and recorded, nothing is sent twice', async () => {
    const { sink, dns, start, dbUrl } = await setUp(100);
    const first = await start();
    await setUpSender(first, dns);
    const accepted = await sendMany(first, 150);
    await until('some deliveries', () => sink.messages.length >= 20);
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(sink.messages.length).toBeLessThan(150);

    const second = await start();
    await until(
      'every accepted email at the sink',
      () => new Set(sink.messages.map(messageIdOf)).size >= accepted.length,
    );
    // An outcome the drain failed to record would be sent again once its lease expired, before it is recorded:
    // with every email recorded and the second process stopped, no such copy can still be on its way.
    await allRecordedSent(dbUrl, accepted.length);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(duplicates(sink)).toBe(0);
  });

  it('SIGTERM drains for at most TAIFA_DRAIN_TIMEOUT_MS, then leaves the lease of a slow transaction to expire', async () => {
    // The relay answers DATA only after 8 s; the drain may take 300 ms.
    const { sink, dns, start, dbUrl } = await setUp(8000, { TAIFA_DRAIN_TIMEOUT_MS: '300' });
    const first = await start();
    await setUpSender(first, dns);
    const sent = await first.call('POST', '/v1/emails/', sendBody({ to: [{ email: 'slow@recipient.test' }] }));
    expect(sent.status).toBe(202);
    await until('the transaction under way', () => sink.rcptAttempts('slow@recipient.test') > 0);
    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    // It exited without waiting for the relay's answer, and recorded nothing: the recipient is still leased.
    expect(sink.messages).toHaveLength(0);
    const store = openStore(dbUrl);
    try {
      const row = await store.db.selectFrom('email_recipients').selectAll().executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'queued', attempts: 0 });
      expect(row.locked_by).not.toBeNull();
      expect(row.locked_until).toBeGreaterThan(Date.now());
    } finally {
      await store.close();
    }
  });
});

import { v7 as uuidv7 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventType } from '../../src/model.js';
import { pruneExpiredEvents } from '../../src/services/event-retention.js';
import { recordEvents } from '../../src/store/events-repo.js';
import type { NewEvent } from '../../src/store/schema.js';
import { testDatabases } from '../helpers/databases.js';
import { sandboxSender, sendBody } from '../helpers/fixtures.js';
import { eventually, settled, startTestServer, type TestServer } from '../helpers/server.js';

const DAY = 86_400_000;

describe.each(testDatabases())('event retention on %s', (kind) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function server(env: Record<string, string> = {}): Promise<TestServer> {
    const t = await startTestServer(kind, { TAIFA_SANDBOX: 'true', TAIFA_UPDATES_SETTLE_MS: '0', ...env });
    cleanups.push(() => t.close());
    return t;
  }

  /** A delivered email, and events of it `daysAgo` old (a person's counted open and click among them). */
  async function emailWithOldEvents(
    t: TestServer,
    daysAgo: number,
  ): Promise<{ id: string; old: string[]; at: number }> {
    await sandboxSender(t);
    const sent = await t.call('POST', '/v1/emails/', sendBody());
    await settled(t, sent.body.id, 'delivered');
    const r = await t.server.store.db
      .selectFrom('email_recipients')
      .select(['id', 'email_id', 'account_id', 'address'])
      .where('email_id', '=', sent.body.id)
      .executeTakeFirstOrThrow();
    const at = Date.now() - daysAgo * DAY;
    const event = (type: EventType, offset: number, counted: number): NewEvent => ({
      id: uuidv7({ msecs: at + offset }),
      email_id: r.email_id,
      account_id: r.account_id,
      recipient_id: r.id,
      recipient: r.address,
      event_type: type,
      metadata: null,
      bot: type === 'open' || type === 'click' ? '' : null,
      counted,
      created_at: at + offset,
    });
    const old = [event('open', 0, 1), event('open', 1, 0), event('click', 2, 1), event('unsubscribe', 3, 0)];
    await t.server.store.db.transaction().execute((trx) => recordEvents(trx, old));
    return { id: sent.body.id, old: old.map((e) => e.id), at };
  }

  const listed = async (t: TestServer, emailId: string, key = t.key) =>
    (
      (await t.call('GET', `/v1/events?email_id=${emailId}&limit=1000`, undefined, { key })).body as Array<{
        id: string;
      }>
    ).map((e) => e.id);

  it('deletes events past the retention in small batches; the email keeps its counters and first times', async () => {
    const t = await server({ TAIFA_EVENT_RETENTION_DAYS: '0' });
    const { id, old, at } = await emailWithOldEvents(t, 31);
    const before = (await t.call('GET', `/v1/emails/${id}`)).body;
    expect(before).toMatchObject({ opened_count: 1, clicked_count: 1, status: 'delivered' });
    expect([before.opened_at, before.clicked_at]).toEqual([new Date(at).toISOString(), new Date(at + 2).toISOString()]);
    const recent = before.events.map((e: { id: string }) => e.id).filter((e: string) => !old.includes(e));
    expect(recent.length).toBeGreaterThanOrEqual(2);
    expect(await listed(t, id)).toEqual(expect.arrayContaining(old));

    // Thirty days' retention keeps them until they are thirty days old; then they go, three at a time.
    const store = t.server.store;
    expect(await pruneExpiredEvents(store, { now: at + 30 * DAY, retentionDays: 30, pauseMs: 0 })).toBe(0);
    expect(await pruneExpiredEvents(store, { now: Date.now(), retentionDays: 0 })).toBe(0);
    expect(await pruneExpiredEvents(store, { now: Date.now(), retentionDays: 30, batchSize: 3, pauseMs: 0 })).toBe(4);

    const after = (await t.call('GET', `/v1/emails/${id}`)).body;
    expect(after.events.map((e: { id: string }) => e.id)).toEqual(recent);
    expect(await listed(t, id)).toEqual([...recent].reverse());
    const summary = (d: Record<string, unknown>) => {
      const { events: _events, ...rest } = d;
      return rest;
    };
    expect(summary(after)).toEqual(summary(before));
  });

  it('runs in the background of a worker process, and stops with it', async () => {
    // The old events are there before the server starts: its first pass runs at start.
    const first = await server({ TAIFA_ROLES: 'api,worker', TAIFA_EVENT_RETENTION_DAYS: '0' });
    const { id, old } = await emailWithOldEvents(first, 40);
    await first.server.close();
    const t = await server({
      TAIFA_ROLES: 'api,worker',
      TAIFA_EVENT_RETENTION_DAYS: '30',
      DATABASE_URL: first.db.url,
      TAIFA_DATA_DIR: first.dataDir,
      TAIFA_BOOTSTRAP_API_KEY: first.key,
    });
    await eventually('the old events to go', async () => {
      const ids = await listed(t, id, first.key);
      return ids.length > 0 && !ids.some((e) => old.includes(e)) ? true : undefined;
    });
    const email = await t.call('GET', `/v1/emails/${id}`, undefined, { key: first.key });
    expect(email.body).toMatchObject({ opened_count: 1, clicked_count: 1 });
  });
});
